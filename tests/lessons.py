"""The labs' lesson tables (tests/fixtures/lessons/<lab>.toml), read, and their fixtures
made into submissions.

A table lists what a lab teaches, the checks that score each lesson, and the mutant
fixtures that break that lesson and nothing else; then the correct fixtures, other right
ways to write the lab. ``expected_failures`` says which checks a fixture must fail on a
given kernel: exactly its lesson's, or none.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pilab.labs import entry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
TABLES = FIXTURES / "lessons"
KMODS = ROOT / "kmods"
OURS = "ours"
BUILDS, INTERFACE = "builds", "interface"


def release_tuple(release: str) -> tuple[int, int]:
    """(6, 1) for "6.1.0-27-amd64" or "6.1"."""
    match = re.match(r"(\d+)\.(\d+)", release)
    assert match, f"not a kernel release: {release!r}"
    return int(match[1]), int(match[2])


@dataclass(frozen=True)
class Fixture:
    """One submission a lab's table names: a mutant, a correct variant, or our module."""

    lab: str
    name: str
    lesson: str = ""  # empty: a correct one
    checks: frozenset[str] = frozenset()
    since: str = ""
    before: str = ""

    @property
    def directory(self) -> Path:
        if self.name == OURS:
            return KMODS
        return FIXTURES / ("broken" if self.lesson else "correct") / self.lab / self.name

    def shows(self, release: str) -> bool:
        """Does its lesson show on kernel *release* (else it gets full marks there)?"""
        version = release_tuple(release)
        return bool(self.lesson) and not (self.since and version < release_tuple(self.since)) \
            and not (self.before and version >= release_tuple(self.before))

    def expected_failures(self, release: str) -> set[str]:
        """The checks it must fail on *release*: every one when it must not build."""
        if not self.shows(release):
            return set()
        if BUILDS in self.checks:
            return set(all_checks(self.lab))
        return set(self.checks)


def all_checks(lab: str) -> list[str]:
    """Every check a grade of *lab* reports, in order."""
    return [BUILDS, INTERFACE, *(c.name for c in entry(lab).checks)]


def table(lab: str) -> list[Fixture]:
    """*lab*'s fixtures, in the order its table gives: ours, the correct ones, the mutants."""
    data = tomllib.loads((TABLES / f"{lab}.toml").read_text())
    assert data["lab"] == lab
    fixtures = [Fixture(lab, OURS)] if data.get("ours") else []
    fixtures += [Fixture(lab, c["fixture"]) for c in data.get("correct", [])]
    fixtures += [Fixture(lab, name, row["lesson"], frozenset(row["checks"]),
                         row.get("since", ""), row.get("before", ""))
                 for row in data["lesson"] for name in row["mutants"]]
    return fixtures


def labs() -> list[str]:
    return sorted(p.stem for p in TABLES.glob("*.toml"))


def submission(fixture: Fixture, dest: Path) -> Path:
    """A submission directory: the fixture's sources, the kit's other files from kmods/."""
    directory = dest / fixture.name
    directory.mkdir(parents=True)
    for path in sorted(fixture.directory.glob("*.[ch]")):
        if fixture.name != OURS or path.stem in entry(fixture.lab).modules:
            shutil.copy(path, directory)
    for name in kit_files(fixture.lab):
        if not (directory / name).exists():
            shutil.copy(KMODS / name, directory)
    return directory


def kit_files(lab: str) -> list[str]:
    """The files a lab's modules are built from: each module's .c and the headers they use."""
    sources = [f"{module}.c" for module in entry(lab).modules]
    headers = {h for s in sources
               for h in re.findall(r'#include "([^"]+)"', (KMODS / s).read_text())}
    return [*sources, *sorted(headers)]
