"""vgpio, the virtual 40-pin header that stands in for a Pi's GPIO block in the VM."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pilab.boards.base import ModuleLoader
from pilab.kernel.gpiochip import GpioChip, find_chip
from pilab.pimodels import PiModel
from pilab.wiring import Wiring

DEBUGFS = Path("/sys/kernel/debug/vgpio")


def ensure_evdev() -> None:
    """Debian builds evdev as a module; the guest may not have loaded it yet."""
    if not Path("/sys/module/evdev").exists():
        subprocess.run(["modprobe", "evdev"], check=False, capture_output=True)


class VgpioHeader:
    """Loads vgpio labelled and numbered as *model*, wired as a lab says."""

    def __init__(self, model: PiModel, loader: ModuleLoader) -> None:
        self.model = model
        self._loader = loader

    def load(self, wiring: Wiring | None = None) -> GpioChip:
        """Load vgpio with the lab's jumpers; the chip it made."""
        params: dict[str, int | str] = {"label": self.model.label, "base": self.model.base}
        if wiring is not None and wiring.jumpers:
            params["wires"] = wiring.vgpio_wires()
        self._loader.load("vgpio", **params)
        return find_chip((self.model.label,))

    def arm_bounce(self, bcm: int, bounces: int, seconds: float) -> None:
        """Make line *bcm*'s next level change bounce *bounces* times within *seconds*."""
        with open(DEBUGFS / self.model.label / "bounce", "w") as f:
            f.write(f"{bcm} {bounces} {max(1, round(seconds * 1e6))}\n")

    def apply_level(self, bcm: int, level: int) -> None:
        """Set a line's level from outside, as a hand on a button would."""
        with open(DEBUGFS / self.model.label / f"GPIO{bcm}", "w") as f:
            f.write(f"{level}\n")
