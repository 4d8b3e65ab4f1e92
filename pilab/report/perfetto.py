"""A run's presses as a Chrome/Perfetto JSON trace: spans as "X" events, lines as counters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pilab.report.timeline import end_us, lab_timelines
from pilab.steps import LabResult

# One thread row per track, in the order the timeline draws them.
TIDS = {"button1": 1, "button2": 2, "led": 3, "hardirq": 4, "tasklet": 5, "work": 6,
        "thread": 7}


def _meta(name: str, pid: int, tid: int, value: str) -> dict[str, Any]:
    return {"name": name, "ph": "M", "ts": 0, "pid": pid, "tid": tid, "args": {"name": value}}


def trace_events(results: list[LabResult]) -> list[dict[str, Any]]:
    """The events of every lab's timelines; a lab is a process, a track a thread.

    ts is µs on the trace clock (the press's t0 plus the track's time).
    """
    events: list[dict[str, Any]] = []
    for pid, result in enumerate(results, 1):
        presses = lab_timelines(result)
        if not presses:
            continue
        events.append(_meta("process_name", pid, 0, f"{result.name} ({result.board})"))
        named: set[str] = set()
        for step, timeline in presses:
            base, last = timeline["t0"] * 1e6, end_us(timeline)
            for track in timeline["tracks"]:
                tid = TIDS.get(track["id"], len(TIDS) + 1)
                if track["id"] not in named:
                    named.add(track["id"])
                    events.append(_meta("thread_name", pid, tid, track["label"]))
                for start, end, name in track.get("spans", []):
                    stop = last if end is None else end
                    events.append({"name": name, "cat": track["id"], "ph": "X",
                                   "ts": round(base + start, 1), "dur": round(stop - start, 1),
                                   "pid": pid, "tid": tid, "args": {"step": step.name}})
                for time, level in track.get("changes", []):
                    events.append({"name": track["label"], "cat": track["id"], "ph": "C",
                                   "ts": round(base + time, 1), "pid": pid, "tid": tid,
                                   "args": {"level": level}})
    return events


def write_perfetto(results: list[LabResult], path: Path) -> None:
    """Write the JSON trace that the Perfetto UI and chrome://tracing open."""
    trace = {"traceEvents": trace_events(results), "displayTimeUnit": "ms"}
    path.write_text(json.dumps(trace, indent=1) + "\n")
