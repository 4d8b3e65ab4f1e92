"""Model of kmods/bottomhalf.c: the top half switches the LED, a tasklet works."""

from __future__ import annotations

import time
from typing import Any

from pilab.labs.bottomhalf.loglines import END, START, TOP
from pilab.labs.common.halves_model import Deferred, HalvesModel
from pilab.labs.common.model import ModelKernel


class BottomhalfModel(HalvesModel):
    """What bottomhalf.ko does, on mock pins, in the same words."""

    name = "bottomhalf"

    def __init__(self, kernel: ModelKernel, **params: Any) -> None:
        self.tasklet = Deferred("ksoftirqd", self.bottom_half, kernel.trace, "tasklet", self.name)
        super().__init__(kernel, **params)

    def top_half(self, button: int) -> None:
        word = self.set_led(button)
        self.printk(TOP.body(button=button, led=word))
        self.tasklet.request()

    def bottom_half(self) -> None:
        """The tasklet: runs in softirq context and busy-waits work_ms."""
        self.printk(START.body(softirq=1))
        time.sleep(self.work_ms / 1000)
        self.printk(END.body())

    def deferred(self) -> list[Deferred]:
        return [self.tasklet]
