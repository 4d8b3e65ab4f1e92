"""Lab bottomhalf (guide 15.3): a top half switches the LED, a bottom half works."""

from __future__ import annotations

from pilab.labs.bottomhalf.loglines import END, START, TOP
from pilab.labs.common.halves import HalfLines, HalvesLab, Press, Wording
from pilab.steps import Step


class BottomhalfLab(HalvesLab):
    """The hard IRQ handler switches the LED at once; a bottom half does the slow work.

    Any bottom half the kernel offers passes: a tasklet (the guide's), a work
    item (the upstream guide's current code), a BH workqueue.
    """

    name = "bottomhalf"
    lines = HalfLines(TOP, START, END)
    title = "top half switches the LED, a bottom half does the slow work"
    busy_extra = (2, 2)
    wording = Wording("bottom half", "button {button}: the top half turns the LED {led} before "
                      "the bottom half ends", "button 2 twice while the bottom half works: it "
                      "runs once more, not twice")

    def check_split(self, step: Step, press: Press, button: int, irqs: list[int],
                    led: int) -> None:
        """The LED was set in hard-IRQ context, before the bottom half ended; not a thread."""
        level = int(button == 1)
        writes = [w for w in press.led_writes if w.value == level]
        first = press.halves[0]
        step.note(bottom_half=str(first), led_write=[f"{w.context} in {w.task}" for w in writes])
        step.expect(any(w.context == "hardirq" for w in writes),
                    f"the LED was set to {level} in {writes[0].context if writes else 'no'} "
                    "context, not by the top half (the hard IRQ handler)")
        step.expect(first.kind != "thread", f"the bottom half ran as {first.task}, an IRQ "
                    "thread: that is the bh_thread lab; here a tasklet or a work item")
        hard = [w for w in writes if w.context == "hardirq"]
        step.expect(first.end is None or hard[0].time <= first.end,
                    "the LED was switched after the bottom half ended, not before it")
