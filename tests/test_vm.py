"""The vm board for real: boot the distribution kernel in QEMU (slow: ~1 min a boot)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pilab.vmhost.session import exec_in_vm

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.vm


def test_kernel_tests_pass_inside_the_vm(capsys: pytest.CaptureFixture[str]) -> None:
    """tests/kernel/ against the real kernel, with vgpio taking real interrupts.

    The guest's pytest report streams straight to the terminal, so the log of
    a run shows every kernel test, not just this one.
    """
    with capsys.disabled():
        code = exec_in_vm(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-rfE",
             "--durations=5", str(ROOT / "tests" / "kernel")], cwd=ROOT
        )
    assert code == 0, "kernel tests failed inside the VM: see their output above"


def test_cli_runs_intrpt_on_the_vm_board_with_pi5_numbering() -> None:
    """The host side: build, boot, run in the guest, read the results back."""
    proc = subprocess.run(
        [sys.executable, "-m", "pilab", "run", "intrpt", "--board", "vm", "--model", "pi5",
         "--json"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    assert [(r["name"], r["board"], r["status"]) for r in results] == [("intrpt", "vm", "passed")]
    assert all(step["status"] == "passed" for step in results[0]["steps"])
    load = next(s for s in results[0]["steps"] if s["name"] == "load the module")
    assert load["details"]["params"] == {"led": 571 + 4, "buttons": [571 + 17, 571 + 18]}
