"""The latency module and the bare chardev path, against the real kernel."""

from __future__ import annotations

import errno
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gpiozero import DigitalInputDevice, DigitalOutputDevice

from pilab.boards.vm import VmGuestBoard
from pilab.errors import GpioError, ModuleError
from pilab.kernel.gpio_cdev import FLAG_EDGE_RISING, FLAG_INPUT, FLAG_OUTPUT, LineRequest
from pilab.kernel.holders import line_consumers
from pilab.kernel.modules import loaded
from pilab.wiring import load_wiring

WIRING = load_wiring("latency")
LED, BUTTON = WIRING.led or 0, WIRING.buttons[0]


@pytest.fixture
def board(vm_board: VmGuestBoard) -> VmGuestBoard:
    vm_board.setup(WIRING)
    return vm_board


def chip_path(board: VmGuestBoard) -> Path:
    assert board.chip is not None and board.chip.chardev is not None
    return Path(f"/dev/gpiochip{board.chip.chardev}")


@pytest.mark.parametrize(("what", "led", "button", "path"), [
    ("an unknown path", LED, BUTTON, "nowhere"),
    ("an empty path", LED, BUTTON, ""),
    ("the LED and the button on one pin", LED, LED, "hardirq"),
    ("a negative button", LED, -1, "thread"),
])
def test_bad_parameters_are_refused_and_hold_nothing(board: VmGuestBoard, what: str, led: int,
                                                      button: int, path: str) -> None:
    number = board.gpio(button) if button >= 0 else button
    with pytest.raises(ModuleError) as err:
        board.modules.load("latency", led=board.gpio(led), button=number, path=path)
    assert err.value.errno == errno.EINVAL, (what, err.value)
    assert not loaded("latency")
    assert board.chip is not None
    assert not line_consumers(board.chip, [LED, BUTTON]), what


@pytest.mark.parametrize("path", ["hardirq", "tasklet", "thread"])
def test_each_path_toggles_the_led_per_press(board: VmGuestBoard, path: str) -> None:
    board.modules.load("latency", led=board.gpio(LED), button=board.gpio(BUTTON), path=path)
    factory = board.pin_factory
    with DigitalOutputDevice(f"GPIO{WIRING.drive_pin(BUTTON)}", pin_factory=factory) as drive, \
            DigitalInputDevice(f"GPIO{WIRING.sense_pin()}", pin_factory=factory) as sense:
        seen = []
        for _ in range(3):
            drive.on()
            time.sleep(0.02)
            drive.off()
            time.sleep(0.1)
            seen.append(int(sense.value))
    board.modules.unload("latency")
    assert seen == [1, 0, 1], path


def test_the_chardev_reports_a_rising_edge_with_a_monotonic_timestamp(
        board: VmGuestBoard) -> None:
    drive_pin = WIRING.drive_pin(BUTTON)
    with LineRequest(chip_path(board), BUTTON, FLAG_INPUT | FLAG_EDGE_RISING) as edges, \
            LineRequest(chip_path(board), drive_pin, FLAG_OUTPUT) as drive:
        assert edges.wait_edge(0.2) is None  # nothing yet
        before = time.monotonic_ns()
        drive.set(1)
        edge = edges.wait_edge(5.0)
        after = time.monotonic_ns()
        assert edge is not None and edge.rising and edge.offset == BUTTON
        assert before <= edge.timestamp_ns <= after
        assert edges.get() == 1
        drive.set(0)
        assert edges.wait_edge(0.2) is None  # falling edges were not asked for
        assert edges.get() == 0


def test_a_busy_line_is_refused_in_words(board: VmGuestBoard) -> None:
    with LineRequest(chip_path(board), BUTTON, FLAG_INPUT), \
            pytest.raises(GpioError, match="refused: Device or resource busy"), \
            LineRequest(chip_path(board), BUTTON, FLAG_INPUT):
        pass


FORKED = """
import os, sys, threading
from pilab.warmguest import NOT_PRELOADED, preload
preload()
assert not set(NOT_PRELOADED) & set(sys.modules), "the server imported lgpio"
pid = os.fork()
if pid == 0:
    code = 1
    try:
        from gpiozero import Button, DigitalOutputDevice
        from pilab.kernel.pinfactory import VgpioFactory
        factory = VgpioFactory(chip=int(sys.argv[1]))
        fired = threading.Event()
        with Button(f"GPIO{sys.argv[2]}", pull_up=False, bounce_time=None,
                    pin_factory=factory) as button, \\
                DigitalOutputDevice(f"GPIO{sys.argv[3]}", pin_factory=factory) as drive:
            button.when_pressed = fired.set
            drive.on()
            code = 0 if fired.wait(5.0) else 2
        factory.close()
    finally:
        os._exit(code)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.once  # pilab's Python side: the kernel does not change it
def test_when_pressed_fires_in_a_child_forked_by_the_warm_server(board: VmGuestBoard) -> None:
    """The warm VM runs each command in a child forked from its server, which imported
    pilab first: gpiozero's edge callbacks must fire there (lgpio's threads did not
    survive the fork, and the latency lab's gpiozero path failed in the warm VM)."""
    assert board.chip is not None and board.chip.chardev is not None
    proc = subprocess.run([sys.executable, "-c", FORKED, str(board.chip.chardev),
                           str(BUTTON), str(WIRING.drive_pin(BUTTON))],
                          capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-1500:]}"
