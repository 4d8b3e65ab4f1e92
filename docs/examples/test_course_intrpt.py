"""A course's own tests for the intrpt lab, written with pilab's pytest plugin.

Run on the mock board (seconds):   pytest docs/examples/test_course_intrpt.py
Run on the real kernel in the VM:  pytest --pilab-board vm docs/examples/test_course_intrpt.py
"""

from __future__ import annotations

import time
from contextlib import ExitStack

from pilab.labs.common.lab import Bench
from pilab.wiring import load_wiring


def test_the_whole_lab_passes(pilab_run_lab) -> None:
    result = pilab_run_lab("intrpt")
    assert result.status == "passed", [(s.name, s.reason) for s in result.steps]


def test_button_2_first_leaves_the_led_off(pilab_board, pilab_kernel_log) -> None:
    """Our own scenario: pressing 'off' before 'on' must not turn the LED on."""
    wiring = load_wiring("intrpt")
    pilab_board.setup(wiring)
    pilab_board.modules.load("intrpt", led=pilab_board.gpio(wiring.led),
                             buttons=[pilab_board.gpio(b) for b in wiring.buttons])
    with ExitStack() as stack:
        bench = Bench(pilab_board, wiring, stack)
        bench.press(2)
        time.sleep(0.2)
        assert bench.led() == 0
        bench.press(1)
        assert bench.led_becomes(1)
    pilab_board.modules.unload("intrpt")
    # pilab_kernel_log: after the test, the kernel log must show no WARNING, BUG, Oops...
