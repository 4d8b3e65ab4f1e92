"""Lab scenarios run the same way on the mock board and on the vm board.

The mock board's models are only worth something if they agree with the
kernel: tests/test_mock_labs.py and tests/kernel/ call these same functions
with the same expectations.
"""

from __future__ import annotations

import errno
import re
import time
from contextlib import ExitStack

from gpiozero import DigitalInputDevice

from pilab.boards.base import Board
from pilab.errors import ModuleError
from pilab.labs.common.lab import Bench
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

# What the module logs (lab_pins.h's messages) for each refused load in
# bad_loads(), in that order; "{m}" is the module's name.
EXPECTED_REFUSALS = {
    "duplicate buttons": r"button 2 GPIO \d+: is also button 1 \(error -22\)",
    "led is a button": r"button 1 GPIO \d+: is also the LED \(error -22\)",
    "one button": r"buttons: 1 given, exactly 2 needed \(error -22\)",
    "no such line": r"{m}#led GPIO \d+: no GPIO chip provides it \(error -19\)",
    "busy button": r"{m}#button1 GPIO \d+: already in use \(error -16\)",
}


def refusal_mismatches(log: list[str], module: str) -> list[str]:
    """How the refusals *module* logged before its good load differ from EXPECTED_REFUSALS.

    *log* is the kernel log since bad_loads() began; the good load is the first
    ``<module>: led L, buttons A B, irqs X Y`` line. Empty when every bad load
    logged exactly its reason, in order, and nothing else.
    """
    prefix = f"{module}: "
    texts = [t.removeprefix(prefix) for t in log if t.startswith(prefix)]
    good = next((i for i, t in enumerate(texts) if t.startswith("led ")), None)
    if good is None:
        return ["the good load's line is missing"]
    logged = texts[:good]
    wanted = [(case, pattern.format(m=module)) for case, pattern in EXPECTED_REFUSALS.items()]
    problems = [f"{case}: logged {text!r}, not /{pattern}/"
                for (case, pattern), text in zip(wanted, logged, strict=False)
                if not re.fullmatch(pattern, text)]
    if len(logged) != len(wanted):
        problems.append(f"{len(logged)} refusal lines for {len(wanted)} bad loads: {logged}")
    return problems


def manual_run_with_simulated_hand(board_name: str, lab: str, monkeypatch: object) -> object:
    """Run *lab* in manual mode; a simulated hand presses each button when asked."""
    import threading

    from pilab import boards as board_package
    from pilab.labs.common.lab import HumanPresses
    from pilab.runner import run_lab

    boards: list[Board] = []
    real_make = board_package.make_board

    def capture(name: str, model: str | None = None, models: object = None) -> Board:
        boards.append(real_make(name, model, models))  # type: ignore[arg-type]
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


# ---- bottomhalf and bh_thread: work_ms, and unloading while a bottom half is busy

HALVES = ("bottomhalf", "bh_thread")


def work_ms_bounds(board: Board, module: str) -> dict[str, int | None]:
    """work_ms at and beyond its bounds (0..10000): errno per value."""
    wiring = load_wiring(module)
    board.setup(wiring)
    pins = {"led": board.gpio(wiring.led or 0), "buttons": [board.gpio(b) for b in wiring.buttons]}
    return {value: load_error(board, module, **pins, work_ms=value)
            for value in ("0", "10000", "10001", "-1")}


EXPECTED_WORK_MS_BOUNDS = {"0": None, "10000": None, "10001": errno.EINVAL, "-1": errno.EINVAL}


def unload_while_busy(board: Board, module: str, when: str,
                      work_ms: int = 300) -> dict[str, object]:
    """Press button 1, then unload *when*:

    - "pressed": as soon as the top half has logged (its bottom half pending or
      just started);
    - "working": half way through the bottom half's work;
    - "pending": once a second press (button 2 for the tasklet, which the
      buttons share; button 1 again for the IRQ thread) has logged its top
      half while the first bottom half still works, so another run waits.

    Returns what the log shows, and whether the unload really met a busy bottom half.
    """
    from journal import Journal, read_journal

    from pilab.labs.bh_thread.lab import BhThreadLab
    from pilab.labs.bottomhalf.lab import BottomhalfLab
    from pilab.labs.common.halves import BackgroundPress

    lines = BottomhalfLab().lines if module == "bottomhalf" else BhThreadLab().lines
    second = 2 if module == "bottomhalf" else 1
    wiring = load_wiring(module)
    board.setup(wiring)
    log = board.open_log()
    prefix = f"{module}: "
    mark = len(log.lines(prefix))

    def journal() -> Journal:
        return read_journal(log.lines(prefix)[mark:], lines)

    def wait_new(pattern: str, count: int = 1) -> None:
        """Wait for *count* lines matching *pattern* since the scenario began."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + 10
        while sum(bool(regex.search(r.text)) for r in log.lines(prefix)[mark:]) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not logged {count} times: {journal().records}")
            time.sleep(0.005)

    board.modules.load(module, led=board.gpio(wiring.led or 0),
                       buttons=[board.gpio(b) for b in wiring.buttons], work_ms=work_ms)
    with ExitStack() as stack:
        bench = Bench(board, wiring, stack)
        presses = [BackgroundPress(bench, (1,), board.real_kernel)]
        stack.callback(presses[0].stop)
        wait_new("top half: button 1")
        if when in ("working", "pending"):
            wait_new("bottom half start")
        if when == "working":
            time.sleep(work_ms / 2000)
        if when == "pending":
            if second == 1:  # the first press must have let go of the button
                while not presses[0].done():
                    time.sleep(0.005)
            presses.append(BackgroundPress(bench, (second,), board.real_kernel))
            stack.callback(presses[-1].stop)
            wait_new("top half: button", count=2)
        before = journal()
        ended = sum(run.end is not None for run in before.runs)
        busy = len(before.tops) > ended  # a press's bottom half had not finished
        if when == "pending":  # and the second press waited behind the first run
            busy = busy and len(before.tops) == 2 and ended == 0
        board.modules.unload(module)
        led_after = bench.led()
        while not all(p.done() for p in presses):
            time.sleep(0.005)
    records = log.lines(prefix)[mark:]
    unloaded = [i for i, r in enumerate(records) if r.text == prefix + "unloaded"]
    cut = unloaded[0] if unloaded else len(records)
    after = read_journal(records[:cut], lines)
    return {
        "busy at unload": busy,
        "top halves": len(after.tops),
        "runs started": len(after.runs),
        "runs ended before the unload line": sum(run.end is not None for run in after.runs),
        "unloaded": len(unloaded) == 1,
        "log after the unload line": [r.text for r in records[cut + 1:]],
        "led after": led_after,
    }


def expected_unload_while_busy(when: str) -> dict[str, object]:
    """Every pressed bottom half runs to its end before the module is gone."""
    runs = 2 if when == "pending" else 1
    return {
        "busy at unload": True,
        "top halves": runs,
        "runs started": runs,
        "runs ended before the unload line": runs,
        "unloaded": True,
        "log after the unload line": [],
        "led after": 0,
    }
