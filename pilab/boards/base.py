"""The one small interface every board implements, and how to pick one."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilab.errors import ConfigError

if TYPE_CHECKING:
    from gpiozero import Factory

    from pilab.klog import LogCursor
    from pilab.wiring import Wiring

GUEST_ENV = "PILAB_GUEST"  # set inside the VM by the vm board's launcher
BOARDS = ("pi", "vm", "mock")


@dataclass(frozen=True)
class Model:
    """A Pi model's main GPIO chip: its label, global base and revision code."""

    name: str
    label: str
    base: int
    revision: int


MODELS = {
    "vgpio": Model("vgpio", "vgpio", -1, 0xC03111),
    "pi3": Model("pi3", "pinctrl-bcm2835", 512, 0xA02082),
    "pi4": Model("pi4", "pinctrl-bcm2711", 512, 0xC03111),
    "pi5": Model("pi5", "pinctrl-rp1", 571, 0xC04170),
}


def model_named(name: str) -> Model:
    try:
        return MODELS[name]
    except KeyError:
        raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}") from None


class ModuleLoader(ABC):
    """Loads lab modules (real .ko files, or Python models on the mock board)."""

    @abstractmethod
    def load(self, name: str, **params: Any) -> None: ...

    @abstractmethod
    def unload(self, name: str) -> None: ...

    @abstractmethod
    def unload_all(self) -> None: ...


class Board(ABC):
    """What a lab talks to. A lab never asks which board it is on."""

    name: str = "board"
    real_kernel: bool = True  # False on the mock board: modules are Python models

    def __init__(self, model: Model) -> None:
        self.model = model

    @property
    @abstractmethod
    def pin_factory(self) -> Factory:
        """The gpiozero pin factory for this board's header."""

    @property
    @abstractmethod
    def modules(self) -> ModuleLoader:
        """Where lab modules are loaded."""

    @abstractmethod
    def open_log(self) -> LogCursor:
        """A kernel-log cursor that sees only what comes after this call."""

    @abstractmethod
    def gpio(self, bcm: int) -> int:
        """The global GPIO number a module parameter takes for BCM line *bcm*."""

    @abstractmethod
    def setup(self, wiring: Wiring) -> None:
        """Make the board ready for a lab wired as *wiring*."""

    @abstractmethod
    def teardown(self) -> None:
        """Release everything setup and the lab took; safe to call twice."""

    def apply_level(self, bcm: int, level: int) -> None:
        """Set a line's level from outside, as a hand on a button would.

        Only boards that can simulate a hand (vm, mock) implement it.
        """
        raise NotImplementedError(f"the {self.name} board has no simulated hands")

    def irq_count(self, irq: int) -> int:
        """How many times *irq* fired, summed over CPUs (/proc/interrupts)."""
        for line in Path("/proc/interrupts").read_text().splitlines()[1:]:
            head, _, rest = line.partition(":")
            if head.strip() == str(irq):
                counts = [f for f in rest.split() if f.isdigit()]
                ncpu = os.cpu_count() or 1
                return sum(int(c) for c in counts[:ncpu])
        raise ConfigError(f"IRQ {irq} is not in /proc/interrupts")


def detect_default_board() -> str:
    """pi on a Pi, vm everywhere else."""
    from pilab.detect import detect

    return "pi" if detect().is_raspberry_pi else "vm"


def make_board(name: str, model: str | None = None) -> Board:
    """Build the board a lab runs on here (inside the VM for the vm board)."""
    if name == "mock":
        from pilab.boards.mock import MockBoard

        return MockBoard(model_named(model or "pi4"))
    if name == "vm":
        from pilab.boards.vm import VmGuestBoard

        return VmGuestBoard(model_named(model or "vgpio"))
    if name == "pi":
        from pilab.boards.pi import PiBoard

        return PiBoard()
    raise ConfigError(f"unknown board {name!r}; choose one of {', '.join(BOARDS)}")
