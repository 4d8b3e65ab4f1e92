"""The one small interface every board implements."""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pilab.errors import ConfigError

if TYPE_CHECKING:
    from gpiozero import Factory

    from pilab.kernel.inputs import InputReader
    from pilab.kernel.klog import LogCursor
    from pilab.kernel.trace import Recorder
    from pilab.pimodels import PiModel
    from pilab.wiring import Wiring

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
    emulated_by: str | None = None  # "vm" when a Pi is emulated in the VM

    def __init__(self, model: PiModel) -> None:
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
    def open_trace(self) -> Recorder:
        """The kernel's trace while open: what ran where, whoever wrote the module."""

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

    def bounce(self, bcm: int, level: int, bounces: int, seconds: float) -> None:
        """Take output *bcm* (its pin factory's) to *level* through a bouncing contact.

        The line reaches *level*, then flips back and forth *bounces* times, its
        2 * *bounces* more edges evenly spread over *seconds*, and stays. Here the
        flips come from this process: microseconds apart on a Pi.
        """
        pin = self.pin_factory.pin(bcm)
        gap = seconds / (2 * bounces)
        start = time.perf_counter()
        for flip in range(2 * bounces + 1):
            while time.perf_counter() < start + flip * gap:
                pass  # a sleep would oversleep by more than the gap
            pin.state = level ^ (flip & 1)

    def input_nodes(self) -> set[str]:
        """The input devices there are now, by node (/dev/input/eventN)."""
        from pilab.kernel.inputs import evdev_nodes

        return evdev_nodes()

    def open_input(self, node: str) -> InputReader:
        """Open input device *node* to read its events."""
        from pilab.kernel.inputs import EvdevReader

        return EvdevReader(node)

    def irq_of(self, bcm: int) -> int | None:
        """The IRQ number of BCM line *bcm* once a module requested it (None: unknown)."""
        return None

    def irq_handlers(self, irq: int) -> list[str]:
        """The names of the handlers requested on *irq* (empty: nobody holds it)."""
        from pilab.kernel.irqs import irq_actions

        return irq_actions(irq)

    def irq_count(self, irq: int) -> int:
        """How many times *irq* fired, summed over CPUs (/proc/interrupts)."""
        for line in Path("/proc/interrupts").read_text().splitlines()[1:]:
            head, _, rest = line.partition(":")
            if head.strip() == str(irq):
                counts = [f for f in rest.split() if f.isdigit()]
                ncpu = os.cpu_count() or 1
                return sum(int(c) for c in counts[:ncpu])
        raise ConfigError(f"IRQ {irq} is not in /proc/interrupts")
