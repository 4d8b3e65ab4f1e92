"""Pi numbering emulated: vgpio takes a Pi chip's label and base, pilab resolves it."""

from __future__ import annotations

import pytest

from pilab.boards.vm import VmGuestBoard
from pilab.kernel.gpiochip import find_chip
from pilab.pimodels import PI_MODELS
from pilab.runner import run_lab
from pilab.steps import PASSED
from pilab.wiring import load_wiring


@pytest.mark.parametrize("model", ["pi3", "pi4", "pi5"])
def test_intrpt_passes_with_pi_numbering(model: str) -> None:
    result = run_lab("intrpt", "vm", model, out=None)
    assert result.status == PASSED, [(s.name, s.reason) for s in result.steps]
    assert (result.board, result.emulated_by) == ("pi", "vm")  # the pi board's own code ran
    params = next(s for s in result.steps if s.name.startswith("load the module")).details["params"]
    base = PI_MODELS[model].base
    assert params == {"led": base + 4, "buttons": [base + 17, base + 18]}


@pytest.mark.parametrize("model", ["pi3", "pi4", "pi5"])
def test_chip_is_found_by_the_pi_label(model: str) -> None:
    board = VmGuestBoard(PI_MODELS[model])
    try:
        board.setup(load_wiring("intrpt"))
        chip = find_chip()
        assert (chip.label, chip.base) == (PI_MODELS[model].label, PI_MODELS[model].base)
        assert board.gpio(17) == PI_MODELS[model].base + 17
    finally:
        board.teardown()


@pytest.mark.once  # pilab's Python side: the kernel does not change it
def test_doctor_in_the_vm_reports_the_emulated_pi5() -> None:
    """What 'pilab vm --model pi5 -- pilab doctor --json' runs in the guest."""
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, PILAB_EMULATE="pi5")
    pilab = [sys.executable, "-m", "pilab"]
    proc = subprocess.run([*pilab, "_emulate", "pi5", "--", *pilab, "doctor", "--json"],
                          env=env, capture_output=True, text=True, check=False)
    report = json.loads(proc.stdout)
    assert report["pi"] == "pi5" and "Raspberry Pi 5" in report["board"], report
    assert report["emulated_by"] == "vm"
    assert report["chip"]["label"] == "pinctrl-rp1" and report["chip"]["base"] == 571
    header = next(c for c in report["checks"] if c["name"] == "GPIO header chip")
    assert header["ok"] and "base 571" in header["detail"], header
    assert not os.path.exists("/sys/module/vgpio"), "_emulate left vgpio loaded"
