"""The vm board inside the guest: vgpio stands in for a Pi's header."""

from __future__ import annotations

import os

from gpiozero import Factory

from pilab.boards.kernel import KernelBoard
from pilab.boards.vgpio import VgpioHeader, ensure_evdev
from pilab.pimodels import PiModel
from pilab.wiring import Wiring


class VmGuestBoard(KernelBoard):
    """A real kernel in QEMU with the vgpio chip wired as the lab says."""

    name = "vm"

    def __init__(self, model: PiModel) -> None:
        super().__init__(model)
        self.header = VgpioHeader(model, self._loader)

    def setup(self, wiring: Wiring) -> None:
        ensure_evdev()
        if wiring.led is None and not wiring.buttons and not wiring.jumpers:
            return  # an input lab: no GPIO header needed
        self.chip = self.header.load(wiring)

    def _make_factory(self) -> Factory:
        # Imported here, not at the top: lgpio starts its edge-notification thread when
        # imported, and the warm VM's server must not have one before it forks.
        from pilab.kernel.pinfactory import LABEL_ENV, REVISION_ENV, VgpioFactory

        os.environ[LABEL_ENV] = self.model.label
        os.environ[REVISION_ENV] = self.model.name if self.model.name != "vgpio" else "pi4"
        assert self.chip is not None
        return VgpioFactory(chip=self.chip.chardev)

    def apply_level(self, bcm: int, level: int) -> None:
        self.header.apply_level(bcm, level)

    def bounce(self, bcm: int, level: int, bounces: int, seconds: float) -> None:
        """vgpio flips the line (an hrtimer): a program under TCG cannot, 150 µs apart."""
        self.header.arm_bounce(bcm, bounces, seconds)
        self.pin_factory.pin(bcm).state = level
