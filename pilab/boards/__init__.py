"""Boards: where a lab's pins, modules and kernel log come from.

A lab talks to a :class:`Board` and never asks which one it is on. The
concrete boards are imported only when made, so nothing here imports them
back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pilab.boards.base import Board, ModuleLoader
from pilab.errors import ConfigError
from pilab.pimodels import VGPIO, PiModel, pi_model

if TYPE_CHECKING:
    from pilab.boards.kernel import KernelBoard
    from pilab.boards.mock import ModelLookup

BOARDS = ("pi", "vm", "mock")


def detect_default_board() -> str:
    """pi on a Pi, vm everywhere else."""
    from pilab.kernel.detect import detect

    return "pi" if detect().is_raspberry_pi else "vm"


def board_name(chosen: str | None) -> str:
    """The board a command runs on: the one chosen with --board, else this machine's."""
    return chosen or detect_default_board()


def refuse_model_on_a_pi(name: str, model: str | None) -> None:
    """A Pi model is emulated (vm) or drawn (mock); a real Pi is what it is."""
    if model and name == "pi":
        raise ConfigError("--model is for the vm and mock boards: a real Pi is what it is")


def make_board(name: str, model: str | None = None,
               models: ModelLookup | None = None) -> Board:
    """Build the board a lab runs on here (inside the VM for the vm board).

    *models*: the mock board's model of each module, from the lab registry
    (``pilab.labs.model_of_module``); the caller hands it, so boards import no lab.
    """
    if name == "mock":
        from pilab.boards.mock import MockBoard

        return MockBoard(pi_model(model or "pi4"), models or (lambda module: None))
    return make_kernel_board(name, model)


def make_kernel_board(name: str, model: str | None = None,
                      vgpio: PiModel = VGPIO) -> KernelBoard:
    """A board with a real kernel: the Pi itself, or the VM guest.

    Inside the VM, the vm board with a Pi *model* is that Pi: the pi board's
    own code runs on the emulated device tree, with vgpio as its GPIO block.
    Without one it is the bare *vgpio* header (pilab check moves it to global
    GPIO 0 for a module that uses the guide's fixed numbers).
    """
    refuse_model_on_a_pi(name, model)
    if name == "vm":
        if model and model != VGPIO.name:
            from pilab.boards.pi import PiBoard

            return PiBoard(emulate=pi_model(model).name)
        from pilab.boards.vm import VmGuestBoard

        return VmGuestBoard(vgpio)
    if name == "pi":
        from pilab.boards.pi import PiBoard

        return PiBoard()
    if name in BOARDS:
        raise ConfigError(f"the {name} board has no kernel: use --board vm or pi")
    raise ConfigError(f"unknown board {name!r}; choose one of {', '.join(BOARDS)}")


__all__ = ["BOARDS", "Board", "ModuleLoader", "board_name", "detect_default_board",
           "make_board", "make_kernel_board", "refuse_model_on_a_pi"]
