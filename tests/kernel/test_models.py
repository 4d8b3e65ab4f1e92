"""Pi numbering emulated: vgpio takes a Pi chip's label and base, pilab resolves it."""

from __future__ import annotations

import pytest

from pilab.boards.base import MODELS
from pilab.boards.vm import VmGuestBoard
from pilab.gpiochip import find_chip
from pilab.report import PASSED
from pilab.runner import run_lab
from pilab.wiring import load_wiring


@pytest.mark.parametrize("model", ["pi3", "pi4", "pi5"])
def test_intrpt_passes_with_pi_numbering(model: str) -> None:
    result = run_lab("intrpt", "vm", model, out=None)
    assert result.status == PASSED, [(s.name, s.reason) for s in result.steps]
    params = next(s for s in result.steps if s.name == "load the module").details["params"]
    base = MODELS[model].base
    assert params == {"led": base + 4, "buttons": [base + 17, base + 18]}


@pytest.mark.parametrize("model", ["pi3", "pi4", "pi5"])
def test_chip_is_found_by_the_pi_label(model: str) -> None:
    board = VmGuestBoard(MODELS[model])
    try:
        board.setup(load_wiring("intrpt"))
        chip = find_chip()
        assert (chip.label, chip.base) == (MODELS[model].label, MODELS[model].base)
        assert board.gpio(17) == MODELS[model].base + 17
    finally:
        board.teardown()
