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
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

TRACEFS_PLACES = (Path("/sys/kernel/tracing"), Path("/sys/kernel/debug/tracing"))
EVENTS = ("module/module_free", "irq/irq_handler_entry", "irq/softirq_entry",
          "irq/softirq_exit")
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
            for event in EVENTS:
                (self.dir / "events" / event / "enable").write_text("1")
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
                                                         for e in EVENTS)]
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
