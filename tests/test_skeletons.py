"""Each lab's skeleton meets the kernel C standards: W=1 and sparse silent, checkpatch clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from skeleton_build import build_skeletons

from pilab.labs import LABS
from pilab.labs.skeleton import skeleton_files
from pilab.vmhost.image import headers_release

CHECKPATCH = Path(__file__).resolve().parent.parent / ".venv/share/checkpatch/scripts/checkpatch.pl"
SOURCES = [p for lab in LABS for p in skeleton_files(lab) if p.suffix in (".c", ".h")]


@pytest.fixture(scope="module")
def build_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """All skeletons built once with W=1 and sparse (C=2); their folder and make's output."""
    if not shutil.which("sparse"):
        pytest.fail("sparse is not installed: scripts/install --dev installs it")
    dest = tmp_path_factory.mktemp("skeletons")
    return dest, build_skeletons(dest, headers_release(), "W=1", "C=2")


@pytest.mark.parametrize("lab", LABS)
def test_skeleton_builds_without_a_word_from_w1_or_sparse(lab: str,
                                                          build_output: tuple[Path, str]) -> None:
    dest, output = build_output
    sources = [p.name for p in skeleton_files(lab) if p.suffix in (".c", ".h")]
    remarks = [line for line in output.splitlines()
               if any(f"{dest / name}:" in line for name in sources)]
    assert not remarks, "\n".join(remarks)
    assert all((dest / f"{Path(n).stem}.ko").exists() for n in sources if n.endswith(".c"))


def test_the_build_has_no_warning_at_all(build_output: tuple[Path, str]) -> None:
    """Also nothing from headers or modpost (e.g. a missing MODULE_DESCRIPTION)."""
    assert "warning" not in build_output[1].lower(), build_output[1]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_skeleton_is_checkpatch_clean(source: Path) -> None:
    if not CHECKPATCH.exists():
        pytest.fail("checkpatch.pl missing: scripts/install --dev unpacks it from linux-source")
    proc = subprocess.run(["perl", str(CHECKPATCH), "--no-tree", "-f", "--terse", str(source)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout
