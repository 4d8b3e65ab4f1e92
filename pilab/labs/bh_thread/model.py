"""Model of kmods/bh_thread.c: the top half wakes the IRQ's thread, which works."""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

from pilab.labs.bh_thread.loglines import END, START, TOP
from pilab.labs.common.halves_model import Deferred, HalvesModel
from pilab.labs.common.model import ModelKernel

TASK_COMM_LEN = 16  # current->comm holds 15 characters and a NUL


class BhThreadModel(HalvesModel):
    """What bh_thread.ko does, on mock pins, in the same words."""

    name = "bh_thread"

    def __init__(self, kernel: ModelKernel, **params: Any) -> None:
        # one thread per IRQ, as request_threaded_irq() makes
        self.threads = [Deferred(f"button{b}", partial(self.bottom_half, b), kernel.trace,
                                 "thread", self.name) for b in (1, 2)]
        super().__init__(kernel, **params)
        for button, (thread, irq) in enumerate(zip(self.threads, self.irqs, strict=True), 1):
            thread.name = f"irq/{irq}-{self.name}#button{button}"[: TASK_COMM_LEN - 1]

    def top_half(self, button: int) -> None:
        self.printk(TOP.body(button=button))
        self.threads[button - 1].request()  # IRQ_WAKE_THREAD

    def bottom_half(self, button: int) -> None:
        """The threaded handler: switches the LED, then sleeps work_ms."""
        word = self.set_led(button)
        comm = threading.current_thread().name
        self.printk(START.body(button=button, comm=comm, led=word))
        time.sleep(self.work_ms / 1000)
        self.printk(END.body())

    def deferred(self) -> list[Deferred]:
        return self.threads
