"""What a trace proves: handler runs, LED writes and bottom halves, as plain data.

Pure functions over a list of ``TraceEvent`` (see pilab.kernel.trace), so a
check reads the kernel's own account of a press, not the module's printks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pilab.kernel.trace import TraceEvent

TASKLET_VECTORS = {"HI", "TASKLET"}  # softirq vectors that run tasklets (and BH workqueues)
THREAD = re.compile(r"^irq/(?P<irq>\d+)-")


@dataclass(frozen=True)
class Run:
    """One run of a handler or bottom half, from start to end (None: still running).

    kind: "hardirq" (an IRQ's hard handler), "tasklet", "softirq" (a HI or
    TASKLET vector, where the kernel has no tasklet events), "work" (a
    workqueue item) or "thread" (an IRQ thread).
    """

    kind: str
    name: str  # IRQ name, function, vector or thread name
    cpu: int
    start: float
    end: float | None
    context: str  # where it ran: "hardirq", "softirq" or "process"
    task: str  # the task it ran in (for hard IRQs and softirqs: the interrupted one)
    module: str = ""  # the module the function lives in, when the kernel says

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start

    def __str__(self) -> str:
        end = "still running" if self.end is None else f"{(self.end - self.start) * 1e3:.3f} ms"
        where = f" [{self.module}]" if self.module else ""
        return (f"{self.kind} {self.name}{where} on cpu{self.cpu} at {self.start:.6f} "
                f"({self.context}, in {self.task}): {end}")


@dataclass(frozen=True)
class GpioWrite:
    """A value the kernel set on a GPIO line, and who set it from where."""

    time: float
    gpio: int
    value: int
    context: str
    task: str
    pid: int
    cpu: int

    @property
    def irq_thread(self) -> int | None:
        """The IRQ whose thread made the write, or None."""
        return irq_of_thread(self.task)


def irq_of_thread(task: str) -> int | None:
    """41 for an IRQ thread named ``irq/41-...``; None for any other task."""
    match = THREAD.match(task)
    return int(match["irq"]) if match else None


def _pair(events: Iterable[TraceEvent], kind: str, entry: str, exit_: str,
          key: str, wanted: object = None) -> list[Run]:
    """Runs from *entry*/*exit_* events matched per CPU on field *key*."""
    open_runs: dict[tuple[int, str], TraceEvent] = {}
    runs: list[Run] = []
    for event in events:
        if event.name not in (entry, exit_):
            continue
        value = event.fields.get(key, "")
        if wanted is not None and value != str(wanted):
            continue
        slot = (event.cpu, value)
        if event.name == entry:
            open_runs[slot] = event
        elif slot in open_runs:
            start = open_runs.pop(slot)
            runs.append(_run(kind, start, event.time))
    runs += [_run(kind, e, None) for e in open_runs.values()]
    return sorted(runs, key=lambda r: r.start)


def _run(kind: str, start: TraceEvent, end: float | None) -> Run:
    f = start.fields
    name = f.get("name") or f.get("function") or f.get("action") or start.task
    return Run(kind, name, start.cpu, start.time, end, start.context, start.task,
               f.get("module", ""))


def handler_runs(events: Sequence[TraceEvent], irq: int) -> list[Run]:
    """The runs of IRQ *irq*'s hard handler (irq_handler_entry/exit)."""
    return _pair(events, "hardirq", "irq_handler_entry", "irq_handler_exit", "irq", irq)


def gpio_writes(events: Iterable[TraceEvent], gpio: int) -> list[GpioWrite]:
    """Every value the kernel set on global GPIO number *gpio* (gpio_value "set")."""
    return [GpioWrite(e.time, gpio, e.number("value"), e.context, e.task, e.pid, e.cpu)
            for e in events
            if e.name == "gpio_value" and e.fields.get("op") == "set"
            and e.fields.get("gpio") == str(gpio)]


def tasklet_runs(events: Sequence[TraceEvent], module: str | None = None) -> list[Run]:
    """Tasklet runs (tasklet_entry/exit); on kernels without those events, the
    HI/TASKLET softirq runs instead (kind "softirq": whose tasklet is unknown)."""
    if any(e.name == "tasklet_entry" for e in events):
        runs = _pair(events, "tasklet", "tasklet_entry", "tasklet_exit", "function")
        return [r for r in runs if module is None or r.module == module]
    runs = _pair(events, "softirq", "softirq_entry", "softirq_exit", "action")
    return [r for r in runs if r.name in TASKLET_VECTORS]


def work_runs(events: Sequence[TraceEvent], module: str | None = None,
              function: str | None = None) -> list[Run]:
    """Work item runs (workqueue_execute_start/end) by any worker, BH workqueues included
    (those run in softirq context); filtered by *module* or *function*."""
    runs = _pair(events, "work", "workqueue_execute_start", "workqueue_execute_end", "work")
    return [r for r in runs if (module is None or r.module == module)
            and (function is None or r.name == function)]


def workqueue_of(events: Iterable[TraceEvent], function: str) -> str | None:
    """The workqueue *function* was last queued on (workqueue_queue_work), if seen."""
    queues = [e.fields.get("workqueue") for e in events
              if e.name == "workqueue_queue_work" and e.fields.get("function") == function]
    return queues[-1] if queues else None


def thread_runs(events: Iterable[TraceEvent], irq: int) -> list[Run]:
    """Runs of IRQ *irq*'s thread ``irq/<irq>-...``: from a switch into it until it
    switches out to wait again (state S); sleeping inside the handler (D) is part of the run."""
    prefix = f"irq/{irq}-"
    runs: list[Run] = []
    start: TraceEvent | None = None
    for event in events:
        if event.name != "sched_switch":
            continue
        f = event.fields
        if start is None and f.get("next_comm", "").startswith(prefix):
            start = event
        elif start is not None and f.get("prev_comm", "").startswith(prefix) \
                and f.get("prev_state", "").startswith("S"):
            runs.append(_thread_run(start, event.time))
            start = None
    if start is not None:
        runs.append(_thread_run(start, None))
    return runs


def _thread_run(switch: TraceEvent, end: float | None) -> Run:
    name = switch.fields["next_comm"]
    return Run("thread", name, switch.cpu, switch.time, end, "process", name)


def run_at(runs: Iterable[Run], time: float, cpu: int) -> Run | None:
    """The run of *runs* on *cpu* that spans *time* (e.g. the handler around a GPIO write)."""
    return next((r for r in runs if r.cpu == cpu and r.start <= time
                 and (r.end is None or time <= r.end)), None)


def bottom_halves(events: Sequence[TraceEvent], irqs: Iterable[int] = (),
                  module: str | None = None) -> list[Run]:
    """Every bottom-half run: tasklets and work items (of *module*, if given) and
    the threads of *irqs*, in start order."""
    runs = tasklet_runs(events, module) + work_runs(events, module)
    for irq in irqs:
        runs += thread_runs(events, irq)
    return sorted(runs, key=lambda r: r.start)


def after_mark(events: Sequence[TraceEvent], text: str) -> list[TraceEvent]:
    """The events after the last marker *text* (TraceSession.mark); all if none."""
    marks = [i for i, e in enumerate(events)
             if e.name == "tracing_mark_write" and e.fields.get("text") == text]
    return list(events[marks[-1] + 1:]) if marks else list(events)


def relevant(event: TraceEvent, irqs: Iterable[int] = (), gpios: Iterable[int] = (),
             module: str | None = None) -> bool:
    """Whether *event* is about *irqs*, *gpios* or *module*'s tasklets and work."""
    f = event.fields
    irq_names = {str(i) for i in irqs}
    if f.get("irq") in irq_names:
        return True
    if event.context == "process" and irq_of_thread(event.task) in set(irqs):
        return True  # the thread itself (not an interrupt that hit it)
    if event.name == "sched_switch":
        return any(irq_of_thread(f.get(k, "")) in set(irqs) for k in ("prev_comm", "next_comm"))
    if event.name.startswith("gpio_"):
        return f.get("gpio") in {str(g) for g in gpios}
    if module and f.get("module") == module:
        return True
    return event.name == "tracing_mark_write"


def describe(events: Sequence[TraceEvent], irqs: Iterable[int] = (),
             gpios: Iterable[int] = (), module: str | None = None, last: int = 8) -> str:
    """The last *last* relevant events, one a line, for a failure message."""
    irqs, gpios = tuple(irqs), tuple(gpios)
    chosen = [e for e in events if relevant(e, irqs, gpios, module)][-last:]
    if not chosen:
        return "  (the trace shows nothing about these IRQs, GPIOs or module)"
    return "\n".join(f"  {e}" for e in chosen)
