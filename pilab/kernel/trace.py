"""The kernel's own tracepoints, recorded in a private tracefs instance and parsed.

A ``TraceSession`` makes ``instances/pilab-<pid>`` in tracefs, so it never
touches the global trace buffer or another tool's instance, enables the
events this kernel has, and removes the instance on exit whatever happened.
``parse_trace`` turns the instance's ``trace`` text into ``TraceEvent``s.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from pilab.errors import MissingDependency, PilabError

TRACEFS = Path("/sys/kernel/tracing")
DEBUGFS_TRACEFS = Path("/sys/kernel/debug/tracing")

# What pilab records around a button press. irq:tasklet_* may be missing on
# older kernels: the softirq TASKLET/HI vectors stand in for them then.
PRESS_EVENTS = (
    "irq:irq_handler_entry", "irq:irq_handler_exit",
    "irq:softirq_entry", "irq:softirq_exit",
    "irq:tasklet_entry", "irq:tasklet_exit",
    "workqueue:workqueue_queue_work",
    "workqueue:workqueue_execute_start", "workqueue:workqueue_execute_end",
    "sched:sched_switch",
    "gpio:gpio_value", "gpio:gpio_direction",
)

# Events recorded only where the kernel lacks the one they stand in for. The
# softirq events are the tasklet fallback on kernels without irq:tasklet_*:
# where both exist, a tasklet scheduled again while it runs on another CPU
# makes that CPU re-raise its softirq in a tight loop, and tens of thousands
# of softirq_entry/exit pairs would overwrite the handler events around them.
FALLBACKS = {
    "irq:softirq_entry": "irq:tasklet_entry",
    "irq:softirq_exit": "irq:tasklet_exit",
}

# Kernel filters that keep the buffer to what pilab reads: only switches into
# or out of IRQ threads, only the tasklet softirq vectors (HI=0, TASKLET=6;
# BH workqueues run from them too).
PRESS_FILTERS = {
    "sched:sched_switch": 'prev_comm ~ "irq/*" || next_comm ~ "irq/*"',
    "irq:softirq_entry": "vec == 0 || vec == 6",
    "irq:softirq_exit": "vec == 0 || vec == 6",
}

# Trace clocks, best first. "mono" is CLOCK_MONOTONIC (time.monotonic() in
# Python) from one clocksource for every CPU; "global" is consistent across
# CPUs too, but holds time still when a CPU's clock lags; "local" is per CPU.
CLOCKS = ("mono", "global", "local")

BUFFER_KB = 1024  # per CPU: about 20000 events each


class TraceError(PilabError):
    """tracefs could not be set up, read or cleaned."""


# ---- records

# Third column of the irq-info flags (``dNh4.``): what the CPU was serving.
CONTEXTS = {"h": "hardirq", "H": "hardirq", "s": "softirq", "z": "nmi", "Z": "nmi"}

LINE = re.compile(
    r"^\s*(?P<task>.+?)-(?P<pid>\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(?P<cpu>\d+)\]\s+"
    r"(?P<flags>\S{4,6})\s+(?P<time>\d+(?:\.\d+)?):\s+(?P<event>\w+):\s?(?P<body>.*)$"
)

BODIES = {
    "irq_handler_entry": re.compile(r"irq=(?P<irq>\d+) name=(?P<name>.*)"),
    "irq_handler_exit": re.compile(r"irq=(?P<irq>\d+) ret=(?P<ret>\w+)"),
    "softirq_entry": re.compile(r"vec=(?P<vec>\d+) \[action=(?P<action>\w+)\]"),
    "tasklet_entry": re.compile(r"tasklet=(?P<tasklet>.*?) function=(?P<function>.*)"),
    "workqueue_execute_start": re.compile(
        r"work struct (?P<work>\w+): function (?P<function>.*)"),
    "workqueue_execute_end": re.compile(
        r"work struct (?P<work>\w+)(?:: function (?P<function>.*))?"),
    "workqueue_queue_work": re.compile(
        r"work struct=(?P<work>\w+) function=(?P<function>.*?) workqueue=(?P<workqueue>\S+)"),
    "sched_switch": re.compile(
        r"prev_comm=(?P<prev_comm>.*?) prev_pid=(?P<prev_pid>\d+) prev_prio=(?P<prev_prio>\d+)"
        r" prev_state=(?P<prev_state>\S+) ==> next_comm=(?P<next_comm>.*?)"
        r" next_pid=(?P<next_pid>\d+) next_prio=(?P<next_prio>\d+)"),
    "gpio_value": re.compile(r"(?P<gpio>\d+)\s+(?P<op>get|set)\s+(?P<value>-?\d+)"),
    "gpio_direction": re.compile(r"(?P<gpio>\d+)\s+(?P<direction>in|out)\s+\((?P<err>-?\d+)\)"),
}
BODIES["softirq_exit"] = BODIES["softirq_raise"] = BODIES["softirq_entry"]
BODIES["tasklet_exit"] = BODIES["tasklet_entry"]
KEY_VALUE = re.compile(r"(\w+)=(\S+)")
MODULE_SUFFIX = re.compile(r"^(?P<symbol>\S+) \[(?P<module>[\w-]+)\]$")


@dataclass(frozen=True)
class TraceEvent:
    """One line of the trace: who (task, pid, cpu, flags) did what (event, fields) when."""

    task: str
    pid: int
    cpu: int
    flags: str
    time: float  # seconds on the session's trace clock
    name: str  # the event, e.g. "irq_handler_entry"
    fields: Mapping[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def context(self) -> str:
        """"hardirq", "softirq", "nmi" or "process", from the flags' third column."""
        return CONTEXTS.get(self.flags[2:3], "process")

    def number(self, key: str) -> int:
        """Field *key* as an integer."""
        return int(self.fields[key])

    def __str__(self) -> str:
        return (f"{self.time:.6f} cpu{self.cpu} {self.context:<8} {self.task}-{self.pid}: "
                f"{self.name}: {self.body}")


def parse_fields(event: str, body: str) -> dict[str, str]:
    """The fields of *event*'s text; ``fn [module]`` symbols split into function and module."""
    regex = BODIES.get(event)
    if event == "tracing_mark_write":
        return {"text": body}
    if regex is None:
        return dict(KEY_VALUE.findall(body))
    match = regex.match(body)
    if match is None:
        return dict(KEY_VALUE.findall(body))
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    for key in ("function", "tasklet"):
        symbol = MODULE_SUFFIX.match(fields.get(key, ""))
        if symbol:
            fields[key] = symbol["symbol"]
            fields.setdefault("module", symbol["module"])
    return fields


def parse_line(line: str) -> TraceEvent | None:
    """One ``task-pid [cpu] flags time: event: body`` line, or None (comments, notes)."""
    if line.startswith("#"):
        return None
    match = LINE.match(line)
    if match is None:
        return None
    body = match["body"].rstrip()
    return TraceEvent(match["task"], int(match["pid"]), int(match["cpu"]), match["flags"],
                      float(match["time"]), match["event"], parse_fields(match["event"], body),
                      body)


def parse_trace(text: str) -> list[TraceEvent]:
    """Every event in a tracefs ``trace`` file's text, in the kernel's (time) order."""
    return [e for e in map(parse_line, text.splitlines()) if e is not None]


# ---- recording


def _usable(root: Path) -> bool:
    return (root / "instances").is_dir()


def tracefs_root() -> Path:
    """Where tracefs is; mounted at /sys/kernel/tracing if it is nowhere yet."""
    if os.geteuid() != 0:
        raise MissingDependency("reading the kernel's tracepoints needs root",
                                hint="run pilab as root (sudo)")
    for root in (TRACEFS, DEBUGFS_TRACEFS):
        if _usable(root):
            return root
    if TRACEFS.is_dir():
        subprocess.run(["mount", "-t", "tracefs", "nodev", str(TRACEFS)],
                       capture_output=True, check=False)
        if _usable(TRACEFS):
            return TRACEFS
    raise MissingDependency(
        "tracefs is not available (no /sys/kernel/tracing/instances)",
        hint="a kernel built with CONFIG_FTRACE and CONFIG_EVENT_TRACING is needed; "
             "try: mount -t tracefs nodev /sys/kernel/tracing",
    )


def _pid_alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def remove_stale_instances(root: Path) -> list[str]:
    """Remove pilab instances left by processes that no longer run; their names."""
    removed = []
    for path in sorted((root / "instances").glob("pilab-*")):
        match = re.fullmatch(r"pilab-(\d+)(?:-\d+)?", path.name)
        if match and not _pid_alive(int(match[1])):
            with suppress(OSError):
                path.rmdir()
                removed.append(path.name)
    return removed


class TraceSession:
    """A private tracefs instance recording *events* ("system:event") while open.

    ``enabled`` and ``missing`` say which of *events* this kernel has;
    ``clock`` is the trace clock used; ``read()`` parses what was recorded.
    """

    def __init__(self, events: Iterable[str] = PRESS_EVENTS,
                 filters: Mapping[str, str] = PRESS_FILTERS, buffer_kb: int = BUFFER_KB) -> None:
        self.events = tuple(events)
        self.filters = dict(filters)
        self.buffer_kb = buffer_kb
        self.enabled: tuple[str, ...] = ()
        self.missing: tuple[str, ...] = ()
        self.clock = ""
        self.path = Path()

    def __enter__(self) -> TraceSession:
        root = tracefs_root()
        remove_stale_instances(root)
        self.path = self._make_instance(root)
        try:
            self._configure()
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._remove()
        except TraceError:
            if kind is None:
                raise

    def _make_instance(self, root: Path) -> Path:
        base = f"pilab-{os.getpid()}"
        for n in range(100):
            path = root / "instances" / (base if n == 0 else f"{base}-{n}")
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
            except OSError as exc:
                raise TraceError(f"cannot create the tracefs instance {path}: {exc}") from None
        raise TraceError(f"too many tracefs instances named {base}-*")

    def _write(self, name: str, value: str) -> None:
        (self.path / name).write_text(value)

    def _configure(self) -> None:
        self._write("tracing_on", "0")
        available = (self.path / "trace_clock").read_text().replace("[", "").replace("]", "")
        self.clock = next(c for c in (*CLOCKS, "local") if c in available.split())
        self._write("trace_clock", self.clock)
        self._write("buffer_size_kb", str(self.buffer_kb))
        for option, value in (("irq-info", "1"), ("record-tgid", "0"), ("record-cmd", "1")):
            if (self.path / "options" / option).exists():
                self._write(f"options/{option}", value)
        enabled, missing = [], []
        for event in self.events:
            folder = self._folder(event)
            if not (folder / "enable").exists():
                missing.append(event)
                continue
            standin_for = FALLBACKS.get(event)
            if standin_for in self.events and (self._folder(standin_for) / "enable").exists():
                continue
            if event in self.filters:
                with suppress(OSError):  # an older kernel's filter syntax: unfiltered
                    (folder / "filter").write_text(self.filters[event])
            (folder / "enable").write_text("1")
            enabled.append(event)
        self.enabled, self.missing = tuple(enabled), tuple(missing)
        self._write("trace", "")
        self._write("tracing_on", "1")

    def _folder(self, event: str) -> Path:
        system, _, name = event.partition(":")
        return self.path / "events" / system / name

    def _remove(self) -> None:
        if not self.path.name or not self.path.exists():
            return
        with suppress(OSError):  # rmdir disables everything anyway
            self._write("tracing_on", "0")
            self._write("events/enable", "0")
        for _ in range(50):
            try:
                self.path.rmdir()
                return
            except OSError as exc:
                if exc.errno != errno.EBUSY:
                    raise TraceError(f"cannot remove the tracefs instance {self.path}: {exc}"
                                     ) from None
                time.sleep(0.02)  # a reader of the trace file is still closing it
        raise TraceError(f"the tracefs instance {self.path} stays busy",
                         hint=f"close what reads it, then: rmdir {self.path}")

    def mark(self, text: str) -> None:
        """Write *text* into the trace (a ``tracing_mark_write`` event), e.g. "press 1"."""
        self._write("trace_marker", text)

    def clear(self) -> None:
        """Empty the buffer."""
        self._write("trace", "")

    def text(self) -> str:
        """The instance's ``trace`` file as the kernel prints it."""
        return (self.path / "trace").read_text(errors="replace")

    def read(self) -> list[TraceEvent]:
        """Every event recorded so far (reading does not consume them)."""
        return parse_trace(self.text())

    def dropped(self) -> int:
        """Events lost because a CPU's buffer was full (the oldest are overwritten)."""
        lost = 0
        for stats in self.path.glob("per_cpu/cpu*/stats"):
            match = re.search(r"^overrun: (\d+)", stats.read_text(), re.M)
            lost += int(match[1]) if match else 0
        return lost


class KeptTrace:
    """One TraceSession for a board's whole life: each ``with`` starts on an empty buffer.

    Making and configuring a tracefs instance costs a third of a second under
    TCG, as much as the press it records. Clearing the buffer also zeroes its
    overrun counts, so ``dropped()`` still counts one press's losses.
    """

    def __init__(self) -> None:
        self.session = TraceSession()
        self._open = False

    def __enter__(self) -> TraceSession:
        if self._open:
            self.session.clear()
        else:
            self.session.__enter__()
            self._open = True
        return self.session

    def __exit__(self, *exc: object) -> None:
        """The instance stays: ``close()`` removes it."""

    def mark(self, text: str) -> None:
        self.session.mark(text)

    def read(self) -> list[TraceEvent]:
        return self.session.read()

    def dropped(self) -> int:
        return self.session.dropped()

    def close(self) -> None:
        if self._open:
            self._open = False
            self.session.__exit__(None, None, None)


class Recorder(Protocol):
    """What a lab records a press with: tracefs (TraceSession) or a model's ModelTrace."""

    def __enter__(self) -> Recorder: ...

    def __exit__(self, *exc: Any) -> None: ...

    def mark(self, text: str) -> None: ...

    def read(self) -> list[TraceEvent]: ...

    def dropped(self) -> int: ...


MODEL_FLAGS = {"hardirq": "d.h..", "softirq": "..s..", "process": "....."}


class ModelTrace:
    """A trace that the mock board's Python models write, in the kernel's own words.

    The models emit the events the real kernel would (a handler's entry and
    exit, a GPIO write, a tasklet's or an IRQ thread's run) from the context
    they stand for, so the labs read a model's trace as they read tracefs.
    Times are ``time.monotonic()``, as the ``mono`` trace clock.
    """

    def __init__(self) -> None:
        self.events: list[TraceEvent] = []
        self.recording = False
        self._where = threading.local()
        self._lock = threading.Lock()

    def __enter__(self) -> ModelTrace:
        with self._lock:
            self.events.clear()
            self.recording = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.recording = False

    @contextmanager
    def running_in(self, context: str, task: str) -> Iterator[None]:
        """Emit from *context* ("hardirq", "softirq", "process") as *task* meanwhile."""
        before = getattr(self._where, "now", None)
        self._where.now = (context, task)
        try:
            yield
        finally:
            self._where.now = before

    def emit(self, name: str, /, **fields: object) -> None:
        """Record event *name* with *fields*, from the context set by running_in()."""
        if not self.recording:
            return
        context, task = getattr(self._where, "now", None) or ("process", "python3")
        values = {k: str(v) for k, v in fields.items()}
        body = " ".join(f"{k}={v}" for k, v in values.items())
        event = TraceEvent(task, os.getpid(), 0, MODEL_FLAGS[context], time.monotonic(), name,
                           values, body)
        with self._lock:
            self.events.append(event)

    def mark(self, text: str) -> None:
        self.emit("tracing_mark_write", text=text)

    def read(self) -> list[TraceEvent]:
        with self._lock:
            return list(self.events)

    def dropped(self) -> int:
        """A model's trace keeps every event."""
        return 0
