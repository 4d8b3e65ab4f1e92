"""The emulated Pi's root outlives the pilab that made it, so each pilab checks it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pilab.kernel.detect import PITREES_DIR, detect, emulation_root


def test_links_left_by_a_deleted_install_are_remade(tmp_path: Path) -> None:
    root = emulation_root("pi5", tmp_path)
    assert detect(root).pi == "pi5"
    gone = tmp_path / "deleted-venv" / "pitrees" / "pi5"
    for link in (root / "proc", root / "sys" / "firmware"):
        link.unlink()
        link.symlink_to(gone / link.relative_to(root))
    assert detect(root).pi is None  # what a stale root did to every later pilab

    assert emulation_root("pi5", tmp_path) == root
    assert detect(root).pi == "pi5"
    assert (root / "proc").readlink() == PITREES_DIR / "pi5" / "proc"


def test_a_model_without_a_captured_file_gets_no_link_to_it(tmp_path: Path) -> None:
    root = emulation_root("pi3", tmp_path)
    assert detect(root).pi == "pi3"
    assert not (root / "sys" / "kernel").is_symlink()
    (root / "sys" / "kernel").symlink_to(tmp_path / "nowhere")
    emulation_root("pi3", tmp_path)
    assert not (root / "sys" / "kernel").is_symlink()


RACERS, ROUNDS = 8, 4
RACER = """
import sys
from pathlib import Path
from pilab.kernel.detect import detect, emulation_root
model, workdir = sys.argv[1], Path(sys.argv[2])
sys.stdin.read(1)  # the gate: every racer starts at once
root = emulation_root(model, workdir)
print(detect(root).pi, flush=True)
"""


@pytest.mark.parametrize("model", ["pi5", "pi3"])
def test_pilabs_remaking_one_stale_root_at_once_all_see_the_pi(model: str,
                                                               tmp_path: Path) -> None:
    """Eight pilabs, four times over, find the same stale links at the same moment (a class's guest
    commands after an install was deleted): each replaces or removes them, none
    trips over another's, and every one sees the Pi."""
    root = emulation_root(model, tmp_path)
    for _ in range(ROUNDS):
        for link in (root / "proc", root / "sys" / "firmware", root / "sys" / "kernel"):
            link.unlink(missing_ok=True)
            link.symlink_to(tmp_path / "deleted-venv" / link.relative_to(root))
        racers = [subprocess.Popen([sys.executable, "-c", RACER, model, str(tmp_path)],
                                   text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE,
                                   env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
                  for _ in range(RACERS)]
        for racer in racers:  # all started and waiting: open the gate for all
            assert racer.stdin is not None
            racer.stdin.write("g")
            racer.stdin.flush()
        results = [racer.communicate(timeout=60) for racer in racers]
        assert [(r.returncode, out) for r, (out, _) in zip(racers, results, strict=True)] == \
            [(0, f"{model}\n")] * RACERS, [err for _, err in results]
        assert not list(root.rglob(".*.[0-9]*"))  # no temporary link left behind
