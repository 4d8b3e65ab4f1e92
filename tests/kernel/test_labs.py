"""Every lab passes on this kernel; the test's name carries the kernel release."""

from __future__ import annotations

import platform

import pytest

from pilab.labs import LABS
from pilab.runner import run_lab
from pilab.steps import PASSED


@pytest.mark.parametrize("lab", list(LABS), ids=lambda lab: f"{lab}@{platform.release()}")
def test_lab_passes(lab: str) -> None:
    result = run_lab(lab, "vm", None, out=None)
    assert result.status == PASSED, [(s.name, s.status, s.reason) for s in result.steps]
