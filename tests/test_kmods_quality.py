"""Kernel C standards: W=1 builds clean, sparse says nothing (on every kernel tested),
checkpatch is clean (on kmods/, and on the broken and correct fixtures: written as ours)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from kernel_matrix import KERNELS, kernel_or_skip

from pilab.kernel.build import KMOD_DIR, build_output
from pilab.vmhost.kernels import VmKernel

CHECKPATCH = Path(__file__).resolve().parent.parent / ".venv/share/checkpatch/scripts/checkpatch.pl"
SOURCES = sorted(p for p in KMOD_DIR.iterdir()
                 if p.suffix in (".c", ".h") and not p.name.endswith(".mod.c"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_SOURCES = sorted(p for kind in ("broken", "correct")
                         for p in (FIXTURES / kind).glob("*/*/*.[ch]"))


@pytest.fixture(scope="module", params=KERNELS)
def kernel(request: pytest.FixtureRequest) -> VmKernel:
    """Every kernel the suite tests: the default, the archive's other series, the newest."""
    return kernel_or_skip(request.param)


def test_w1_build_has_no_warnings(kernel: VmKernel) -> None:
    output, _ = build_output(kernel, ("W=1",))
    print(f"W=1 build for {kernel.release}")
    assert "warning:" not in output, output


def test_sparse_has_nothing_to_say(kernel: VmKernel) -> None:
    if kernel.chroot is None and not shutil.which("sparse"):
        pytest.fail("sparse is not installed: scripts/install --dev installs it")
    # Debian's 7.x headers lack scripts/checker-valid.sh, so Kbuild would quietly turn
    # sparse off ("not available or not up to date"); forcing KBUILD_CHECKSRC keeps it
    # on, and the CHECK lines below prove it ran.
    output, where = build_output(kernel, ("C=2", "KBUILD_CHECKSRC=2"))
    assert "CHECK" in output, f"sparse did not run for {kernel.release}:\n{output}"
    remarks = [line for line in output.splitlines() if where in line and ": " in line
               and not line.lstrip().startswith(("CHECK", "CC", "LD", "MODPOST", "BTF"))
               and "Entering directory" not in line and "Leaving directory" not in line]
    assert not remarks, "\n".join(remarks)


@pytest.mark.parametrize("source", SOURCES + FIXTURE_SOURCES,
                         ids=lambda p: str(p.relative_to(FIXTURES)) if FIXTURES in p.parents
                         else p.name)
def test_checkpatch_clean(source: Path) -> None:
    if not CHECKPATCH.exists():
        pytest.fail("checkpatch.pl missing: scripts/install --dev unpacks it from linux-source")
    proc = subprocess.run(["perl", str(CHECKPATCH), "--no-tree", "-f", "--terse", str(source)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout
