"""Our own halves modules' printk lines, read back as a journal of top halves and runs.

The labs judge any module by the kernel's trace; these tests of *our*
modules also hold them to the log lines they promise (pilab/labs/<lab>/loglines.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pilab.kernel.klog import Record
from pilab.labs.common.halves import HalfLines


@dataclass
class Run:
    """One run of the bottom half: its start line, its end line once logged."""

    start: Record
    end: Record | None = None

    @property
    def micros(self) -> int | None:
        """Microseconds from start to end by the log's timestamps."""
        return None if self.end is None else self.end.usec - self.start.usec


@dataclass
class Journal:
    """A module's top halves and bottom-half runs, in the log's order."""

    records: list[Record]
    tops: list[tuple[int, Record]] = field(default_factory=list)  # (button, record)
    runs: list[Run] = field(default_factory=list)

    def position(self, record: Record) -> int:
        return next(i for i, r in enumerate(self.records) if r is record)

    def tops_of(self, button: int) -> list[Record]:
        return [r for b, r in self.tops if b == button]

    def during(self, run: Run, records: Sequence[Record]) -> bool:
        """Were all *records* logged after *run* started and before it ended?"""
        if run.end is None:
            return False
        start, end = self.position(run.start), self.position(run.end)
        return all(start < self.position(r) < end for r in records)

    @property
    def busy(self) -> bool:
        """Has a run started that has not ended yet?"""
        return any(run.end is None for run in self.runs)


def read_journal(records: list[Record], lines: HalfLines) -> Journal:
    """Sort a module's records into top halves and runs (one run at a time)."""
    journal = Journal(records)
    for record in records:
        if m := lines.top.match(record.text):
            journal.tops.append((int(m.group("button")), record))
        elif lines.start.match(record.text):
            journal.runs.append(Run(record))
        elif lines.end.match(record.text):
            open_runs = [run for run in journal.runs if run.end is None]
            if open_runs:
                open_runs[0].end = record
    return journal


