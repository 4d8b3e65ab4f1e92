"""Lab bh_thread (guide 15.4): the top half wakes the IRQ's thread, which works."""

from __future__ import annotations

import re

from pilab.labs.bh_thread.loglines import END, START, TOP
from pilab.labs.common.halves import HalfLines, HalvesLab, Watch, led_word
from pilab.steps import Step

LINES = HalfLines(TOP, START, END)
THREAD = re.compile(r"^irq/(?P<irq>\d+)-")  # an IRQ thread's comm: irq/<N>-<name>


class BhThreadLab(HalvesLab):
    """request_threaded_irq(): the top half only wakes the thread; the thread sleeps."""

    name = "bh_thread"
    title = "threaded IRQ: the IRQ's own thread switches the LED and sleeps"
    module = "bh_thread"
    lines = LINES
    busy_extra = (1, 1)

    def press_step_name(self, button: int) -> str:
        return (f"button {button}: the thread irq/N-... turns the LED {led_word(button)} "
                "and sleeps work_ms")

    def busy_step_name(self) -> str:
        return "button 1 twice while its thread works: the thread runs once more, not twice"

    def check_thread_run(self, step: Step, start_text: str, button: int, irqs: list[int]) -> None:
        """The run's start line: this button, in its IRQ's thread, LED switched there."""
        start = LINES.start.match(start_text)
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

    def check_press(self, step: Step, watch: Watch, button: int, irqs: list[int]) -> None:
        journal = watch.journal
        step.note(log=[r.text for r in journal.records])
        step.expect([b for b, _ in journal.tops] == [button],
                    f"expected one top-half line for button {button}: {self.tail(journal)}")
        step.expect(len(journal.runs) == 1,
                    f"{len(journal.runs)} thread runs for one press: {self.tail(journal)}")
        top, run = journal.tops[0][1], journal.runs[0]
        step.expect(journal.position(top) < journal.position(run.start),
                    "the thread's start line came before the top half's line")
        self.check_thread_run(step, run.start.text, button, irqs)
        step.note(led_reads_during_thread=len(watch.samples))
        step.expect(watch.led_in_work(int(button == 1)), f"the LED never read {int(button == 1)} "
                    f"while the thread slept ({len(watch.samples)} reads between its start and "
                    "end lines)")

    def check_busy(self, step: Step, watch: Watch, irqs: list[int]) -> None:
        journal = watch.journal
        step.note(log=[r.text for r in journal.records])
        tops = [b for b, _ in journal.tops]
        step.expect(tops == [1, 1, 1], f"top halves for buttons {tops}, expected [1, 1, 1]: "
                    "every press runs the top half at once, busy thread or not")
        step.expect(len(journal.runs) == 2, f"the thread ran {len(journal.runs)} times for three "
                    "presses, expected 2: woken twice while it ran, it runs once more")
        for run in journal.runs:
            self.check_thread_run(step, run.start.text, 1, irqs)
        step.expect(watch.led_after == 1, "the LED is not on after button 1")
