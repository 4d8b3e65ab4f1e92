"""Where each press's LED write was made: the hard handler, a tasklet, or the IRQ's thread.

The three kernel paths differ only in who writes the LED, so that is what
proves a path, not its speed. The kernel's trace says who: the gpio_value
event's context and task, inside a run of the button IRQ's hard handler
(irq_handler_entry/exit) or of one of the module's tasklets
(tasklet_entry/exit) on the same CPU. The same evidence the halves labs
read (pilab.kernel.evidence).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pilab.kernel.evidence import GpioWrite, Run, handler_runs, run_at, tasklet_runs
from pilab.kernel.trace import TraceEvent
from pilab.steps import Step

HANDOUT = "docs/labs/latency.md"

# What a module must do for each path, said once for a failure's reason and a check's hint.
FIXES = {
    "hardirq": "with path=hardirq the handler given to request_irq() or "
               "request_threaded_irq() toggles the LED itself and returns IRQ_HANDLED",
    "tasklet": "with path=tasklet the hard handler only calls tasklet_schedule(), and the "
               "tasklet's function (tasklet_setup()) toggles the LED",
    "thread": "with path=thread request the IRQ with request_threaded_irq() and IRQF_ONESHOT; "
              "the hard handler returns IRQ_WAKE_THREAD (or is NULL) and the thread "
              "function toggles the LED",
}


@dataclass(frozen=True)
class Place:
    """Where one LED write was made: *path* is the lab's path it proves ("" for none),
    *words* say where for a person."""

    path: str
    words: str


def place_of(write: GpioWrite, handlers: Sequence[Run], tasklets: Sequence[Run],
             irq: int) -> Place:
    """Which path made *write*: inside a run of IRQ *irq*'s hard handler ("hardirq"),
    in softirq context inside one of *tasklets* ("tasklet"), or in IRQ *irq*'s
    thread in process context ("thread")."""
    if write.context == "hardirq":
        run = run_at(handlers, write.time, write.cpu)
        if run is not None:
            return Place("hardirq", f"in IRQ {irq}'s hard handler {run.name} (hard-IRQ context)")
        return Place("", f"in hard-IRQ context, outside IRQ {irq}'s handler")
    if write.context == "softirq":
        run = run_at(tasklets, write.time, write.cpu)
        if run is None:
            return Place("", "in softirq context, outside any tasklet of the module (a timer, "
                         "a BH work item?)")
        if run.kind == "softirq":  # a kernel without tasklet events: the vector only
            return Place("tasklet", f"in a {run.name} softirq run (softirq context)")
        return Place("tasklet", f"in the tasklet {run.name} [{run.module}] (softirq context)")
    if write.context == "process" and write.irq_thread == irq:
        return Place("thread", f"in {write.task}, IRQ {irq}'s thread (process context)")
    if write.irq_thread is not None:
        return Place("", f"in {write.task}, the thread of IRQ {write.irq_thread}, not of the "
                     f"button's IRQ {irq}")
    return Place("", f"in {write.context} context, by the task {write.task}")


def places(events: Sequence[TraceEvent], writes: Sequence[GpioWrite], irq: int,
           module: str) -> list[Place]:
    """Where each of *writes* was made, from the handler and tasklet runs in *events*."""
    handlers, tasklets = handler_runs(events, irq), tasklet_runs(events, module)
    return [place_of(w, handlers, tasklets, irq) for w in writes]


def check_where(step: Step, path: str, found: Sequence[Place], what: str) -> None:
    """Every press's LED write was made where *path* says (*what*, in words)."""
    counts = Counter(p.words for p in found)
    step.note(led_written=dict(counts))
    wrong = [(press, p) for press, p in enumerate(found, 1) if p.path != path]
    if not wrong:
        return
    where = "; ".join(f"{words} at {n} of {len(found)} presses"
                      for words, n in Counter(p.words for _, p in wrong).most_common())
    first = wrong[0][0]
    step.expect(False, f"the LED was toggled {where} (press {first} first), not in {what}: "
                f"{FIXES[path]} (see {HANDOUT})")
