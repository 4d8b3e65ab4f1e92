"""Kernel C standards: W=1 builds clean, sparse says nothing, checkpatch is clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pilab.kernel.build import KMOD_DIR, headers_dir
from pilab.vmhost.image import headers_release

CHECKPATCH = Path(__file__).resolve().parent.parent / ".venv/share/checkpatch/scripts/checkpatch.pl"
SOURCES = sorted(p for p in KMOD_DIR.iterdir()
                 if p.suffix in (".c", ".h") and not p.name.endswith(".mod.c"))


@pytest.fixture(scope="module")
def fresh_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kmods/ copied without build outputs, so every file is compiled."""
    dest = tmp_path_factory.mktemp("kmods")
    for path in [*SOURCES, KMOD_DIR / "Kbuild"]:
        shutil.copy(path, dest)
    return dest


def _make(directory: Path, *args: str) -> str:
    build = headers_dir(headers_release())
    proc = subprocess.run(["make", "-C", str(build), f"M={directory}", *args, "modules"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_w1_build_has_no_warnings(fresh_copy: Path) -> None:
    output = _make(fresh_copy, "W=1")
    assert "warning:" not in output, output


def test_sparse_has_nothing_to_say(fresh_copy: Path) -> None:
    if not shutil.which("sparse"):
        pytest.fail("sparse is not installed: scripts/install --dev installs it")
    output = _make(fresh_copy, "C=2")
    remarks = [line for line in output.splitlines() if str(fresh_copy) in line and ": " in line
               and not line.lstrip().startswith(("CHECK", "CC", "LD", "MODPOST"))]
    assert not remarks, "\n".join(remarks)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_checkpatch_clean(source: Path) -> None:
    if not CHECKPATCH.exists():
        pytest.fail("checkpatch.pl missing: scripts/install --dev unpacks it from linux-source")
    proc = subprocess.run(["perl", str(CHECKPATCH), "--no-tree", "-f", "--terse", str(source)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout
