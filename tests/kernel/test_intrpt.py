"""intrpt.ko on the real kernel: the same scenarios as its mock-board model."""

from __future__ import annotations

import pytest
import scenarios

from pilab.boards.vm import VmGuestBoard
from pilab.kernel.klog import KernelLog
from pilab.runner import run_lab
from pilab.steps import PASSED


def test_lab_passes() -> None:
    result = run_lab("intrpt", "vm", out=None)
    assert result.status == PASSED, [(s.name, s.reason) for s in result.steps]


def test_levels(vm_board: VmGuestBoard) -> None:
    assert scenarios.led_after_presses(vm_board, "intrpt") == [1, 0, 1]


def test_swapped_buttons_give_opposite_levels(vm_board: VmGuestBoard) -> None:
    assert scenarios.led_after_presses(vm_board, "intrpt", swap=True) == [0, 1, 0]


def test_bad_loads_fail_cleanly(vm_board: VmGuestBoard, kernel_stays_healthy: KernelLog) -> None:
    assert scenarios.bad_loads(vm_board, "intrpt") == scenarios.EXPECTED_BAD_LOADS
    log = [r.text for r in kernel_stays_healthy.lines()]
    assert scenarios.refusal_mismatches(log, "intrpt") == []


def test_each_press_logs_once(vm_board: VmGuestBoard, kernel_stays_healthy: KernelLog) -> None:
    levels = scenarios.led_after_presses(vm_board, "intrpt")
    assert levels == [1, 0, 1]
    presses = kernel_stays_healthy.lines("intrpt: button ")
    assert [r.text for r in presses] == [
        "intrpt: button 1 -> LED on",
        "intrpt: button 2 -> LED off",
        "intrpt: button 1 -> LED on",
        "intrpt: button 1 -> LED on",
    ]


def test_manual_mode_sees_a_hand_press(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 'finger' on the button line (debugfs) is seen through the kernel log."""
    result = scenarios.manual_run_with_simulated_hand("vm", "intrpt", monkeypatch)
    assert result.status == PASSED, [(s.name, s.reason) for s in result.steps]


@pytest.mark.once  # pilab's Python side: the kernel does not change it
def test_the_pytest_plugin_example_passes_on_the_real_kernel() -> None:
    """docs/examples/: a course's tests through the plugin, on the vm board."""
    import subprocess
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "test_course_intrpt.py"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           str(example), "--pilab-board", "vm"],
                          capture_output=True, text=True, check=False, cwd=example.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
