"""What a built module offers (its parameters), and whether that is the lab's interface."""

from __future__ import annotations

import re
from pathlib import Path

from pilab.check.suite import CheckResult, failed
from pilab.steps import PASSED

GPIO_LABS = ("intrpt", "bottomhalf", "bh_thread")
PARMTYPE = re.compile(rb"parmtype=([A-Za-z0-9_]+):([^\0]+)\0")


def module_params(ko: Path) -> dict[str, str]:
    """The module's parameters and their types, from its .modinfo strings."""
    return {m[1].decode(): m[2].decode() for m in PARMTYPE.finditer(ko.read_bytes())}


def interface_check(lab: str, params: dict[str, str], board: str,
                    model: str | None) -> CheckResult:
    """GPIO labs: led + buttons parameters, or none and the guide's fixed numbers."""
    name = "interface"
    if lab == "latency":
        missing = sorted({"led", "button", "path"} - set(params))
        if missing:
            return failed(name, f"the module has no {', '.join(missing)} parameter(s)",
                          "module_param(led, int, 0444); module_param(button, int, 0444); "
                          "module_param(path, charp, 0444)")
        return CheckResult(name, PASSED, "led, button and path parameters")
    if lab not in GPIO_LABS:
        return CheckResult(name, PASSED, "no parameters needed")
    has = {"led", "buttons"} & set(params)
    if has == {"led", "buttons"}:
        if "int" not in params["led"] or "array" not in params["buttons"]:
            return failed(name, f"led is '{params['led']}' and buttons '{params['buttons']}'",
                          "led is an int, buttons an array of 2 ints: module_param(led, int, "
                          "0444); module_param_array(buttons, int, &n, 0444)")
        return CheckResult(name, PASSED, "led and buttons parameters (global GPIO numbers)")
    if has:
        return failed(name, f"the module has {has.pop()} but not the other of led/buttons",
                      "take both led and buttons, or neither (the guide's fixed 4, 17, 18)")
    if board == "pi" or model:
        return failed(name, "no led/buttons parameters: the guide's fixed GPIO numbers 4, 17 "
                      "and 18 are not the header's pins on a Pi whose GPIO chip starts at "
                      "global number 512 or 571",
                      "take led and buttons as module parameters (global GPIO numbers), or "
                      "add the header chip's base to your numbers")
    return CheckResult(name, PASSED, "no led/buttons parameters: the guide's fixed GPIO "
                       "numbers (LED 4, buttons 17 and 18); the VM's header starts at 0")
