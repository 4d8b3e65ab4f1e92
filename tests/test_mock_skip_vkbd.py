"""The mock board has no kernel: vkbd must be skipped there, never passed."""

from __future__ import annotations

from pilab.runner import run_lab
from pilab.steps import SKIPPED


def test_vkbd_is_skipped_on_mock_with_a_reason() -> None:
    result = run_lab("vkbd", "mock", out=None)
    assert result.status == SKIPPED
    assert "real kernel" in result.reason and "vm" in result.reason
    assert result.steps == []

