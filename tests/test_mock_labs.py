"""The labs on the mock board: the Python side, in milliseconds."""

from __future__ import annotations

import pytest
import scenarios

from pilab.boards.mock import MockBoard
from pilab.runner import run_lab
from pilab.steps import FAILED, PASSED


@pytest.mark.parametrize("lab", ["intrpt", "bottomhalf", "bh_thread", "gpio_keys"])
def test_lab_passes_on_mock(lab: str) -> None:
    result = run_lab(lab, "mock", out=None)
    assert result.status == PASSED, result.steps
    assert all(step.status == PASSED for step in result.steps)


def test_intrpt_levels(mock_board: MockBoard) -> None:
    assert scenarios.led_after_presses(mock_board, "intrpt") == [1, 0, 1]


def test_intrpt_swapped_buttons_give_opposite_levels(mock_board: MockBoard) -> None:
    assert scenarios.led_after_presses(mock_board, "intrpt", swap=True) == [0, 1, 0]


def test_intrpt_bad_loads(mock_board: MockBoard) -> None:
    assert scenarios.bad_loads(mock_board, "intrpt") == scenarios.EXPECTED_BAD_LOADS


def test_lab_fails_when_a_jumper_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without its jumpers the lab must fail, naming the wires and their pins."""
    monkeypatch.setattr(MockBoard, "setup", lambda self, wiring: None)
    result = run_lab("intrpt", "mock", out=None)
    assert result.status == FAILED
    check = result.steps[0]
    assert check.name.startswith("wiring check") and check.status == FAILED
    assert "GPIO27 (pin 13) -> GPIO17 (pin 11)" in check.reason
    assert "GPIO4 (pin 7) -> GPIO23 (pin 16)" in check.reason
    assert len(result.steps) == 1, "a failed wiring check must stop the lab"


def test_manual_mode_sees_a_hand_press(monkeypatch: pytest.MonkeyPatch) -> None:
    result = scenarios.manual_run_with_simulated_hand("mock", "intrpt", monkeypatch)
    assert result.status == PASSED, [(s.name, s.reason) for s in result.steps]


def test_manual_mode_fails_when_nobody_presses(monkeypatch: pytest.MonkeyPatch) -> None:
    from pilab.labs.common.lab import HumanPresses, Lab

    monkeypatch.setattr(HumanPresses, "prompt", lambda self, button, message: None)
    monkeypatch.setattr(Lab, "manual_timeout", 0.2)
    result = run_lab("intrpt", "mock", out=None, manual=True)
    assert result.status == FAILED
    assert any("no press of button 1 seen" in s.reason for s in result.steps)


@pytest.mark.parametrize("module", scenarios.HALVES)
def test_halves_levels(mock_board: MockBoard, module: str) -> None:
    assert scenarios.led_after_presses(mock_board, module) == [1, 0, 1]


@pytest.mark.parametrize("module", scenarios.HALVES)
def test_halves_swapped_buttons_give_opposite_levels(mock_board: MockBoard, module: str) -> None:
    assert scenarios.led_after_presses(mock_board, module, swap=True) == [0, 1, 0]


@pytest.mark.parametrize("module", scenarios.HALVES)
def test_halves_bad_loads(mock_board: MockBoard, module: str) -> None:
    assert scenarios.bad_loads(mock_board, module) == scenarios.EXPECTED_BAD_LOADS


@pytest.mark.parametrize("module", scenarios.HALVES)
def test_halves_work_ms_bounds(mock_board: MockBoard, module: str) -> None:
    assert scenarios.work_ms_bounds(mock_board, module) == scenarios.EXPECTED_WORK_MS_BOUNDS


@pytest.mark.parametrize("when", ["pressed", "working", "pending"])
@pytest.mark.parametrize("module", scenarios.HALVES)
def test_halves_unload_while_busy(mock_board: MockBoard, module: str, when: str) -> None:
    seen = scenarios.unload_while_busy(mock_board, module, when)
    assert seen == scenarios.expected_unload_while_busy(when)


@pytest.mark.parametrize("lab", scenarios.HALVES)
def test_halves_manual_mode_sees_hand_presses(lab: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hand presses when asked, also twice while the bottom half works."""
    monkeypatch.setattr("pilab.labs.common.halves.MANUAL_WORK_MS", 300)
    result = scenarios.manual_run_with_simulated_hand("mock", lab, monkeypatch)
    assert result.status == PASSED, [(s.name, s.reason) for s in result.steps]


def failed_steps(lab: str) -> set[str]:
    result = run_lab(lab, "mock", out=None)
    return {step.name for step in result.steps if step.status == FAILED}


def test_gpio_keys_without_debounce_fails_the_bounce_step_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A model that reads the level at every edge types a key per bounce."""
    from pilab.labs.gpio_keys.lab import STEPS, bounce_step
    from pilab.labs.gpio_keys.model import GpioKeysModel

    monkeypatch.setattr(GpioKeysModel, "on_edge", GpioKeysModel.read)
    assert failed_steps("gpio_keys") == {name for name, fn in STEPS if fn is bounce_step}


def test_gpio_keys_never_releasing_fails_every_step_after_the_first_press(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One load for the whole run: the key stays down, and the input core passes no
    second key down. (``pilab check`` loads afresh per check: tests/test_check.py.)"""
    from pilab.labs.gpio_keys.lab import STEPS, device_step, press_step
    from pilab.labs.gpio_keys.model import GpioKeysModel

    real = GpioKeysModel.read

    def press_only(self: GpioKeysModel) -> None:
        if self.pin.state:
            real(self)
        else:
            self.pressed = False

    monkeypatch.setattr(GpioKeysModel, "read", press_only)
    assert failed_steps("gpio_keys") == {name for name, fn in STEPS
                                         if fn not in (device_step, press_step)}


def test_gpio_keys_leaking_its_device_fails_the_unload_step(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pilab.labs.gpio_keys.lab import UNLOAD
    from pilab.labs.gpio_keys.model import GpioKeysModel

    monkeypatch.setattr(GpioKeysModel, "unload", GpioKeysModel.release)
    assert failed_steps("gpio_keys") == {UNLOAD}
