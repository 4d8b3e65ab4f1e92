"""pilab/budget.py: a command in a cgroup of its own, limited and measured for real."""

from __future__ import annotations

import os
import sys

import pytest

from pilab.budget import Budget, run_within
from pilab.errors import MissingDependency


@pytest.fixture(autouse=True)
def cgroups() -> None:
    """Skip where this process cannot make a cgroup (not root; a chroot without cgroupfs,
    as tests/test_install_chroot.py runs these tests)."""
    if os.geteuid() != 0:
        pytest.skip("cgroups need root")
    try:
        run_within(["true"], Budget())
    except MissingDependency as exc:
        pytest.skip(f"no cgroup here: {exc}")

MB = 2**20
# Allocate argv[1] MB, touch every page, and hold it a second (the sampler's time).
ALLOCATE = ("import sys, time; b = bytearray(int(sys.argv[1]) * 2**20); "
            "b[::4096] = b'x' * len(b[::4096]); time.sleep(1)")


def test_peak_memory_is_the_trees() -> None:
    measured = run_within([sys.executable, "-c", ALLOCATE, "120"], Budget())
    assert measured.code == 0, measured.stderr
    assert 120 * MB < measured.peak < 400 * MB
    assert 100 * MB < measured.peak_anon <= measured.peak
    assert measured.oom_kills == 0


def test_the_memory_limit_holds() -> None:
    measured = run_within([sys.executable, "-c", ALLOCATE, "200"], Budget(memory=100 * MB))
    assert measured.code != 0
    assert measured.oom_kills >= 1
    assert measured.peak <= 100 * MB


def test_half_a_cpu_is_half_a_cpu() -> None:
    """CPU time over wall time stays near the quota (a loop would use a whole CPU)."""
    spin = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass"
    measured = run_within([sys.executable, "-c", spin], Budget(cpus=0.25))
    assert measured.code == 0, measured.stderr
    assert measured.seconds > 1.8  # 0.6 s of CPU at a quarter of one takes 2.4 s
