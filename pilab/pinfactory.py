"""A gpiozero pin factory for the vgpio chip, registered as ``pilab-vgpio``.

Off a Pi, gpiozero cannot find a board revision and refuses to start. This
factory is LGPIOFactory with a revision of our choosing and the chip found by
label, so ``GPIOZERO_PIN_FACTORY=pilab-vgpio`` drives vgpio lines like a Pi's.
"""

from __future__ import annotations

import os

from gpiozero.pins.lgpio import LGPIOFactory

from pilab.gpiochip import find_chip

# Revision codes gpiozero knows: Pi 3B, Pi 4B 4GB, Pi 5 4GB.
REVISIONS = {"pi3": 0xA02082, "pi4": 0xC03111, "pi5": 0xC04170}
REVISION_ENV = "PILAB_VGPIO_REVISION"
LABEL_ENV = "PILAB_VGPIO_LABEL"


class VgpioFactory(LGPIOFactory):
    """LGPIOFactory on the vgpio chip, pretending to be a Pi of a set model."""

    def __init__(self, chip: int | None = None) -> None:
        if chip is None:
            label = os.environ.get(LABEL_ENV, "vgpio")
            found = find_chip((label,)).chardev
            chip = 0 if found is None else found
        super().__init__(chip=chip)

    def _get_revision(self) -> int:
        model = os.environ.get(REVISION_ENV, "pi4")
        return REVISIONS.get(model, REVISIONS["pi4"])
