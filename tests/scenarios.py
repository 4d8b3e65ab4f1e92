"""Lab scenarios run the same way on the mock board and on the vm board.

The mock board's models are only worth something if they agree with the
kernel: tests/test_mock_labs.py and tests/kernel/ call these same functions
with the same expectations.
"""

from __future__ import annotations

import errno
import time
from contextlib import ExitStack

from gpiozero import DigitalInputDevice

from pilab.boards.base import Board
from pilab.errors import ModuleError
from pilab.labs.base import Bench
from pilab.wiring import load_wiring


def led_after_presses(board: Board, module: str, swap: bool = False) -> list[int]:
    """Load *module*, press 1, 2, then 1 twice; the LED level after each."""
    wiring = load_wiring(module)
    board.setup(wiring)
    buttons = [board.gpio(b) for b in wiring.buttons]
    if swap:
        buttons.reverse()
    board.modules.load(module, led=board.gpio(wiring.led or 0), buttons=buttons)
    levels = []
    with ExitStack() as stack:
        bench = Bench(board, wiring, stack)
        for presses in ([1], [2], [1, 1]):
            before = bench.led()
            for button in presses:
                bench.press(button)
                time.sleep(0.05)
            bench.led_becomes(1 - before, timeout=1.0)
            time.sleep(0.1)
            levels.append(bench.led())
    board.modules.unload(module)
    return levels


def load_error(board: Board, module: str, **params: object) -> int | None:
    """Try to load *module* with bad *params*; the errno it fails with."""
    try:
        board.modules.load(module, **params)
    except ModuleError as exc:
        return exc.errno
    board.modules.unload(module)
    return None


def bad_loads(board: Board, module: str) -> dict[str, int | None]:
    """Every kind of bad pin, then a good load: errno per case."""
    wiring = load_wiring(module)
    board.setup(wiring)
    led = board.gpio(wiring.led or 0)
    b1, b2 = (board.gpio(b) for b in wiring.buttons)
    results = {
        "duplicate buttons": load_error(board, module, led=led, buttons=[b1, b1]),
        "led is a button": load_error(board, module, led=b1, buttons=[b1, b2]),
        "one button": load_error(board, module, led=led, buttons=[b1]),
        "no such line": load_error(board, module, led=board.gpio(0) + 4000, buttons=[b1, b2]),
    }
    with DigitalInputDevice(f"GPIO{wiring.buttons[0]}", pin_factory=board.pin_factory):
        results["busy button"] = load_error(board, module, led=led, buttons=[b1, b2])
    results["good load after all that"] = load_error(board, module, led=led, buttons=[b1, b2])
    return results


EXPECTED_BAD_LOADS = {
    "duplicate buttons": errno.EINVAL,
    "led is a button": errno.EINVAL,
    "one button": errno.EINVAL,
    "no such line": errno.ENODEV,
    "busy button": errno.EBUSY,
    "good load after all that": None,
}


def manual_run_with_simulated_hand(board_name: str, lab: str, monkeypatch: object) -> object:
    """Run *lab* in manual mode; a simulated hand presses each button when asked."""
    import threading

    from pilab.boards import base
    from pilab.labs.base import HumanPresses
    from pilab.runner import run_lab

    boards: list[Board] = []
    real_make = base.make_board

    def capture(name: str, model: str | None = None) -> Board:
        boards.append(real_make(name, model))
        return boards[-1]

    def hand(self: HumanPresses, button: int, message: str) -> None:
        line = self.wiring.buttons[button - 1]

        def press() -> None:
            boards[0].apply_level(line, 1)
            time.sleep(0.02)
            boards[0].apply_level(line, 0)

        threading.Timer(0.1, press).start()

    monkeypatch.setattr("pilab.runner.make_board", capture)  # type: ignore[attr-defined]
    monkeypatch.setattr(HumanPresses, "prompt", hand)  # type: ignore[attr-defined]
    return run_lab(lab, board_name, out=None, manual=True)
