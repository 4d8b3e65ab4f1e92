"""The README's commands that need the VM, run as written: the README's own text, through
a shell, with ``pilab`` the virtualenv's and a PATH that does not hold it.

They share the suite's warm VM. Left to other tests, as too slow to run twice in the
suite: ``run all`` (tests/test_vm.py runs every lab on each kernel of the matrix),
``bench vm`` (a benchmark: it boots cold on purpose), ``vm down`` (it would stop the
warm VM the other tests share; tests/test_warm_vm.py runs it) and the pi5 doctor
(tests/test_vm_path.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pilab.paths import CACHE_ENV
from pilab.vmhost.warmclient import COLD_ENV

ROOT = Path(__file__).resolve().parent.parent
PILAB = Path(sys.executable).parent / "pilab"
README = (ROOT / "README.md").read_text()


def as_written(command: str, cache: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """The README's *command* through sh, as a new user types it."""
    written = re.compile(rf"(?:`|\.venv/bin/){re.escape(command)}(?:`|\s+#|$)", re.M)
    assert written.search(README), f"not in the README as written: {command}"
    env = {k: v for k, v in os.environ.items() if k != COLD_ENV}
    env.update({"PATH": "/usr/bin:/bin", "HOME": str(home), CACHE_ENV: str(cache)})
    line = f"{PILAB}{command.removeprefix('pilab')}"
    return subprocess.run(["sh", "-c", line], capture_output=True, text=True, env=env,
                          cwd=home, timeout=1800, check=False)


def clean(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.vm
@pytest.mark.once
def test_vkbd_type_reads_the_text_back(warm_cache: Path, tmp_path: Path) -> None:
    proc = as_written('pilab vkbd type "Hello, world!"', warm_cache, tmp_path)
    out = clean(proc)
    assert proc.returncode == 0, out + proc.stderr[-2000:]
    assert "read back from /dev/input/event" in out and "'Hello, world!'" in out


@pytest.mark.vm
@pytest.mark.once
def test_bench_vkbd_prints_both_figures(warm_cache: Path, tmp_path: Path) -> None:
    proc = as_written("pilab bench vkbd", warm_cache, tmp_path)
    out = clean(proc)
    assert proc.returncode == 0, out + proc.stderr[-2000:]
    assert "vkbd bench: 20000 key events each way" in out
    assert "ratio /dev/vinputN : UInput = " in out, out  # both ways measured


@pytest.mark.vm
@pytest.mark.once
def test_a_new_lab_is_checked_where_the_readme_puts_it(warm_cache: Path,
                                                      tmp_path: Path) -> None:
    made = as_written("pilab lab new intrpt ~/intrpt", warm_cache, tmp_path)
    assert made.returncode == 0 and (tmp_path / "intrpt" / "intrpt.c").exists(), made.stderr
    proc = as_written("pilab check intrpt ~/intrpt", warm_cache, tmp_path)
    out = clean(proc)
    # The skeleton builds and loads, but its TODOs (the IRQ handler) are not done.
    assert proc.returncode == 1, out + proc.stderr[-2000:]
    assert "PASS  builds" in out and "FAIL  behaviour" in out, out


@pytest.mark.vm
@pytest.mark.once
def test_vm_status_names_the_warm_vm(warm_cache: Path, tmp_path: Path) -> None:
    proc = as_written("pilab vm status", warm_cache, tmp_path)
    out = clean(proc)
    assert proc.returncode == 0, out + proc.stderr
    assert out.startswith("warm VM (") and "): running" in out.splitlines()[0], out
