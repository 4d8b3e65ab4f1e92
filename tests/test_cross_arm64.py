"""scripts/cross-build-arm64 turns kmods/ into aarch64 modules on an amd64 host.

The first run downloads Debian's arm64 headers (about 2 MB) into ~/.cache/pilab.
"""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

import pytest

from pilab.kernel.build import KMOD_DIR

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "cross-build-arm64"
EM_AARCH64 = 183


def _host_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()


pytestmark = pytest.mark.skipif(
    _host_arch() == "arm64", reason="an arm64 host builds its modules natively"
)


def elf_machine(path: Path) -> int:
    """e_machine of a 64-bit little-endian ELF file (fails on anything else)."""
    head = path.read_bytes()[:20]
    assert head[:4] == b"\x7fELF", f"{path.name} is not ELF"
    assert head[4] == 2 and head[5] == 1, f"{path.name} is not 64-bit little-endian"
    return int(struct.unpack_from("<H", head, 18)[0])


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("arm64")
    proc = subprocess.run([str(SCRIPT), "--out", str(out)], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return out


def test_every_module_is_aarch64(built: Path) -> None:
    wanted = re.findall(r"^obj-m\s*\+?=\s*(\w+)\.o", (KMOD_DIR / "Kbuild").read_text(), re.M)
    modules = sorted(built.glob("*.ko"))
    assert sorted(p.stem for p in modules) == sorted(wanted)
    for module in modules:
        assert elf_machine(module) == EM_AARCH64, module.name


def test_vermagic_names_an_arm64_kernel(built: Path) -> None:
    for module in built.glob("*.ko"):
        match = re.search(rb"vermagic=([^\0]*)", module.read_bytes())
        assert match is not None, module.name
        vermagic = match[1].decode()
        assert vermagic.split()[0].endswith("-arm64") and "aarch64" in vermagic, vermagic


def test_second_run_rebuilds_nothing(built: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in built.glob("*.ko")}
    proc = subprocess.run([str(SCRIPT), "--out", str(built)], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "fetching" not in proc.stdout
    assert {p.name: p.stat().st_mtime_ns for p in built.glob("*.ko")} == before
