"""Boards with a real kernel: lab modules are .ko files, the log is /dev/kmsg."""

from __future__ import annotations

from typing import Any

from gpiozero import Factory

from pilab.boards.base import Board, ModuleLoader
from pilab.kernel.build import module_dir
from pilab.kernel.gpiochip import GpioChip
from pilab.kernel.klog import KernelLog, LogCursor
from pilab.kernel.modules import ModuleStack
from pilab.pimodels import PiModel


class KmodLoader(ModuleLoader):
    """ModuleLoader over finit_module/delete_module of the built .ko files."""

    def __init__(self) -> None:
        self.stack = ModuleStack(module_dir())

    def load(self, name: str, **params: Any) -> None:
        self.stack.load(name, **params)

    def unload(self, name: str) -> None:
        self.stack.unload(name)

    def unload_all(self) -> None:
        self.stack.unload_all()


class KernelBoard(Board):
    """Shared by the vm board (inside the guest) and the pi board."""

    def __init__(self, model: PiModel) -> None:
        super().__init__(model)
        self._loader = KmodLoader()
        self._factory: Factory | None = None
        self.chip: GpioChip | None = None

    @property
    def modules(self) -> ModuleLoader:
        return self._loader

    @property
    def pin_factory(self) -> Factory:
        if self._factory is None:
            self._factory = self._make_factory()
        return self._factory

    def _make_factory(self) -> Factory:
        raise NotImplementedError

    def open_log(self) -> LogCursor:
        return KernelLog()

    def gpio(self, bcm: int) -> int:
        assert self.chip is not None, "setup() finds the chip"
        return self.chip.global_number(bcm)

    def close_factory(self) -> None:
        """Release the GPIO lines gpiozero holds (before their chip goes)."""
        if self._factory is not None:
            self._factory.close()
            self._factory = None

    def teardown(self) -> None:
        try:
            self.close_factory()
        finally:
            self._loader.unload_all()
