"""The pytest plugin, through the documented example, run as a course would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "test_course_intrpt.py"


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           *args], capture_output=True, text=True, check=False,
                          cwd=EXAMPLE.parent)


def test_the_documented_example_passes_on_the_mock_board() -> None:
    proc = _pytest(str(EXAMPLE), "--pilab-board", "mock")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


def test_a_failing_course_test_fails(tmp_path: Path) -> None:
    """The fixtures do not hide a failure: the LED logic checked the wrong way round fails."""
    broken = tmp_path / "test_broken.py"
    broken.write_text(EXAMPLE.read_text().replace("assert bench.led() == 0",
                                                  "assert bench.led() == 1"))
    proc = _pytest(str(broken), "--pilab-board", "mock")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 failed, 1 passed" in proc.stdout


def test_the_plugin_is_registered() -> None:
    proc = _pytest("--help")
    assert "--pilab-board" in proc.stdout
