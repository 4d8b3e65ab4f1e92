"""Which board a name, a Pi model and a check's module make: decided in pilab.boards alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilab.boards import board_name, make_board, make_kernel_board
from pilab.boards.mock import MockBoard
from pilab.boards.pi import PiBoard
from pilab.boards.vm import VmGuestBoard
from pilab.check.context import VGPIO_AT_ZERO, CheckContext
from pilab.errors import ConfigError
from pilab.pimodels import VGPIO


def test_the_vm_board_is_the_vgpio_header_or_the_emulated_pi() -> None:
    bare = make_kernel_board("vm")
    assert isinstance(bare, VmGuestBoard) and bare.model == VGPIO
    assert make_kernel_board("vm", "vgpio").model == VGPIO
    moved = make_kernel_board("vm", None, VGPIO_AT_ZERO)
    assert isinstance(moved, VmGuestBoard) and moved.model == VGPIO_AT_ZERO
    pi5 = make_kernel_board("vm", "pi5")
    assert isinstance(pi5, PiBoard) and pi5.model.name == "pi5" and pi5.emulated_by == "vm"


def test_mock_is_a_board_but_has_no_kernel() -> None:
    mock = make_board("mock", "pi3")
    assert isinstance(mock, MockBoard) and mock.model.name == "pi3"
    assert make_board("mock").model.name == "pi4"
    with pytest.raises(ConfigError, match="no kernel"):
        make_kernel_board("mock")


@pytest.mark.parametrize("make", [make_board, make_kernel_board])
def test_a_real_pi_takes_no_model_and_unknown_names_are_refused(make: object) -> None:
    assert callable(make)
    with pytest.raises(ConfigError, match="a real Pi is what it is"):
        make("pi", "pi5")
    with pytest.raises(ConfigError, match="unknown board 'x86'"):
        make("x86")


def test_chosen_board_wins_over_the_machines(monkeypatch: pytest.MonkeyPatch) -> None:
    import pilab.boards

    monkeypatch.setattr(pilab.boards, "detect_default_board", lambda: "pi")
    assert board_name("mock") == "mock"
    assert board_name(None) == "pi"


@pytest.mark.parametrize(("params", "model", "header"), [
    ({"led": "int", "buttons": "array of int"}, None, VGPIO),
    ({}, None, VGPIO_AT_ZERO),  # the guide's fixed numbers: vgpio at global GPIO 0
])
def test_a_check_board_is_made_by_the_same_choice(tmp_path: Path, params: dict[str, str],
                                                  model: str | None, header: object) -> None:
    (tmp_path / "intrpt.ko").write_bytes(b"")
    ctx = CheckContext("intrpt", tmp_path, ["intrpt"], params, "vm", model)
    board = ctx.new_board()
    assert isinstance(board, VmGuestBoard) and board.model == header
    assert board._loader.stack.elsewhere == {"intrpt": tmp_path}


def test_a_check_on_an_emulated_pi_is_that_pi(tmp_path: Path) -> None:
    ctx = CheckContext("intrpt", tmp_path, ["intrpt"], {}, "vm", "pi5")
    board = ctx.new_board()
    assert isinstance(board, PiBoard) and board.model.name == "pi5"
