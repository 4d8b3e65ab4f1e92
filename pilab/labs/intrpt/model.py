"""Model of kmods/intrpt.c: button 1 turns the LED on, button 2 off."""

from __future__ import annotations

import errno
from functools import partial
from typing import Any

from pilab.labs.common.model import KernelModel, ModelKernel
from pilab.labs.intrpt.loglines import LOADED, PRESS


class IntrptModel(KernelModel):
    """What intrpt.ko does, on mock pins, in the same words."""

    name = "intrpt"

    def __init__(self, kernel: ModelKernel, led: int = 4, buttons: Any = (17, 18), **extra: Any):
        super().__init__(kernel)
        buttons = list(buttons)
        if len(buttons) != 2:
            raise self.fail(errno.EINVAL, f"need exactly 2 buttons, got {len(buttons)}")
        if len({led, *buttons}) != 3:
            raise self.fail(errno.EINVAL, f"led {led} and buttons {buttons} must differ")
        self.led = self.request(led, "LED")
        self.led.function = "output"
        self.led.state = 0
        irqs = []
        for index, line in enumerate(buttons, 1):
            pin = self.request(line, f"button {index}")
            irqs.append(self.watch(pin, line, partial(self.on_button, index)))
        self.printk(LOADED.body(led=led, button1=buttons[0], button2=buttons[1], irq1=irqs[0],
                                irq2=irqs[1]))

    def on_button(self, index: int) -> None:
        on = index == 1
        self.led.state = int(on)
        self.printk(PRESS.body(button=index, led="on" if on else "off"))
