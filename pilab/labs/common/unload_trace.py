"""Did a module's exit return while its bottom half still ran? The kernel's tracepoints say.

A tasklet left running at unload does not crash on this kernel: before the
module's memory goes, delete_module() waits for an RCU grace period (in
ftrace_release_mod() and free_module()), and a CPU in a softirq holds that
up. The mistake is still there (a tasklet scheduled a moment later runs
after the code is gone), and a trace shows it every time: the exit has
returned (the function tracer sees jump_label_module_notify(), the first
GOING notifier delete_module() calls after the exit) while the tasklet
softirq the press started still runs. Without the function tracer,
``module_free`` stands in (later, after the RCU wait: it sees less).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pilab.kernel.evidence import Run, handler_runs, run_at, tasklet_runs, thread_runs, work_runs
from pilab.kernel.trace import TraceEvent, parse_trace

TRACEFS_PLACES = (Path("/sys/kernel/tracing"), Path("/sys/kernel/debug/tracing"))
EVENTS = ("module/module_free", "irq/irq_handler_entry", "irq/softirq_entry",
          "irq/softirq_exit")
# What shows which bottom half a press asked for and when it ran (busy_at_unload): a
# kernel without one of these shows less, and says "not shown" sooner.
BUSY_EVENTS = ("irq/irq_handler_exit", "irq/tasklet_entry", "irq/tasklet_exit",
               "workqueue/workqueue_queue_work", "workqueue/workqueue_execute_start",
               "workqueue/workqueue_execute_end", "sched/sched_switch")
BUSY_FILTERS = {"sched/sched_switch": 'prev_comm ~ "irq/*" || next_comm ~ "irq/*"'}
UNLOAD_MARK = "pilab: unload"
BUFFER_KB = 4096  # per CPU: a tasklet re-raised in a loop must not push the press out
# What delete_module() calls right after the module's exit returned, before any
# RCU wait: the GOING notifiers (jump labels, tracepoints), then ftrace's release.
# (A kprobe event on them was refused with EINVAL on Debian's 6.1; the function
# tracer in a private instance works.)
EXIT_RETURNED = ("jump_label_module_notify", "tracepoint_module_notify", "ftrace_release_mod")
TASKLET_VECTORS = "vec == 0 || vec == 6"  # HI and TASKLET
CLOCKS = ("mono", "global")  # one clock for every CPU
LINE = re.compile(r"\[(?P<cpu>\d+)\].*?\s(?P<time>\d+\.\d+):\s+(?P<event>\w+):\s?(?P<body>.*)$")


def tracefs() -> Path | None:
    """Where tracefs is mounted (mounting it if need be), or None."""
    for place in TRACEFS_PLACES:
        if (place / "instances").is_dir():
            return place
    subprocess.run(["mount", "-t", "tracefs", "nodev", str(TRACEFS_PLACES[0])],
                   capture_output=True, check=False)
    return TRACEFS_PLACES[0] if (TRACEFS_PLACES[0] / "instances").is_dir() else None


class UnloadTrace:
    """A private tracefs instance recording unloads, IRQ handlers and tasklet softirqs."""

    def __init__(self) -> None:
        root = tracefs()
        self.root = root
        self.dir = root / "instances" / f"pilab-unload-{os.getpid()}" if root else None
        self.probed = False  # the exit's return is in the trace (the function tracer)
        self.probe_errors: list[str] = []
        self.traced_function = ""
        self.text = ""

    @property
    def available(self) -> bool:
        return self.dir is not None

    def __enter__(self) -> UnloadTrace:
        if self.dir is None:
            return self
        try:
            self.dir.mkdir()
            clocks = (self.dir / "trace_clock").read_text()
            clock = next((c for c in CLOCKS if re.search(rf"\b{c}\b", clocks)), None)
            if clock:
                (self.dir / "trace_clock").write_text(clock)
            (self.dir / "buffer_size_kb").write_text(str(BUFFER_KB))
            for event in EVENTS:
                (self.dir / "events" / event / "enable").write_text("1")
            self._enable_optional()
            for event in ("softirq_entry", "softirq_exit"):
                (self.dir / "events/irq" / event / "filter").write_text(TASKLET_VECTORS)
            self.probed = self._trace_function()
        except OSError:
            self._remove()
            self.dir = None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.dir is None:
            return
        try:
            (self.dir / "tracing_on").write_text("0")
            self.text = (self.dir / "trace").read_text(errors="replace")
        except OSError as exc:
            self.probe_errors.append(f"reading the trace: {exc}")
        finally:
            self._remove()

    def _enable_optional(self) -> None:
        """BUSY_EVENTS this kernel has (6.1 has no tasklet events), filtered."""
        assert self.dir is not None
        for event in BUSY_EVENTS:
            folder = self.dir / "events" / event
            if not (folder / "enable").exists():
                continue
            with suppress(OSError):  # an event refused shows less; the others still count
                if event in BUSY_FILTERS:
                    (folder / "filter").write_text(BUSY_FILTERS[event])
                (folder / "enable").write_text("1")

    def mark(self, text: str = UNLOAD_MARK) -> None:
        """*text* into the trace, on its clock (e.g. right before the unload)."""
        if self.dir is not None:
            with suppress(OSError):
                (self.dir / "trace_marker").write_text(text)

    def _trace_function(self) -> bool:
        """The function tracer, in the instance, on the first of EXIT_RETURNED it can trace."""
        assert self.dir is not None
        for function in EXIT_RETURNED:
            try:
                (self.dir / "set_ftrace_filter").write_text(function)
                (self.dir / "current_tracer").write_text("function")
            except OSError as exc:
                self.probe_errors.append(f"function tracer on {function}: {exc}")
                continue
            self.traced_function = function
            return True
        return False

    def _remove(self) -> None:
        """Tracer and events off, the instance gone (whatever fails)."""
        if self.dir is not None and self.dir.exists():
            switches = [self.dir / "current_tracer", *(self.dir / "events" / e / "enable"
                                                         for e in (*EVENTS, *BUSY_EVENTS))]
            for path in switches:
                with suppress(OSError):
                    path.write_text("nop" if path.name == "current_tracer" else "0")
            with suppress(OSError):
                self.dir.rmdir()


@dataclass(frozen=True)
class Outlived:
    """A tasklet softirq still running when the module's exit had returned."""

    cpu: int
    started: float
    returned: float

    def __str__(self) -> str:
        return (f"the module's exit returned ({self.returned:.6f}) while the tasklet softirq "
                f"the press started ({self.started:.6f}) still ran on CPU {self.cpu}")


def bottom_half_outlived(text: str, module: str, irq: int) -> Outlived | None:
    """From the trace: was a tasklet softirq that followed *irq*'s handler still running
    when the exit returned (the traced function, else module_free of *module*)?

    On a kernel without tasklet events the softirq's exit stands for the tasklet's end,
    but the softirq runs on a little after the tasklet function returns, and a loaded
    host can stop that vCPU right there while the unloading one goes on (seen: pilab's
    own module, whose exit waits in tasklet_kill(), judged late). So the exit counts as
    early only if the softirq then ran on for at least half as long as it had run:
    an exit that waited returns at the run's end, one that did not near its start (the
    checks unload early in a long bottom half).
    """
    probed = any(f": {f} <-" in text for f in EXIT_RETURNED)
    handled: set[int] = set()  # CPUs where the button's handler ran
    running: dict[int, float] = {}  # CPU -> when its tasklet softirq began, after a press
    early: Outlived | None = None  # the exit returned during that run: if it went on long
    for line in text.splitlines():
        if early is None and running and any(f": {f} <-" in line for f in EXIT_RETURNED):
            stamp = re.search(r"\s(\d+\.\d+):\s", line)
            cpu, started = min(running.items(), key=lambda item: item[1])
            early = Outlived(cpu, started, float(stamp[1]) if stamp else 0.0)
            continue
        m = LINE.search(line)
        if m is None:
            continue
        cpu, when, event, body = int(m["cpu"]), float(m["time"]), m["event"], m["body"]
        vector = re.match(r"vec=(\d+)", body)
        tasklet = vector is not None and vector[1] in ("0", "6")
        if event == "irq_handler_entry" and body.startswith(f"irq={irq} "):
            handled.add(cpu)
        elif event == "softirq_entry" and tasklet and cpu in handled:
            running[cpu] = when
        elif event == "softirq_exit" and tasklet:
            if early is not None and cpu == early.cpu:
                return early if when - early.returned >= (early.returned - early.started) / 2 \
                    else None
            running.pop(cpu, None)
        elif running and not probed and event == "module_free" and body.strip() == module:
            cpu, started = min(running.items(), key=lambda item: item[1])
            return Outlived(cpu, started, when)
    return early  # the softirq never ended in the trace


@dataclass(frozen=True)
class Asked:
    """A bottom-half run and when a press asked for it (its handler, or its queue_work)."""

    run: Run
    asked: float


def asked_runs(events: list[TraceEvent], irqs: Sequence[int]) -> list[Asked]:
    """The bottom-half runs the presses on *irqs* asked for: tasklets (or the tasklet
    softirq) on a CPU after a button's handler ran there, work queued from that handler,
    and the IRQs' threads, each with the time of the press that asked for it."""
    handlers = [run for irq in irqs for run in handler_runs(events, irq)]

    def last_press(before: float, cpu: int | None = None) -> float | None:
        starts = [h.start for h in handlers if h.start <= before and cpu in (None, h.cpu)]
        return max(starts) if starts else None

    found: list[Asked] = []
    for run in tasklet_runs(events):
        asked = last_press(run.start, run.cpu)
        if asked is not None:
            found.append(Asked(run, asked))
    queued: dict[str, list[float]] = {}  # work struct -> when the handler queued it
    for e in events:
        if e.name == "workqueue_queue_work" and e.context == "hardirq" \
                and run_at(handlers, e.time, e.cpu):
            queued.setdefault(e.fields.get("work", ""), []).append(e.time)
    for work, times in queued.items():
        for run in work_runs([e for e in events if e.fields.get("work") == work]):
            before = [t for t in times if t <= run.start]
            if before:
                found.append(Asked(run, max(before)))
    for irq in irqs:
        for run in thread_runs(events, irq):
            asked = max((h.start for h in handler_runs(events, irq) if h.start <= run.start),
                        default=None)
            if asked is not None:
                found.append(Asked(run, asked))
    return sorted(found, key=lambda a: a.run.start)


@dataclass(frozen=True)
class Busy:
    """What the trace shows of the bottom half when the unload began."""

    mark: float | None  # when the unload began (None: the mark is not in the trace)
    outstanding: list[Asked]  # asked before the unload, not ended by it
    asked_again: bool  # a press came while one of them ran (another run waits)

    def shown(self, pending: bool) -> bool:
        return bool(self.outstanding) and (self.asked_again or not pending)

    def __str__(self) -> str:
        if self.mark is None:
            return "the trace lost the moment of the unload"
        if not self.outstanding:
            return "no bottom half a press asked for was running or waiting when the unload began"
        first = self.outstanding[0].run
        state = "waiting" if first.start > self.mark else "running"
        again = ", and a press came during it" if self.asked_again else ""
        return f"at the unload ({self.mark:.6f}) the {first.kind} {first.name} was {state}{again}"


def busy_at_unload(text: str, irqs: Sequence[int], mark: str = UNLOAD_MARK) -> Busy:
    """From the trace: was a bottom half that the presses on *irqs* asked for running or
    waiting when *mark* was written (right before the unload), and did a press come
    while one ran?"""
    events = parse_trace(text)
    when = next((e.time for e in events if e.name == "tracing_mark_write"
                 and e.fields.get("text") == mark), None)
    if when is None:
        return Busy(None, [], False)
    outstanding = [a for a in asked_runs(events, irqs) if a.asked <= when
                   and (a.run.end is None or a.run.end > when)]
    starts = [h.start for irq in irqs for h in handler_runs(events, irq)]
    running = [a.run for a in outstanding if a.run.start <= when]
    again = any(r.start < s <= when for r in running for s in starts)
    return Busy(when, outstanding, again)
