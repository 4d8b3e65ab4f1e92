"""Boards: where a lab's pins, modules and kernel log come from."""

from __future__ import annotations

from pilab.boards.base import Board, Model, detect_default_board, make_board

__all__ = ["Board", "Model", "detect_default_board", "make_board"]
