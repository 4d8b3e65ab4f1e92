"""Lab bottomhalf (guide 15.3): a top half switches the LED, a tasklet works."""

from __future__ import annotations

from pilab.labs.bottomhalf.loglines import START, TOP
from pilab.labs.common.halves import HalvesLab, Journal, Watch, Wording, led_word
from pilab.steps import Step


class BottomhalfLab(HalvesLab):
    """The hard IRQ handler switches the LED at once; a tasklet busy-waits work_ms."""

    name = "bottomhalf"
    title = "top half switches the LED, a tasklet does the slow work"
    busy_extra = (2, 2)
    wording = Wording("tasklet", "button {button}: the top half turns the LED {led} before "
                      "the tasklet, in softirq context, ends",
                      "button 2 twice while the tasklet works: it runs once more, not twice")

    def check_split(self, step: Step, journal: Journal, button: int, irqs: list[int]) -> None:
        """The top half switched the LED; the tasklet ran in softirq context."""
        top, run = journal.tops[0][1], journal.runs[0]
        said = TOP.match(top.text)
        step.expect(said is not None and said["led"] == led_word(button),
                    f"the top half said: {top.text}")
        started = START.match(run.start.text)
        step.expect(started is not None and started["softirq"] == "1",
                    "the tasklet logged softirq 0: it did not run in softirq context")

    def check_busy_split(self, step: Step, watch: Watch, irqs: list[int]) -> None:
        """Only a top half can switch the LED while the tasklet is busy."""
        words = [TOP.match(r.text) for _, r in watch.journal.tops]
        step.expect([m["led"] if m else "" for m in words] == ["on", "off", "off"],
                    "the top halves did not switch the LED on, off, off")
        step.expect(watch.led_in_work(0, tops=2), "the LED did not read 0 after button 2's top "
                    "half while the first tasklet still worked: only a top half can switch it "
                    "then, the tasklet was busy")
