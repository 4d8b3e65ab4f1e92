"""Boards: where a lab's pins, modules and kernel log come from.

A lab talks to a :class:`Board` and never asks which one it is on. The
concrete boards are imported only when made, so nothing here imports them
back.
"""

from __future__ import annotations

from pilab.boards.base import Board, ModuleLoader
from pilab.errors import ConfigError
from pilab.pimodels import VGPIO, pi_model

BOARDS = ("pi", "vm", "mock")


def detect_default_board() -> str:
    """pi on a Pi, vm everywhere else."""
    from pilab.kernel.detect import detect

    return "pi" if detect().is_raspberry_pi else "vm"


def make_board(name: str, model: str | None = None) -> Board:
    """Build the board a lab runs on here (inside the VM for the vm board).

    Inside the VM, the vm board with a Pi *model* is that Pi: the pi board's
    own code runs on the emulated device tree, with vgpio as its GPIO block.
    """
    if name == "mock":
        from pilab.boards.mock import MockBoard
        from pilab.labs import model_of_module

        return MockBoard(pi_model(model or "pi4"), model_of_module)
    if name == "vm":
        if model and model != VGPIO.name:
            from pilab.boards.pi import PiBoard

            return PiBoard(emulate=pi_model(model).name)
        from pilab.boards.vm import VmGuestBoard

        return VmGuestBoard(VGPIO)
    if name == "pi":
        if model is not None:
            raise ConfigError("--model is for the vm and mock boards: a real Pi is what it is")
        from pilab.boards.pi import PiBoard

        return PiBoard()
    raise ConfigError(f"unknown board {name!r}; choose one of {', '.join(BOARDS)}")


__all__ = ["BOARDS", "Board", "ModuleLoader", "detect_default_board", "make_board"]
