"""``pilab grade`` on the input labs: our modules pass every check, each broken one fails one.

One grade run per lab, our module and the fixture together, both through the
session's warm VM (neither fixture takes the kernel down).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from warm_cache import pilab

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "fixtures" / "broken"

pytestmark = pytest.mark.vm


def grade(lab: str, ours: list[str], fixture: Path, tmp_path: Path,
          cache: Path) -> dict[str, dict[str, str]]:
    """``pilab grade LAB ours FIXTURE --csv``: each submission's row, check -> status."""
    mine = tmp_path / "ours"
    mine.mkdir()
    for name in ours:
        shutil.copy(ROOT / "kmods" / name, mine / name)
    table, junit = tmp_path / "grades.csv", tmp_path / "grades.xml"
    proc = pilab("grade", lab, str(mine), str(fixture), "--board", "vm", "--csv", str(table),
                 "--junit-xml", str(junit), cache=cache)
    print(proc.stdout, proc.stderr[-4000:], sep="\n")
    assert "using the warm VM" in proc.stderr
    if junit.exists():  # why each check failed, for the log of a failing run
        print(junit.read_text())
    assert table.exists(), f"no CSV (exit {proc.returncode})"
    with table.open() as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


def failed_checks(row: dict[str, str]) -> list[str]:
    return [name for name, status in row.items() if status == "failed"]


def assert_grades(rows: dict[str, dict[str, str]], fixture: str, check: str) -> None:
    ours = rows["ours"]
    assert failed_checks(ours) == [] and ours["passed"] == ours["total"], ours
    assert failed_checks(rows[fixture]) == [check], rows[fixture]
    assert int(rows[fixture]["passed"]) == int(rows[fixture]["total"]) - 1


def test_vkbd_grades_ours_full_and_the_whole_buffer_reader_fails_exact_reads(
        tmp_path: Path, warm_cache: Path) -> None:
    fixture = BROKEN / "vkbd" / "read-whole-buffer"
    rows = grade("vkbd", ["vinput.c", "vinput.h", "vkbd.c"], fixture, tmp_path, warm_cache)
    assert_grades(rows, fixture.name, "reads are exact")


def test_kbleds_grades_ours_full_and_the_non_restoring_one_fails_restore(
        tmp_path: Path, warm_cache: Path) -> None:
    fixture = BROKEN / "kbleds" / "no-restore"
    rows = grade("kbleds", ["kbleds.c"], fixture, tmp_path, warm_cache)
    assert_grades(rows, fixture.name, "restores the LEDs on unload")
