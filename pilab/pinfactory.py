"""gpiozero pin factories for pilab: lgpio that lets go of lines, and vgpio.

``pilab-vgpio`` (registered under ``gpiozero_pin_factories``): off a Pi,
gpiozero cannot find a board revision and refuses to start. VgpioFactory is
LGPIOFactory with a revision of our choosing and the chip found by label, so
``GPIOZERO_PIN_FACTORY=pilab-vgpio`` drives vgpio lines like a Pi's.
"""

from __future__ import annotations

import os
from contextlib import suppress

import lgpio
from gpiozero.pins.lgpio import LGPIOFactory, LGPIOPin

from pilab.gpiochip import find_chip

# Revision codes gpiozero knows: Pi 3B, Pi 4B 4GB, Pi 5 4GB.
REVISIONS = {"pi3": 0xA02082, "pi4": 0xC03111, "pi5": 0xC04170}
REVISION_ENV = "PILAB_VGPIO_REVISION"
LABEL_ENV = "PILAB_VGPIO_LABEL"


class ReleasingPin(LGPIOPin):
    """An lgpio pin that gives its line back to the kernel when closed.

    gpiozero's LGPIOPin keeps a closed pin claimed as an input, so a module
    loaded afterwards finds the line busy (EBUSY). A lab hands lines to and
    from its modules, so ours are freed.
    """

    def close(self) -> None:
        # Not via when_changed = None: LGPIOPin's way of stopping alerts claims
        # the line again, and a module may hold it by now.
        callback = self.__dict__.get("_callback")
        if callback is not None:
            callback.cancel()
            self.__dict__["_callback"] = None
        if self.factory._handle is not None:
            with suppress(lgpio.error):  # not claimed: nothing to give back
                lgpio.gpio_free(self.factory._handle, self._number)


class PilabLGPIOFactory(LGPIOFactory):
    """LGPIOFactory whose pins release their lines on close."""

    def __init__(self, chip: int | None = None) -> None:
        super().__init__(chip=chip)
        self.pin_class = ReleasingPin


class VgpioFactory(PilabLGPIOFactory):
    """The lgpio factory on the vgpio chip, pretending to be a Pi of a set model."""

    def __init__(self, chip: int | None = None) -> None:
        if chip is None:
            label = os.environ.get(LABEL_ENV, "vgpio")
            found = find_chip((label,)).chardev
            chip = 0 if found is None else found
        super().__init__(chip=chip)

    def _get_revision(self) -> int:
        model = os.environ.get(REVISION_ENV, "pi4")
        return REVISIONS.get(model, REVISIONS["pi4"])
