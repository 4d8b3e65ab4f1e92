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

from pilab.kernel.gpiochip import find_chip
from pilab.pimodels import VGPIO, pi_model

REVISION_ENV = "PILAB_VGPIO_REVISION"  # the Pi model vgpio's header pretends to be
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
    """LGPIOFactory whose pins release their lines on close.

    *revision*, when given, is the board's revision code: for a Pi emulated in
    the VM, whose firmware gpiozero would otherwise ask in vain.
    """

    def __init__(self, chip: int | None = None, revision: int | None = None) -> None:
        self._revision_override = revision
        super().__init__(chip=chip)
        self.pin_class = ReleasingPin

    def _get_revision(self) -> int:
        if self._revision_override is not None:
            return self._revision_override
        revision: int = super()._get_revision()
        return revision


class VgpioFactory(PilabLGPIOFactory):
    """The lgpio factory on the vgpio chip, pretending to be a Pi of a set model."""

    def __init__(self, chip: int | None = None) -> None:
        if chip is None:
            label = os.environ.get(LABEL_ENV, VGPIO.label)
            found = find_chip((label,)).chardev
            chip = 0 if found is None else found
        model = os.environ.get(REVISION_ENV, "pi4")
        super().__init__(chip=chip, revision=pi_model(model).revision)
