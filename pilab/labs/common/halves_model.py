"""What the bottomhalf and bh_thread models share: parameters, pins, deferred work."""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable
from typing import Any

from pilab.kernel.trace import ModelTrace
from pilab.labs.common.model import ButtonModel, ModelKernel

WORK_MS_MAX = 10000  # as the modules' WORK_MS_MAX


class Deferred:
    """Work that runs later in its own thread, as a tasklet or an IRQ thread does.

    The kernel keeps one 'scheduled' bit (TASKLET_STATE_SCHED for a tasklet,
    IRQTF_RUNTHREAD for an IRQ thread), not a count: asked again before it
    runs, the work still runs once; asked while it runs, it runs once more
    afterwards, however often it was asked.
    """

    def __init__(self, name: str, work: Callable[[], None], trace: ModelTrace,
                 kind: str = "tasklet", module: str = "") -> None:
        self.name = name  # the thread's name: the model prints it as current->comm
        self.kind = kind  # "tasklet" (softirq context) or "thread" (an IRQ thread)
        self.module = module
        self._trace = trace
        self._work = work
        self._lock = threading.Lock()
        self._scheduled = False
        self._runner: threading.Thread | None = None

    def request(self) -> None:
        """tasklet_schedule() / wake the IRQ thread."""
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
            if self._runner is None:
                self._runner = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._runner.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._scheduled:
                    self._runner = None
                    return
                self._scheduled = False
            self._traced_work()

    def _traced_work(self) -> None:
        """Run the work once, in the trace as the kernel would show it."""
        trace = self._trace
        if self.kind == "thread":
            with trace.running_in("process", self.name):
                trace.emit("sched_switch", prev_comm="swapper/0", prev_pid=0, prev_prio=120,
                           prev_state="R", next_comm=self.name, next_pid=1, next_prio=49)
                self._work()
                trace.emit("sched_switch", prev_comm=self.name, prev_pid=1, prev_prio=49,
                           prev_state="S", next_comm="swapper/0", next_pid=0, next_prio=120)
            return
        function = getattr(self._work, "__name__", "bottom_half")
        with trace.running_in("softirq", "ksoftirqd/0"):
            trace.emit("tasklet_entry", tasklet="0x0", function=function, module=self.module)
            self._work()
            trace.emit("tasklet_exit", tasklet="0x0", function=function, module=self.module)

    def drain(self) -> None:
        """Wait until nothing is scheduled or running (tasklet_kill, free_irq)."""
        with self._lock:
            runner = self._runner
        if runner is not None and runner is not threading.current_thread():
            runner.join()


class HalvesModel(ButtonModel):
    """A module whose button interrupts have a top and a bottom half."""

    def __init__(self, kernel: ModelKernel, work_ms: int = 500, **params: Any) -> None:
        self.work_ms = int(work_ms)
        super().__init__(kernel, work_ms=work_ms, **params)

    def check_params(self, led: int, buttons: list[int], **extra: Any) -> None:
        super().check_params(led, buttons)
        if not 0 <= self.work_ms <= WORK_MS_MAX:
            raise self.fail(errno.EINVAL, f"work_ms {self.work_ms}: not in 0..{WORK_MS_MAX}")

    def on_press(self, button: int) -> None:
        self.top_half(button)

    def top_half(self, button: int) -> None:
        """The hard IRQ handler of *button* (1 or 2)."""
        raise NotImplementedError

    def deferred(self) -> list[Deferred]:
        """The bottom halves to wait for at unload."""
        raise NotImplementedError

    def unload(self) -> None:
        """free_irq() first, so nothing schedules again; then wait; LED off."""
        for pin, _ in self._watched:
            pin.when_changed = None
        for work in self.deferred():
            work.drain()
        self.led.state = 0
        super().unload()
