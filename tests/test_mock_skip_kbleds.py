"""kbleds has no Python model: the mock board skips it, and never passes it."""

from __future__ import annotations

from pilab.runner import run_lab
from pilab.steps import SKIPPED


def test_kbleds_is_skipped_on_the_mock_board() -> None:
    result = run_lab("kbleds", "mock", out=None)
    assert (result.name, result.board, result.status) == ("kbleds", "mock", SKIPPED)
    assert "needs a real kernel" in result.reason
    assert result.steps == []

