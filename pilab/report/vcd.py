"""The GPIO lines of a lab's presses (buttons, LED) as a VCD, for GTKWave and friends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vcd import VCDWriter

from pilab.report.timeline import Timeline, lab_timelines
from pilab.steps import LabResult


def line_changes(presses: list[Timeline]) -> dict[str, list[tuple[int, int]]]:
    """Each line track's (µs from the lab's first press, level) changes, in time order."""
    if not presses:
        return {}
    base = presses[0]["t0"]
    lines: dict[str, list[tuple[int, int]]] = {}
    for timeline in presses:
        offset = (timeline["t0"] - base) * 1e6
        for track in timeline["tracks"]:
            if track["kind"] == "line":
                lines.setdefault(track["id"], []).extend(
                    (round(offset + t), int(v)) for t, v in track["changes"])
    return {name: sorted(changes) for name, changes in lines.items()}


def write_vcd(result: LabResult, path: Path) -> bool:
    """Write *result*'s lines to *path* (1 µs steps); False (nothing written) if it has none."""
    lines = line_changes([t for _, t in lab_timelines(result)])
    if not lines:
        return False
    changes = sorted((t, name, v) for name, values in lines.items() for t, v in values)
    with path.open("w") as out, VCDWriter(out, timescale="1 us", date="",
                                          comment=f"pilab {result.name} on {result.board}") as vcd:
        wires: dict[str, Any] = {
            name: vcd.register_var(result.name, name, "wire", size=1,
                                   init="x" if name == "led" else 0)
            for name in sorted(lines)}
        for time, name, value in changes:
            vcd.change(wires[name], time, value)
    return True
