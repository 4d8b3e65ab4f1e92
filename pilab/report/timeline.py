"""A press as a compact timeline: what the report draws, as small JSON-able data.

``press_timeline`` turns a press's trace events into tracks of level changes
(the button and LED lines) and spans (the hard IRQ handler, the tasklet or
work, the IRQ thread), times in µs from the press. It travels in a step's
details (``step.note(timeline=...)``), so it comes back from the VM as JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pilab.kernel.evidence import (
    Run,
    gpio_writes,
    handler_runs,
    tasklet_runs,
    thread_runs,
    work_runs,
)
from pilab.kernel.trace import TraceEvent
from pilab.steps import LabResult, Step

if TYPE_CHECKING:
    from pilab.boards.base import Board
    from pilab.wiring import Wiring

MAX_ITEMS = 40  # per track: a press has a handful; a storm would bloat the results

# Span tracks, in drawing order: id, label, and which runs fill it.
SPAN_TRACKS = (
    ("hardirq", "hard IRQ handler"),
    ("tasklet", "softirq / tasklet"),
    ("work", "worker"),
    ("thread", "IRQ thread"),
)

Timeline = dict[str, Any]


def drive_gpios(board: Board, wiring: Wiring) -> list[int]:
    """The global GPIO numbers of the pins that press each button, in button order."""
    return [board.gpio(wiring.drive_pin(b)) for b in wiring.buttons]


def _us(seconds: float, t0: float) -> float:
    return round((seconds - t0) * 1e6, 1)


def _spans(runs: Sequence[Run], t0: float) -> list[list[Any]]:
    return [[_us(r.start, t0), None if r.end is None else _us(r.end, t0), r.name]
            for r in runs[:MAX_ITEMS]]


def _span_runs(events: Sequence[TraceEvent], irqs: Sequence[int],
               module: str | None) -> dict[str, list[Run]]:
    tasklets = tasklet_runs(events, module)
    return {
        "hardirq": sorted((r for irq in irqs for r in handler_runs(events, irq)),
                          key=lambda r: r.start),
        "tasklet": tasklets,
        "work": work_runs(events, module),
        "thread": sorted((r for irq in irqs for r in thread_runs(events, irq)),
                         key=lambda r: r.start),
    }


def _button_changes(events: Sequence[TraceEvent], drive: int | None,
                    handlers: Sequence[Run]) -> tuple[list[tuple[float, int]], str]:
    """The button line's changes: its drive pin's writes, or each IRQ entry as an edge."""
    if drive is not None:
        writes = [(w.time, w.value) for w in gpio_writes(events, drive)]
        if writes:
            return writes, "drive pin"
    edges: list[tuple[float, int]] = []
    for run in handlers:
        edges += [(run.start, 1), (run.end if run.end is not None else run.start, 0)]
    return edges, "IRQ entry"


def press_timeline(events: Sequence[TraceEvent], irqs: Sequence[int], led: int,
                   drives: Sequence[int] = (), module: str | None = None) -> Timeline:
    """The press in *events* as tracks; *irqs* and *drives* are per button, *led* a GPIO.

    ``t0`` is the press on the trace clock (seconds): the first button change
    or hard handler entry; every other time is µs after it.
    """
    runs = _span_runs(events, irqs, module)
    buttons = []
    for index, irq in enumerate(irqs):
        drive = drives[index] if index < len(drives) else None
        changes, source = _button_changes(events, drive, handler_runs(events, irq))
        buttons.append((index + 1, irq, drive, changes, source))
    led_changes = [(w.time, w.value) for w in gpio_writes(events, led)]
    starts = [t for *_, changes, _ in buttons for t, v in changes if v == 1]
    starts += [r.start for r in runs["hardirq"]]
    if not starts:
        starts = [t for t, _ in led_changes] or [e.time for e in events[:1]] or [0.0]
    t0 = min(starts)
    tracks: list[dict[str, Any]] = []
    for button, irq, drive, changes, source in buttons:
        if changes:
            where = f"GPIO {drive}" if source == "drive pin" else f"IRQ {irq}"
            tracks.append({"id": f"button{button}", "kind": "line",
                           "label": f"button {button} ({where})", "source": source,
                           "changes": [[_us(t, t0), v] for t, v in changes[:MAX_ITEMS]]})
    if led_changes:
        tracks.append({"id": "led", "kind": "line", "label": f"LED (GPIO {led})",
                       "source": "gpio_value",
                       "changes": [[_us(t, t0), v] for t, v in led_changes[:MAX_ITEMS]]})
    for track, label in SPAN_TRACKS:
        if runs[track]:
            tracks.append({"id": track, "kind": "spans", "label": label,
                           "spans": _spans(runs[track], t0)})
    return {"t0": round(t0, 6), "tracks": tracks}


def end_us(timeline: Timeline) -> float:
    """The last time the timeline shows (µs), at least 1."""
    times = [1.0]
    for track in timeline.get("tracks", []):
        times += [c[0] for c in track.get("changes", [])]
        times += [s[1] if s[1] is not None else s[0] for s in track.get("spans", [])]
    return max(times)


def timelines(step_details: dict[str, Any]) -> list[Timeline]:
    """The timelines a step noted: one (a dict), or none."""
    value = step_details.get("timeline")
    return [value] if isinstance(value, dict) and value.get("tracks") else []


def lab_timelines(result: LabResult) -> list[tuple[Step, Timeline]]:
    """Every (step, timeline) of a lab's result, in step order."""
    return [(step, t) for step in result.steps for t in timelines(step.details)]
