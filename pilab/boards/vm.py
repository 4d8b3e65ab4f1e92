"""The vm board inside the guest: vgpio stands in for the Pi's header."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gpiozero import Factory

from pilab.boards.kernel import KernelBoard
from pilab.gpiochip import find_chip
from pilab.pinfactory import LABEL_ENV, REVISION_ENV, VgpioFactory
from pilab.wiring import Wiring


def ensure_evdev() -> None:
    """Debian builds evdev as a module; the guest may not have loaded it yet."""
    if not Path("/sys/module/evdev").exists():
        subprocess.run(["modprobe", "evdev"], check=False, capture_output=True)


class VmGuestBoard(KernelBoard):
    """A real kernel in QEMU with the vgpio chip wired as the lab says."""

    name = "vm"

    def setup(self, wiring: Wiring) -> None:
        ensure_evdev()
        if wiring.led is None and not wiring.buttons and not wiring.jumpers:
            return  # an input lab: no GPIO header needed
        params: dict[str, int | str] = {"label": self.model.label, "base": self.model.base}
        if wiring.jumpers:
            params["wires"] = wiring.vgpio_wires()
        self._loader.load("vgpio", **params)
        self.chip = find_chip((self.model.label,))

    def _make_factory(self) -> Factory:
        os.environ[LABEL_ENV] = self.model.label
        os.environ[REVISION_ENV] = self.model.name if self.model.name != "vgpio" else "pi4"
        assert self.chip is not None
        return VgpioFactory(chip=self.chip.chardev)

    def apply_level(self, bcm: int, level: int) -> None:
        """Set a line's level from outside, as a hand on a button would."""
        path = f"/sys/kernel/debug/vgpio/{self.model.label}/GPIO{bcm}"
        with open(path, "w") as f:
            f.write(f"{level}\n")
