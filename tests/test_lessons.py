"""Every lesson's mutant fails exactly its lesson's checks; every correct variant passes all.

The lesson tables (tests/fixtures/lessons/<lab>.toml, read by tests/lessons.py) say what
each lab teaches, which checks score each lesson, and which fixtures break it. One
``pilab grade`` per lab and kernel grades all of a lab's fixtures in one VM (one boot, plus
one per crash and per check that leaves a module the kernel cannot unload), on the
default kernel; on the archive's other series (Debian 12: 6.12), our module and the
lessons a kernel release changes (on_the_series).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import lessons
import pytest
from junitparser import Failure, JUnitXml
from kernel_matrix import SERIES, choice_of, kernel_or_skip

from pilab.vmhost.kernels import DEFAULT

ROOT = Path(__file__).resolve().parent.parent
CRASHES = {("intrpt", "oops_on_load")}  # the console's excerpt must say what the kernel did
PENDING = "unload while a bottom half is pending"


def grade(lab: str, dirs: list[Path], leg: str, out: Path) -> subprocess.CompletedProcess[str]:
    """``pilab grade LAB DIRS --kernel LEG --csv --junit-xml``, in a VM of its own."""
    proc = subprocess.run([sys.executable, "-m", "pilab", "grade", lab, *map(str, dirs),
                           "--kernel", choice_of(leg), "--csv", str(out / "grade.csv"),
                           "--junit-xml", str(out / "grade.xml")], capture_output=True,
                          text=True, check=False, cwd=ROOT, timeout=7200)
    print(proc.stdout, proc.stderr[-4000:], sep="\n")
    return proc


def failure_reasons(junit: Path, names: list[str]) -> dict[str, dict[str, str]]:
    """submission -> failed check -> its message, hint and text."""
    reasons: dict[str, dict[str, str]] = {}
    for suite, name in zip(JUnitXml.fromfile(str(junit)), names, strict=True):
        assert suite.name.endswith(f"/{name}"), (suite.name, name)
        reasons[name] = {case.name: f"{r.message}\n{r.text or ''}" for case in suite
                         for r in case.result if isinstance(r, Failure)}
    return reasons


def on_the_series(fixture: lessons.Fixture) -> bool:
    """Graded on the other series too: our module and the lessons a kernel release
    changes (since/before). The rest judge the module, not the kernel, and a grade per
    lab and series is most of the suite's time under TCG."""
    return fixture.name == lessons.OURS or bool(fixture.since or fixture.before)


LEGS = [(DEFAULT, lab) for lab in lessons.labs()] + [
    (SERIES, lab) for lab in lessons.labs()
    if any(f.lesson and on_the_series(f) for f in lessons.table(lab))]


@pytest.mark.vm
@pytest.mark.parametrize(("leg", "lab"), LEGS)
def test_each_fixture_fails_exactly_its_lessons_checks(leg: str, lab: str,
                                                       tmp_path: Path) -> None:
    release = kernel_or_skip(leg).release
    fixtures = [f for f in lessons.table(lab) if leg == DEFAULT or on_the_series(f)]
    dirs = [lessons.submission(f, tmp_path / "subs") for f in fixtures]
    proc = grade(lab, dirs, leg, tmp_path)
    assert (tmp_path / "grade.csv").exists(), f"no CSV (exit {proc.returncode})"
    with (tmp_path / "grade.csv").open(newline="") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    names = [f.name for f in fixtures]
    assert list(rows) == names
    reasons = failure_reasons(tmp_path / "grade.xml", names)
    for name, why in reasons.items():  # shown with -s, and on failure
        print(name, *(f"  {check}: {text.splitlines()[0]}" for check, text in why.items()),
              sep="\n")

    checks = lessons.all_checks(lab)
    wrong = {}
    for fixture in fixtures:
        row = rows[fixture.name]
        statuses = {check: row[check] for check in checks}
        failing = {c for c, s in statuses.items() if s == "failed"}
        must_fail = fixture.expected_failures(release)
        others = {s for c, s in statuses.items() if c not in must_fail}
        if failing != must_fail or others - {"passed"} or set(reasons[fixture.name]) != failing:
            wrong[fixture.name] = {"must fail": sorted(must_fail), "failed": sorted(failing),
                                   "others": sorted(others)}
        assert int(row["passed"]) == len(checks) - len(failing)
    assert not wrong, (release, wrong, reasons)
    assert proc.returncode == (1 if any(f.expected_failures(release) for f in fixtures) else 0)
    named_traps(lab, release, fixtures, reasons)


def named_traps(lab: str, release: str, fixtures: list[lessons.Fixture],
                reasons: dict[str, dict[str, str]]) -> None:
    """Failures with a known cause say so, and where the handout explains it."""
    handout = f"docs/labs/{lab}.md"
    for fixture in fixtures:
        why = reasons[fixture.name]
        if (lab, fixture.name) in CRASHES:
            assert any("Oops" in text or "BUG:" in text for text in why.values()), why
        if fixture.name == "no_desc_check" and fixture.shows(release):
            text = why["bad pins are refused cleanly"]
            assert "gpio_to_desc()" in text and "known trap" in text and handout in text, text
        if fixture.name == "guide_request_array" and fixture.shows(release):
            assert "gpio_request_array" in why["builds"] and "6.10" in why["builds"]
            assert handout in why["builds"], why["builds"]
        if fixture.name == "slow_top_half":
            assert why[PENDING].startswith("not shown: "), why
