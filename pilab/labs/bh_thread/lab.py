"""Lab bh_thread (guide 15.4): the top half wakes the IRQ's thread, which works."""

from __future__ import annotations

from pilab.labs.bh_thread.loglines import END, START, TOP
from pilab.labs.common.halves import HalfLines, HalvesLab, Press, Wording
from pilab.steps import Step


class BhThreadLab(HalvesLab):
    """request_threaded_irq(): the top half only wakes the thread; the thread works."""

    name = "bh_thread"
    lines = HalfLines(TOP, START, END)
    title = "threaded IRQ: the IRQ's own thread switches the LED and sleeps"
    busy_extra = (1, 1)
    wording = Wording("thread", "button {button}: the thread irq/N-... turns the LED {led} "
                      "and sleeps work_ms", "button 1 twice while its thread works: the "
                      "thread runs once more, not twice")

    def runs(self, press: Press) -> int:
        """An IRQ thread woken while it runs loops without switching out: the trace shows
        one long run. Each run switches the LED once, so its writes count the runs."""
        return sum(w.irq_thread is not None and w.context == "process" for w in press.led_writes)

    def first_run_end(self, press: Press) -> float | None:
        """The thread's first loop ends where its second begins (its second LED write):
        the trace's one long run spans every loop, so a press during the second loop
        would pass for one during the first, and its (right) extra run for a wrong one."""
        writes = sorted(w.time for w in press.led_writes
                        if w.irq_thread is not None and w.context == "process")
        return writes[1] if len(writes) > 1 else super().first_run_end(press)

    def check_split(self, step: Step, press: Press, button: int, irqs: list[int],
                    led: int) -> None:
        """The LED was set by this button's IRQ thread, in process context."""
        irq, level = irqs[button - 1], int(button == 1)
        writes = [w for w in press.led_writes if w.value == level]
        step.note(led_write=[f"{w.context} in {w.task}" for w in writes])
        step.expect(any(w.irq_thread == irq and w.context == "process" for w in writes),
                    f"the LED was set to {level} by "
                    f"{', '.join(sorted({w.task for w in writes})) or 'nobody'}, not by "
                    f"irq/{irq}-..., button {button}'s IRQ thread")
        threads = [run for run in press.halves if run.kind == "thread"]
        step.expect(bool(threads), f"IRQ {irq}'s thread never ran")
