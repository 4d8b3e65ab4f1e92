"""Did a module's exit return while its bottom half still ran? The kernel's tracepoints say.

A tasklet left running at unload rarely crashes: free_module() waits for an
RCU grace period, and a CPU in a softirq holds that up, so the module's code
stays mapped until the tasklet returns. The mistake is still there (a
tasklet scheduled a moment later runs after the code is gone), and the trace
shows it every time: ``module_free`` (the exit has returned) while the
tasklet softirq the press started is still running on its CPU.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

TRACEFS_PLACES = (Path("/sys/kernel/tracing"), Path("/sys/kernel/debug/tracing"))
EVENTS = ("module/module_free", "irq/irq_handler_entry", "irq/softirq_entry",
          "irq/softirq_exit")
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
        self.dir = root / "instances" / f"pilab-unload-{os.getpid()}" if root else None
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
        except OSError:
            self._remove()
            self.dir = None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.dir is not None:
            (self.dir / "tracing_on").write_text("0")
            self.text = (self.dir / "trace").read_text(errors="replace")
            self._remove()

    def _remove(self) -> None:
        if self.dir is not None and self.dir.exists():
            for event in EVENTS:
                path = self.dir / "events" / event / "enable"
                if path.exists():
                    path.write_text("0")
            self.dir.rmdir()


@dataclass(frozen=True)
class Outlived:
    """A tasklet softirq still running when the module was freed."""

    cpu: int
    started: float
    freed: float

    def __str__(self) -> str:
        return (f"the module's exit returned (module_free at {self.freed:.6f}) while the tasklet "
                f"softirq the press started at {self.started:.6f} still ran on CPU {self.cpu}")


def bottom_half_outlived(text: str, module: str, irq: int) -> Outlived | None:
    """From the trace: was a softirq that followed *irq*'s handler still running at unload?"""
    handled: set[int] = set()  # CPUs where the button's handler ran
    running: dict[int, float] = {}  # CPU -> when its tasklet softirq began, after a press
    for line in text.splitlines():
        m = LINE.search(line)
        if m is None:
            continue
        cpu, when, event, body = int(m["cpu"]), float(m["time"]), m["event"], m["body"]
        if event == "irq_handler_entry" and body.startswith(f"irq={irq} "):
            handled.add(cpu)
        elif event == "softirq_entry" and cpu in handled:
            running[cpu] = when
        elif event == "softirq_exit":
            running.pop(cpu, None)
        elif event == "module_free" and body.strip() == module and running:
            cpu, started = min(running.items(), key=lambda item: item[1])
            return Outlived(cpu, started, when)
    return None
