"""The pi board: a real Raspberry Pi with jumper wires on its header.

In the VM, the same code runs on an emulated Pi: the Pi's captured device
tree laid over the guest's /sys, and vgpio, labelled and numbered as that
Pi's GPIO block, in place of the SoC's.
"""

from __future__ import annotations

from pathlib import Path

from gpiozero import Factory

from pilab.boards.kernel import KernelBoard
from pilab.boards.vgpio import VgpioHeader, ensure_evdev
from pilab.errors import GpioError
from pilab.kernel.detect import detect, emulation_root, gpio_chips, pin_factory_name, system_root
from pilab.pimodels import pi_model
from pilab.wiring import Wiring


class PiBoard(KernelBoard):
    """Runs labs on this Pi's own kernel and GPIO chip (lgpio by default).

    With *emulate* (inside the VM only), that Pi model is emulated.
    """

    name = "pi"

    def __init__(self, emulate: str | None = None) -> None:
        self.root: Path = emulation_root(emulate) if emulate else system_root()
        self.info = detect(self.root)
        if self.info.pi is None:
            gpio_chips(self.root, self.info)  # raises, naming what this machine is
        super().__init__(pi_model(self.info.pi or "pi4"))
        self.emulated_by = "vm" if emulate else None
        self._vgpio = VgpioHeader(self.model, self._loader) if emulate else None

    def setup(self, wiring: Wiring) -> None:
        """A real Pi's jumpers are wires: nothing to load. Emulated, vgpio is the header."""
        if self._vgpio is not None:
            ensure_evdev()
            if wiring.led is not None or wiring.buttons or wiring.jumpers:
                self._vgpio.load(wiring)
        header = gpio_chips(self.root, self.info)
        if header.chip is None and (wiring.led is not None or wiring.buttons):
            raise GpioError(f"no GPIO chip labelled {header.label} on this "
                            f"{self.info.model_name}", hint="run 'pilab doctor'")
        self.chip = header.chip

    def _make_factory(self) -> Factory:
        name = pin_factory_name(self.info)  # refuses RPi.GPIO on a Pi 5, in words
        if name in ("rpigpio", "RPiGPIOFactory"):
            from gpiozero.pins.rpigpio import RPiGPIOFactory

            return RPiGPIOFactory()
        from pilab.kernel.pinfactory import PilabLGPIOFactory

        # Emulated, there is no firmware to ask for the revision: the model's.
        revision = self.model.revision if self.emulated_by else None
        return PilabLGPIOFactory(chip=self.chip.chardev if self.chip else 0, revision=revision)

    def apply_level(self, bcm: int, level: int) -> None:
        if self._vgpio is None:
            super().apply_level(bcm, level)
        else:
            self._vgpio.apply_level(bcm, level)

    def bounce(self, bcm: int, level: int, bounces: int, seconds: float) -> None:
        """A real Pi flips the drive pin from here; emulated, vgpio flips it."""
        if self._vgpio is None:
            super().bounce(bcm, level, bounces, seconds)
            return
        self._vgpio.arm_bounce(bcm, bounces, seconds)
        self.pin_factory.pin(bcm).state = level
