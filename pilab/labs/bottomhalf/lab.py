"""Lab bottomhalf (guide 15.3): a top half switches the LED, a tasklet works."""

from __future__ import annotations

from pilab.labs.bottomhalf.loglines import END, START, TOP
from pilab.labs.common.halves import HalfLines, HalvesLab, Watch, led_word
from pilab.steps import Step

LINES = HalfLines(TOP, START, END)


class BottomhalfLab(HalvesLab):
    """The hard IRQ handler switches the LED at once; a tasklet busy-waits work_ms."""

    name = "bottomhalf"
    title = "top half switches the LED, a tasklet does the slow work"
    module = "bottomhalf"
    lines = LINES
    busy_extra = (2, 2)

    def press_step_name(self, button: int) -> str:
        return (f"button {button}: the top half turns the LED {led_word(button)} "
                "before the tasklet, in softirq context, ends")

    def busy_step_name(self) -> str:
        return "button 2 twice while the tasklet works: it runs once more, not twice"

    def check_press(self, step: Step, watch: Watch, button: int, irqs: list[int]) -> None:
        journal = watch.journal
        step.note(log=[r.text for r in journal.records])
        step.expect([b for b, _ in journal.tops] == [button],
                    f"expected one top-half line for button {button}: {self.tail(journal)}")
        step.expect(len(journal.runs) == 1,
                    f"{len(journal.runs)} tasklet runs for one press: {self.tail(journal)}")
        top, run = journal.tops[0][1], journal.runs[0]
        step.expect(f"-> LED {led_word(button)}" in top.text, f"the top half said: {top.text}")
        step.expect(journal.position(top) < journal.position(run.start),
                    "the tasklet's start line came before the top half's line")
        started = LINES.start.match(run.start.text)
        assert started is not None
        step.expect(started.group("softirq") == "1",
                    "the tasklet logged softirq 0: it did not run in softirq context")
        step.note(led_reads_during_tasklet=len(watch.samples))
        step.expect(watch.led_in_work(int(button == 1)), f"the LED never read {int(button == 1)} "
                    f"while the tasklet worked ({len(watch.samples)} reads between its start "
                    "and end lines)")

    def check_busy(self, step: Step, watch: Watch, irqs: list[int]) -> None:
        journal = watch.journal
        step.note(log=[r.text for r in journal.records])
        tops = [b for b, _ in journal.tops]
        step.expect(tops == [1, 2, 2], f"top halves for buttons {tops}, expected [1, 2, 2]: "
                    "every press runs its top half at once, busy tasklet or not")
        words = [LINES.top.match(r.text) for _, r in journal.tops]
        step.expect([m.group("led") if m else "" for m in words] == ["on", "off", "off"],
                    "the top halves did not switch the LED on, off, off")
        step.expect(len(journal.runs) == 2, f"the tasklet ran {len(journal.runs)} times for "
                    "three presses, expected 2: scheduled twice while it ran, it runs once more")
        step.note(led_reads_during_first_tasklet=len(watch.samples))
        step.expect(watch.led_in_work(0, tops=2), "the LED did not read 0 after button 2's top "
                    "half while the first tasklet still worked: only a top half can switch it "
                    "then, the tasklet was busy")
        step.expect(watch.led_after == 0, "the LED is not off after button 2")
