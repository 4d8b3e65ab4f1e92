"""pilab grade --results/--resume on the vm board: a grade killed midway (a real SIGKILL
or SIGTERM to pilab, once the first submission's result is on disk) and then resumed
gives the same CSV as a grade that ran through, without grading anything twice. The
submissions live in directories whose path has spaces.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pilab.check.host import prepare_job
from pilab.vmhost.image import headers_release

ROOT = Path(__file__).resolve().parent.parent
KMODS = ROOT / "kmods"
BROKEN = ROOT / "tests" / "fixtures" / "broken"
LAB = "intrpt"
# In the order graded: ours (every check passes), a broken fixture (fails behaviour),
# and one that does not compile (graded before any boot).
SUBMISSIONS = ("alice smith", "bob jones", "carol")
WAIT_SECONDS = 1500  # for the first result: the boot, and the first submission's checks


def spaced_submission(parent: Path, name: str) -> Path:
    """*name*'s submission in a directory whose path has spaces."""
    directory = parent / "sub missions" / name
    directory.mkdir(parents=True)
    shutil.copy(KMODS / "lab_pins.h", directory)
    if name == "bob jones":
        shutil.copy(BROKEN / LAB / "led_swapped" / f"{LAB}.c", directory)
    elif name == "carol":
        (directory / f"{LAB}.c").write_text("#include <linux/module.h>\nint oops = ;\n")
    else:
        shutil.copy(KMODS / f"{LAB}.c", directory)
    return directory


def submissions(parent: Path) -> list[Path]:
    return [spaced_submission(parent, name) for name in SUBMISSIONS]


def grade_command(dirs: list[Path], *options: str) -> list[str]:
    return [sys.executable, "-m", "pilab", "grade", LAB, *map(str, dirs), "--board", "vm",
            *options]


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)
    print(proc.stdout, proc.stderr[-4000:], sep="\n")
    return proc


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The CSV of a grade that ran through."""
    where = tmp_path_factory.mktemp("uninterrupted")
    table = where / "grade.csv"
    proc = run(grade_command(submissions(where), "--csv", str(table)))
    assert proc.returncode == 1, "bob and carol lose marks: exit 1"
    return table.read_text()


def graded_files(results: Path) -> dict[str, bool]:
    """Each result file's submission (its directory's name) -> graded or not."""
    found = {}
    for path in results.glob("*.json"):
        stored = json.loads(path.read_text())
        found[Path(stored["key"]["submission"]).name] = stored["graded"]
    return found


def wait_for_result(results: Path, name: str, proc: subprocess.Popen[str]) -> None:
    """Until *name*'s result is on disk: the event the kill waits for (polled)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while name not in graded_files(results):
        assert proc.poll() is None, "pilab ended before the first result was written"
        assert time.monotonic() < deadline, f"no result for {name} in {WAIT_SECONDS}s"
        time.sleep(0.2)


@pytest.mark.vm
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_grade_killed_midway_resumes_to_the_same_csv(how: signal.Signals, tmp_path: Path,
                                                        uninterrupted: str) -> None:
    dirs = submissions(tmp_path)
    results, table = tmp_path / "results dir", tmp_path / "grade.csv"
    log = tmp_path / "killed.log"
    with log.open("w") as err:
        proc = subprocess.Popen(grade_command(dirs, "--results", str(results)), cwd=ROOT,
                                text=True, stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_for_result(results, SUBMISSIONS[0], proc)
        finally:
            proc.send_signal(how)
            proc.wait(timeout=120)
    print(log.read_text()[-3000:])
    assert proc.returncode == (-how if how == signal.SIGKILL else 128 + how), "killed midway"
    # alice's result and carol's (no build: graded before the boot), not bob's
    assert graded_files(results) == {"alice smith": True, "carol": True}

    resumed = run(grade_command(dirs, "--results", str(results), "--resume",
                                "--csv", str(table)))
    assert resumed.returncode == 1
    kept = [line for line in resumed.stderr.splitlines() if "graded before, kept" in line]
    assert [line.split("/")[-1] for line in kept] == [
        "alice smith: graded before, kept (--resume)", "carol: graded before, kept (--resume)"]
    assert table.read_text() == uninterrupted
    assert graded_files(results) == {name: True for name in SUBMISSIONS}


def test_a_submission_in_a_path_with_spaces_builds(tmp_path: Path) -> None:
    """Kbuild's M= takes no spaces: the build directory must not take the submission's name
    as it is (it did, and every such submission failed 'builds')."""
    job = prepare_job(LAB, [spaced_submission(tmp_path, "alice smith")], headers_release())
    try:
        assert job.built is not None and job.built.ok, job.built and job.built.errors
        assert [r.status for r in job.run.results] == ["passed", "passed"]
    finally:
        if job.built is not None and job.built.directory is not None:
            shutil.rmtree(job.built.directory, ignore_errors=True)
