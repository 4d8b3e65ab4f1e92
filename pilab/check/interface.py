"""What a built module offers (its parameters), and whether that is the lab's interface.

Each lab's checks module names its rule as ``INTERFACE`` (a lab without one needs no
parameters): ``gpio_pins`` for the GPIO labs, ``needs_params(...)`` for a fixed set. The
registry hands it over: ``pilab.labs.entry(lab).interface``.
"""

from __future__ import annotations

from collections.abc import Callable

from pilab.check.suite import CheckResult, failed
from pilab.pimodels import PI_MODELS
from pilab.steps import PASSED
from pilab.wiring import guide_pins

NAME = "interface"
# (the module's parameters and their types, the board, the emulated Pi or None)
InterfaceRule = Callable[[dict[str, str], str, "str | None"], CheckResult]


def interface_check(rule: InterfaceRule | None, params: dict[str, str], board: str,
                    model: str | None) -> CheckResult:
    """Whether the module's parameters follow the lab's *rule* (None: it needs none)."""
    if rule is None:
        return CheckResult(NAME, PASSED, "no parameters needed")
    return rule(params, board, model)


def gpio_pins(params: dict[str, str], board: str, model: str | None) -> CheckResult:
    """led + buttons parameters, or none and the guide's fixed numbers (where they work)."""
    led, (button1, button2) = guide_pins()
    has = {"led", "buttons"} & set(params)
    if has == {"led", "buttons"}:
        if "int" not in params["led"] or "array" not in params["buttons"]:
            return failed(NAME, f"led is '{params['led']}' and buttons '{params['buttons']}'",
                          "led is an int, buttons an array of 2 ints: module_param(led, int, "
                          "0444); module_param_array(buttons, int, &n, 0444)")
        return CheckResult(NAME, PASSED, "led and buttons parameters (global GPIO numbers)")
    if has:
        return failed(NAME, f"the module has {has.pop()} but not the other of led/buttons",
                      f"take both led and buttons, or neither (the guide's fixed {led}, {button1}, "
                      f"{button2})")
    if board == "pi" or model:
        bases = " or ".join(str(base) for base in sorted({m.base for m in PI_MODELS.values()}))
        return failed(NAME, f"no led/buttons parameters: the guide's fixed GPIO numbers {led}, "
                      f"{button1} and {button2} are not the header's pins on a Pi whose GPIO "
                      f"chip starts at global number {bases}",
                      "take led and buttons as module parameters (global GPIO numbers), or "
                      "add the header chip's base to your numbers")
    return CheckResult(NAME, PASSED, f"no led/buttons parameters: the guide's fixed GPIO "
                       f"numbers (LED {led}, buttons {button1} and {button2}); the VM's header "
                       "starts at 0")


def needs_params(*names: str, hint: str) -> InterfaceRule:
    """The rule of a lab whose module must take exactly-named parameters (*hint*: how)."""
    def rule(params: dict[str, str], board: str, model: str | None) -> CheckResult:
        missing = [name for name in names if name not in params]
        if missing:
            return failed(NAME, f"the module has no {', '.join(missing)} parameter(s)", hint)
        return CheckResult(NAME, PASSED,
                           f"{', '.join(names[:-1])} and {names[-1]} parameters")
    return rule
