"""Did the extra presses land while the first bottom half ran? Replayed from real traces."""

from __future__ import annotations

from pilab.kernel.evidence import GpioWrite, Run
from pilab.labs.bh_thread.lab import BhThreadLab
from pilab.labs.common.halves import Press

THREAD = "irq/42-bh_threa"


def _press(tops: list[float], thread: tuple[float, float], writes: list[float]) -> Press:
    handlers = [[Run("hardirq", "bh_thread", 0, t, t + 1e-5, "hardirq", "swapper/0")
                 for t in tops], []]
    halves = [Run("thread", THREAD, 1, *thread, "process", THREAD)]
    led = [GpioWrite(t, 974, 1, "process", THREAD, 300, 1) for t in writes]
    return Press([], handlers, halves, led, [len(tops), 0], 1)


def test_a_press_during_the_threads_second_loop_did_not_land() -> None:
    """A fresh-machine run (6.1, TCG, loaded): the third press came 0.4 ms into the
    thread's second loop, which the trace shows as one long run; the module was right
    to loop once more, so the step must try again, not fail it."""
    press = _press(tops=[96.369979, 96.651903, 96.682653], thread=(96.374209, 97.326797),
                   writes=[96.374300, 96.682400, 97.002400])
    assert not BhThreadLab().extra_presses_landed(press)


def test_presses_during_the_first_loop_landed() -> None:
    press = _press(tops=[96.369979, 96.451903, 96.552653], thread=(96.374209, 96.998),
                   writes=[96.374300, 96.682400])
    assert BhThreadLab().extra_presses_landed(press)
