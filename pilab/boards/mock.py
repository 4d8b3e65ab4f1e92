"""The mock board: gpiozero's MockFactory and Python models of the modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gpiozero import Factory
from gpiozero.pins.mock import MockConnectedPin, MockFactory

from pilab.boards.base import Board, ModuleLoader
from pilab.errors import ModuleError
from pilab.kernel.inputs import InputReader
from pilab.kernel.klog import LogCursor
from pilab.kernel.trace import Recorder
from pilab.labs.common.model import IRQ_BASE, KernelModel, ModelKernel
from pilab.pimodels import PiModel
from pilab.wiring import Wiring

# The model of a kernel module by its name, or None (pilab.labs.model_of_module).
ModelLookup = Callable[[str], "type[KernelModel] | None"]


class ModelLoader(ModuleLoader):
    """Loads Python models in place of .ko files; *models* finds each module's."""

    def __init__(self, kernel: ModelKernel, models: ModelLookup) -> None:
        self.kernel = kernel
        self.models = models
        self.loaded: dict[str, KernelModel] = {}

    def load(self, name: str, **params: Any) -> None:
        if name in self.loaded:
            raise ModuleError(f"loading {name} failed (EEXIST): already loaded")
        model = self.models(name)
        if model is None:
            raise ModuleError(f"the mock board has no model of {name}")
        self.loaded[name] = model(self.kernel, **params)

    def unload(self, name: str) -> None:
        self.loaded.pop(name).unload()

    def unload_all(self) -> None:
        for name in reversed(list(self.loaded)):
            self.unload(name)


class MockBoard(Board):
    """Mock pins joined by MockConnectedPin where the wiring has a jumper; *models*
    gives each kernel module's Python model."""

    name = "mock"
    real_kernel = False

    def __init__(self, model: PiModel, models: ModelLookup) -> None:
        super().__init__(model)
        self._factory = MockFactory(revision=f"{model.revision:x}")
        self.kernel = ModelKernel(self._factory)
        self._loader = ModelLoader(self.kernel, models)

    @property
    def pin_factory(self) -> Factory:
        return self._factory

    @property
    def modules(self) -> ModuleLoader:
        return self._loader

    def open_log(self) -> LogCursor:
        return self.kernel.log

    def open_trace(self) -> Recorder:
        return self.kernel.trace

    def gpio(self, bcm: int) -> int:
        return bcm  # the models number lines from 0

    def setup(self, wiring: Wiring) -> None:
        for jumper in wiring.jumpers:
            target = self._factory.pin(jumper.target)
            self._factory.pin(jumper.source, pin_class=MockConnectedPin, input_pin=target)

    def teardown(self) -> None:
        self._loader.unload_all()
        self._factory.reset()

    def apply_level(self, bcm: int, level: int) -> None:
        """Set a line's level from outside, as a hand on a button would."""
        pin = self._factory.pin(bcm)
        pin.drive_high() if level else pin.drive_low()

    def input_nodes(self) -> set[str]:
        return set(self.kernel.inputs)

    def open_input(self, node: str) -> InputReader:
        return self.kernel.inputs[node].open()

    def irq_count(self, irq: int) -> int:
        return self.kernel.irq_counts.get(irq, 0)

    def irq_of(self, bcm: int) -> int | None:
        irq = IRQ_BASE + bcm
        return irq if irq in self.kernel.irq_counts else None

    def irq_handlers(self, irq: int) -> list[str]:
        return list(self.kernel.irq_handlers.get(irq, []))
