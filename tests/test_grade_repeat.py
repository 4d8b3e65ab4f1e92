"""pilab grade --repeat on the vm board: a correct module, one that crashes the kernel and
a slow-but-correct one (a bottom half of 900 ms), each graded 3 times on fresh loads,
get the same verdict for every check every time: nothing is unstable, and the crash
is a grade (the checks it crashed in fail), not a lost run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pilab.check.host import check_names
from pilab.labs.common.checks import CYCLES

ROOT = Path(__file__).resolve().parent.parent
KMODS = ROOT / "kmods"
BROKEN = ROOT / "tests" / "fixtures" / "broken"
REPEAT = 3
SLOW_MS = 900


def ours(lab: str, dest: Path, slow: bool = False) -> Path:
    """Our module for *lab*; *slow*: its bottom half busy SLOW_MS instead of its 500 ms."""
    dest.mkdir(parents=True)
    source = (KMODS / f"{lab}.c").read_text()
    if slow:
        default = "static unsigned int work_ms = 500;"
        assert default in source, "our bottomhalf's default bottom half changed"
        source = source.replace(default, f"static unsigned int work_ms = {SLOW_MS};")
    (dest / f"{lab}.c").write_text(source)
    shutil.copy(KMODS / "lab_pins.h", dest)
    return dest


def fixture(lab: str, name: str, dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(BROKEN / lab / name / f"{lab}.c", dest)
    shutil.copy(KMODS / "lab_pins.h", dest)
    return dest


def grade(lab: str, dirs: list[Path]) -> tuple[int, dict[str, dict[str, str]]]:
    """``pilab grade LAB DIRS --repeat 3 --json``, nothing unstable nor ungraded: its exit
    code and each submission's status per check."""
    proc = subprocess.run([sys.executable, "-m", "pilab", "grade", lab, *map(str, dirs),
                           "--board", "vm", "--repeat", str(REPEAT), "--json"],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    print(proc.stdout[-6000:], proc.stderr[-4000:], sep="\n")
    runs = json.loads(proc.stdout)
    assert [run["unstable"] for run in runs] == [[]] * len(dirs), "a verdict changed"
    assert [run["not_graded"] for run in runs] == [None] * len(dirs)
    statuses = {Path(run["sources"][0]).name: {c["name"]: c["status"] for c in run["checks"]}
                for run in runs}
    return proc.returncode, statuses


@pytest.mark.vm
def test_a_correct_and_a_crashing_module_get_the_same_checks_each_time(tmp_path: Path) -> None:
    correct = ours("intrpt", tmp_path / "correct")
    crashing = fixture("intrpt", "oops_on_load", tmp_path / "crashing")
    code, statuses = grade("intrpt", [correct, crashing])
    assert code == 1
    names = check_names("intrpt")
    assert statuses["correct"] == dict.fromkeys(names, "passed")
    crashed = {"behaviour", f"{CYCLES} load/unload cycles"}
    assert statuses["crashing"] == {n: "failed" if n in crashed else "passed" for n in names}


@pytest.mark.vm
def test_a_slow_but_correct_bottom_half_passes_every_time(tmp_path: Path) -> None:
    slow = ours("bottomhalf", tmp_path / "slow", slow=True)
    code, statuses = grade("bottomhalf", [slow])
    assert code == 0
    assert statuses["slow"] == dict.fromkeys(check_names("bottomhalf"), "passed")
