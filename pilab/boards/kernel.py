"""Boards with a real kernel: lab modules are .ko files, the log is /dev/kmsg."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

from gpiozero import Factory

from pilab.boards.base import Board, ModuleLoader
from pilab.errors import ModuleError
from pilab.kernel.build import module_dir
from pilab.kernel.gpiochip import GpioChip
from pilab.kernel.holders import describe_holders
from pilab.kernel.irqs import gpio_irq
from pilab.kernel.klog import KernelLog, LogCursor
from pilab.kernel.modules import ModuleStack
from pilab.kernel.trace import KeptTrace, Recorder
from pilab.pimodels import PiModel


def _gpio_numbers(params: dict[str, Any]) -> list[int]:
    """Every integer in a module's parameters: the GPIO numbers it may have asked for."""
    numbers: list[int] = []
    for value in params.values():
        values = value if isinstance(value, (list, tuple)) else [value]
        numbers += [v for v in values if isinstance(v, int)]
    return numbers


class KmodLoader(ModuleLoader):
    """ModuleLoader over finit_module/delete_module of the built .ko files.

    When a load fails with EBUSY and the board's chip is known, the error
    names who holds the lines the module asked for.
    """

    def __init__(self, board: KernelBoard | None = None) -> None:
        self.stack = ModuleStack(module_dir())
        self._board = board

    def load(self, name: str, **params: Any) -> None:
        try:
            self.stack.load(name, **params)
        except ModuleError as exc:
            chip = self._board.chip if self._board is not None else None
            if exc.errno != errno.EBUSY or chip is None:
                raise
            holders = describe_holders(chip, _gpio_numbers(params))
            if not holders:
                raise
            raise ModuleError(f"{exc.args[0]}: {holders}", errno=exc.errno,
                              hint="stop that program (or unload that module) and try again"
                              ) from None

    def unload(self, name: str) -> None:
        self.stack.unload(name)

    def unload_all(self) -> None:
        self.stack.unload_all()


class KernelBoard(Board):
    """Shared by the vm board (inside the guest) and the pi board."""

    def __init__(self, model: PiModel) -> None:
        super().__init__(model)
        self._loader = KmodLoader(self)
        self._factory: Factory | None = None
        self._trace: KeptTrace | None = None
        self.chip: GpioChip | None = None

    @property
    def modules(self) -> ModuleLoader:
        return self._loader

    def use_modules_from(self, directory: Path) -> None:
        """Load the modules built in *directory* (a submission's) from there, the rest
        (vgpio) from the kit's build."""
        for ko in directory.glob("*.ko"):
            self._loader.stack.elsewhere[ko.stem] = directory

    @property
    def pin_factory(self) -> Factory:
        if self._factory is None:
            self._factory = self._make_factory()
        return self._factory

    def _make_factory(self) -> Factory:
        raise NotImplementedError

    def open_log(self) -> LogCursor:
        return KernelLog()

    def open_trace(self) -> Recorder:
        """The board's trace, emptied: one tracefs instance serves every press."""
        if self._trace is None:
            self._trace = KeptTrace()
        return self._trace

    def gpio(self, bcm: int) -> int:
        assert self.chip is not None, "setup() finds the chip"
        return self.chip.global_number(bcm)

    def irq_of(self, bcm: int) -> int | None:
        """The IRQ number of BCM line *bcm*, as the kernel mapped it (None: not mapped)."""
        assert self.chip is not None, "setup() finds the chip"
        return gpio_irq((self.chip.label, "vgpio"), bcm)

    def close_factory(self) -> None:
        """Release the GPIO lines gpiozero holds (before their chip goes)."""
        if self._factory is not None:
            self._factory.close()
            self._factory = None

    def teardown(self) -> None:
        trace, self._trace = self._trace, None
        try:
            self.close_factory()
        finally:
            try:
                self._loader.unload_all()
            finally:
                if trace is not None:
                    trace.close()
