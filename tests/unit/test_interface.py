"""The interface check: each lab's rule, as its checks module declares it."""

from __future__ import annotations

import pytest

from pilab.check.interface import interface_check
from pilab.check.suite import CheckResult
from pilab.labs import entry
from pilab.steps import FAILED, PASSED

PINS = {"led": "int", "buttons": "array of int"}


def check(lab: str, params: dict[str, str], board: str = "vm",
          model: str | None = None) -> CheckResult:
    """*lab*'s interface check, with the rule the registry gives."""
    return interface_check(entry(lab).interface, params, board, model)


@pytest.mark.parametrize("lab", ["intrpt", "bottomhalf", "bh_thread"])
def test_gpio_labs_take_led_and_buttons(lab: str) -> None:
    assert check(lab, PINS).status == PASSED
    wrong = check(lab, {"led": "charp", "buttons": "array of int"})
    assert wrong.status == FAILED and "led is 'charp'" in wrong.reason
    half = check(lab, {"led": "int"})
    assert half.status == FAILED and "not the other" in half.reason


def test_fixed_numbers_pass_only_where_the_header_starts_at_zero() -> None:
    assert check("intrpt", {}).status == PASSED
    for board, model in (("pi", None), ("vm", "pi5")):
        result = check("intrpt", {}, board, model)
        assert result.status == FAILED and "512 or 571" in result.reason


def test_latency_names_each_missing_parameter() -> None:
    ok = check("latency", {"led": "int", "button": "int", "path": "charp"})
    assert ok.status == PASSED and ok.reason == "led, button and path parameters"
    missing = check("latency", {"led": "int", "buttons": "array of int"})
    assert missing.status == FAILED
    assert missing.reason == "the module has no button, path parameter(s)"
    assert "module_param(path, charp, 0444)" in missing.hint


@pytest.mark.parametrize("lab", ["vkbd", "kbleds"])
def test_labs_without_a_rule_need_no_parameters(lab: str) -> None:
    assert check(lab, {}).reason == "no parameters needed"
