"""A busy pin's error names who holds it: the consumer label and the process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pilab.boards.vm import VmGuestBoard
from pilab.errors import ModuleError
from pilab.wiring import load_wiring

HOLD = """
import lgpio, sys, time
handle = lgpio.gpiochip_open(int(sys.argv[1]))
lgpio.gpio_claim_input(handle, int(sys.argv[2]))
print("held", flush=True)
time.sleep(60)
"""


def test_a_line_held_by_a_process_names_that_process(vm_board: VmGuestBoard) -> None:
    wiring = load_wiring("intrpt")
    vm_board.setup(wiring)
    assert vm_board.chip is not None and vm_board.chip.chardev is not None
    button = wiring.buttons[0]
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(vm_board.chip.chardev),
                               str(button)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ModuleError) as err:
            vm_board.modules.load("intrpt", led=vm_board.gpio(wiring.led or 0),
                                  buttons=[vm_board.gpio(b) for b in wiring.buttons])
        message = str(err.value)
        assert "EBUSY" in message
        assert f"GPIO{button}" in message
        assert f"pid {holder.pid}" in message, message
    finally:
        holder.kill()
        holder.wait()
