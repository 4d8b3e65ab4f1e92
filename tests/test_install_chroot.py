"""The README's install works on a fresh Debian 13 and 12: proved in debootstrap chroots.

A minimal trixie or bookworm (no python3 yet) from this machine's own apt
mirror, cached;
into a fresh copy of it a clean clone of the committed HEAD, then
``scripts/install`` with pip's cache off, ``pilab doctor``, ``pilab run all
--board mock`` and the unit and mock tests. Skipped, with the reason, where
no chroot can be made; under CI=true that is a failure instead.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import debian_chroot as dc
import pytest

pytestmark = pytest.mark.chroot

# Debian 13 (Python 3.13: lgpio built from its bundled sources) and Debian 12
# (Python 3.11: lgpio's published wheel). The suite's own run of scripts/install
# on the host covers the host's release, so a chroot of it is only made on the
# other release's hosts: each costs minutes of the suite's budget.
SUITES = ["trixie", "bookworm"]
HOST_RELEASE = {"12": "bookworm", "13": "trixie"}
REPO = Path(__file__).resolve().parent.parent
BUILT_HERE = "building lgpio from its bundled C sources"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the chroot install test, but: {reason}")
    pytest.skip(reason)


def _tail(output: str, lines: int = 40) -> str:
    return "\n".join(output.splitlines()[-lines:])


@pytest.mark.parametrize("suite", SUITES)
def test_fresh_debian_installs_and_runs(suite: str, tmp_path: Path) -> None:
    host = Path("/etc/debian_version").read_text().split(".")[0].strip()
    if suite == "bookworm" and HOST_RELEASE.get(host) == "bookworm":
        pytest.skip("this host is Debian 12: the suite's own scripts/install covers it")
    log = tmp_path / "chroot.log"
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()
    try:
        sources = dc.retarget(dc.apt_sources(), dc.host_codename(), suite)
        base = dc.base_chroot(suite, sources, arch, log)
    except dc.Unavailable as exc:
        _unavailable(str(exc))
        return
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    archives = dc.cache_root() / f"apt-archives-{suite}-{arch}"
    with dc.fresh_chroot(base, sources, archives, log) as chroot:
        clone = chroot.root / "root" / "pilab"
        subprocess.run(["git", "clone", "-q", "--no-checkout", str(REPO), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", "--detach", head], check=True)

        status, install = chroot.run("scripts/install", timeout=1500, cwd="/root/pilab")
        assert status == 0, f"scripts/install failed in {suite}:\n{_tail(install)}"

        status, doctor = chroot.run(".venv/bin/pilab doctor", timeout=120, cwd="/root/pilab")
        assert status == 0, f"pilab doctor in {suite}:\n{doctor}"
        line = re.search(r"ok +python: lgpio: lgpio \S+ for Python 3\.\d+.*", doctor)
        assert line, f"doctor names no Python version and lgpio origin:\n{doctor}"
        if BUILT_HERE in install:
            assert "built from source on this machine with its bundled C library" in line[0]
        else:
            assert "a published wheel" in line[0]

        status, out = chroot.run(".venv/bin/pilab run all --board mock", timeout=300,
                                 cwd="/root/pilab")
        assert status == 0, f"pilab run all --board mock in {suite}:\n{_tail(out)}"

        # What the unit tests import beyond pilab: pytest, and jsonschema for the
        # grading platforms' result schemas (tests/unit/test_formats.py).
        status, out = chroot.run(
            ".venv/bin/pip install -q pytest jsonschema && .venv/bin/python -m pytest -q "
            "-p no:cacheprovider tests/unit tests/test_mock*.py", timeout=600, cwd="/root/pilab")
        assert status == 0, f"unit and mock tests in {suite}:\n{_tail(out)}"
