"""Lab bh_thread (guide 15.4): the top half wakes the IRQ's thread, which works."""

from __future__ import annotations

import re

from pilab.labs.bh_thread.loglines import START
from pilab.labs.common.halves import HalvesLab, Journal, Watch, Wording, led_word
from pilab.steps import Step

THREAD = re.compile(r"^irq/(?P<irq>\d+)-")  # an IRQ thread's comm: irq/<N>-<name>


class BhThreadLab(HalvesLab):
    """request_threaded_irq(): the top half only wakes the thread; the thread sleeps."""

    name = "bh_thread"
    title = "threaded IRQ: the IRQ's own thread switches the LED and sleeps"
    busy_extra = (1, 1)
    wording = Wording("thread", "button {button}: the thread irq/N-... turns the LED {led} "
                      "and sleeps work_ms", "button 1 twice while its thread works: the "
                      "thread runs once more, not twice")

    def check_thread_run(self, step: Step, start_text: str, button: int, irqs: list[int]) -> None:
        """The run's start line: this button, in its IRQ's thread, LED switched there."""
        start = START.match(start_text)
        assert start is not None
        step.expect(int(start.group("button")) == button, f"the thread said: {start_text}")
        step.expect(start.group("led") == led_word(button), f"the thread said: {start_text}")
        comm = start.group("comm")
        thread = THREAD.match(comm)
        step.expect(thread is not None, f"the bottom half ran in {comm}, not an IRQ thread")
        assert thread is not None
        irq = int(thread.group("irq"))
        step.expect(irq == irqs[button - 1], f"the bottom half ran in {comm}, the thread of IRQ "
                    f"{irq}, but button {button} is IRQ {irqs[button - 1]}")

    def check_split(self, step: Step, journal: Journal, button: int, irqs: list[int]) -> None:
        self.check_thread_run(step, journal.runs[0].start.text, button, irqs)

    def check_busy_split(self, step: Step, watch: Watch, irqs: list[int]) -> None:
        for run in watch.journal.runs:
            self.check_thread_run(step, run.start.text, 1, irqs)
