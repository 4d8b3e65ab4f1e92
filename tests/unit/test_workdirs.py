"""A killed pilab's working directories are removed by the next pilab; a live one's
are not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pilab import workdirs
from pilab.paths import CACHE_ENV

MAKE = """
import sys
from pathlib import Path
from pilab import workdirs
print(workdirs.make(Path(sys.argv[1]), "alice"), flush=True)
sys.stdin.read()
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def another_pilab(parent: Path) -> tuple[subprocess.Popen[str], Path]:
    proc = subprocess.Popen([sys.executable, "-c", MAKE, str(parent)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout is not None
    made = Path(proc.stdout.readline().strip())
    assert made.is_dir() and made.parent == parent, made
    return proc, made


def test_a_live_pilabs_directory_stays_and_a_killed_ones_goes(cache: Path) -> None:
    parent = cache / "submissions"
    proc, theirs = another_pilab(parent)
    try:
        ours = workdirs.make(parent, "bob")
        assert theirs.is_dir() and ours.is_dir()  # its owner still runs
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        mine = workdirs.make(parent, "carol")
        assert not theirs.exists()  # its owner was killed: nothing else would remove it
        assert ours.is_dir() and mine.is_dir()  # this pilab's own stay
        assert not (cache / "owners" / str(proc.pid)).exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_directories_of_other_kinds_are_left_alone(cache: Path) -> None:
    parent = cache / "runs"
    parent.mkdir(parents=True)
    (parent / "run-x").mkdir()  # not named by a pilab that owns it
    (parent / "notes-p1-").mkdir()
    workdirs.make(parent, "run")
    assert (parent / "run-x").is_dir() and (parent / "notes-p1-").is_dir()
