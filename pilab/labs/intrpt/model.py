"""Model of kmods/intrpt.c: button 1 turns the LED on, button 2 off."""

from __future__ import annotations

from pilab.labs.common.model import ButtonModel
from pilab.labs.intrpt.loglines import PRESS


class IntrptModel(ButtonModel):
    """What intrpt.ko does, on mock pins, in the same words."""

    name = "intrpt"

    def on_press(self, button: int) -> None:
        self.printk(PRESS.body(button=button, led=self.set_led(button)))
