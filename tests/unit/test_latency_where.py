"""Where the latency lab sees each LED write, on traces captured in the VM (Linux 6.1).

tests/data/trace/latency-*.txt: one press each, LED = GPIO 974, drive = 997,
the button's IRQ = 40 ("latency#button"; IRQ 41 "lg" is pilab's sense pin).
latency-<path>: kmods/latency.c with path=<path>. latency-ignores-path-<path>:
tests/fixtures/broken/latency/ignores_path, which toggles in the hard
handler whatever path says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pilab.kernel.evidence import GpioWrite
from pilab.kernel.trace import TraceEvent, parse_trace
from pilab.labs.latency.lab import press_answers
from pilab.labs.latency.where import HANDOUT, Place, check_where, places
from pilab.steps import Step, StepFailed

DATA = Path(__file__).resolve().parent.parent / "data" / "trace"
LED, DRIVE, IRQ = 974, 997, 40


def answer(name: str) -> tuple[list[TraceEvent], GpioWrite]:
    """The trace of *name*, and the LED write that answered its one press."""
    events = parse_trace((DATA / f"latency-{name}-6.1.txt").read_text())
    [(_, write)] = press_answers(events, DRIVE, LED)
    assert write is not None
    return events, write


def place(name: str, irq: int = IRQ, module: str = "latency") -> Place:
    events, write = answer(name)
    [found] = places(events, [write], irq, module)
    return found


@pytest.mark.parametrize(("name", "path", "words"), [
    ("hardirq", "hardirq", "in IRQ 40's hard handler latency#button (hard-IRQ context)"),
    ("tasklet", "tasklet", "in the tasklet latency_tasklet_fn [latency] (softirq context)"),
    ("thread", "thread", "in irq/40-latency#, IRQ 40's thread (process context)"),
    ("ignores-path-tasklet", "hardirq",
     "in IRQ 40's hard handler latency#button (hard-IRQ context)"),
    ("ignores-path-thread", "hardirq",
     "in IRQ 40's hard handler latency#button (hard-IRQ context)"),
])
def test_each_write_is_placed_where_the_trace_shows_it(name: str, path: str,
                                                       words: str) -> None:
    assert place(name) == Place(path, words)


def test_a_write_inside_another_irqs_handler_proves_no_path() -> None:
    assert place("hardirq", irq=41) == Place("", "in hard-IRQ context, outside IRQ 41's handler")


def test_another_irqs_thread_proves_no_path() -> None:
    found = place("thread", irq=41)
    assert found.path == "" and "the thread of IRQ 40, not of the button's IRQ 41" in found.words


def test_another_modules_tasklet_proves_no_path() -> None:
    found = place("tasklet", module="bottomhalf")
    assert found.path == "" and found.words.startswith("in softirq context, outside any tasklet")


def test_without_tasklet_events_the_softirq_vector_stands_in() -> None:
    """A kernel without irq:tasklet_*: the TASKLET softirq's run holds the write."""
    _, write = answer("tasklet")
    lines = (DATA / "latency-tasklet-6.1.txt").read_text().splitlines()
    swapped = [line.replace("tasklet_entry: tasklet=latency_dev [latency] function="
                            "latency_tasklet_fn [latency]", "softirq_entry: vec=6 "
                            "[action=TASKLET]").replace(
                   "tasklet_exit: tasklet=latency_dev [latency] function=latency_tasklet_fn "
                   "[latency]", "softirq_exit: vec=6 [action=TASKLET]") for line in lines]
    assert swapped != lines
    [found] = places(parse_trace("\n".join(swapped)), [write], IRQ, "latency")
    assert found == Place("tasklet", "in a TASKLET softirq run (softirq context)")


def test_a_process_write_is_no_thread_path() -> None:
    write = GpioWrite(1.0, LED, 1, "process", "python3", 300, 0)
    [found] = places([], [write], IRQ, "latency")
    assert found == Place("", "in process context, by the task python3")


def test_every_press_must_be_where_the_path_says() -> None:
    good = Place("tasklet", "in the tasklet t [m] (softirq context)")
    bad = Place("hardirq", "in IRQ 40's hard handler h (hard-IRQ context)")
    step = Step("tasklet")
    check_where(step, "tasklet", [good, good], "a tasklet")
    assert step.details["led_written"] == {good.words: 2}
    with pytest.raises(StepFailed) as failed:
        check_where(Step("tasklet"), "tasklet", [good, bad, bad], "a tasklet")
    why = str(failed.value)
    assert why.startswith(f"the LED was toggled {bad.words} at 2 of 3 presses (press 2 first), "
                          "not in a tasklet: with path=tasklet")
    assert "tasklet_schedule()" in why and why.endswith(f"(see {HANDOUT})")
