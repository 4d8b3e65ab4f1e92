"""The pi board: a real Raspberry Pi with jumper wires on its header."""

from __future__ import annotations

from gpiozero import Factory

from pilab.boards.base import MODELS
from pilab.boards.kernel import KernelBoard
from pilab.detect import detect, gpio_chips, pin_factory_name
from pilab.errors import GpioError
from pilab.wiring import Wiring


class PiBoard(KernelBoard):
    """Runs labs on this Pi's own kernel and GPIO chip (lgpio by default)."""

    name = "pi"

    def __init__(self) -> None:
        self.info = detect()
        header = gpio_chips(board=self.info)
        if header.chip is None:
            raise GpioError(f"no GPIO chip labelled {header.label} on this {self.info.model_name}",
                            hint="run 'pilab doctor'")
        super().__init__(MODELS[self.info.pi or "pi4"])
        self.chip = header.chip

    def setup(self, wiring: Wiring) -> None:
        """The Pi's jumpers are real wires: nothing to load."""

    def _make_factory(self) -> Factory:
        name = pin_factory_name(self.info)  # refuses RPi.GPIO on a Pi 5, in words
        if name in ("rpigpio", "RPiGPIOFactory"):
            from gpiozero.pins.rpigpio import RPiGPIOFactory

            return RPiGPIOFactory()
        from pilab.pinfactory import PilabLGPIOFactory

        return PilabLGPIOFactory(chip=self.chip.chardev if self.chip else 0)
