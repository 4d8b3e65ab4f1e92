"""What every lab shares: its wiring, and the buttons and LED it works."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from contextlib import ExitStack

from gpiozero import DigitalInputDevice, DigitalOutputDevice

from pilab.boards.base import Board
from pilab.report import StepRecorder, wait_for
from pilab.wiring import Wiring, load_wiring

PRESS_SECONDS = 0.02  # how long a press holds the button high
SETTLE_SECONDS = 1.0  # how long an IRQ may take to show on the LED


class Lab(ABC):
    """One chapter's lab: ``run`` performs and checks it, step by step."""

    name: str = "lab"
    title: str = ""
    wiring_name: str | None = None  # defaults to the lab's name
    needs_kernel: bool = False  # True: no model, so the mock board skips it

    def wiring(self) -> Wiring:
        return load_wiring(self.wiring_name or self.name)

    @abstractmethod
    def run(self, board: Board, steps: StepRecorder) -> None:
        """Run the lab's steps on *board*; setup/teardown are the runner's."""


class Bench:
    """The lab's hands and eyes: drive pins press buttons, a sense pin sees the LED."""

    def __init__(self, board: Board, wiring: Wiring, stack: ExitStack) -> None:
        factory = board.pin_factory
        self._drive = [
            stack.enter_context(
                DigitalOutputDevice(f"GPIO{wiring.drive_pin(b)}", pin_factory=factory)
            )
            for b in wiring.buttons
        ]
        self._sense = stack.enter_context(
            DigitalInputDevice(f"GPIO{wiring.sense_pin()}", pin_factory=factory)
        )

    def press(self, button: int, hold: float = PRESS_SECONDS) -> None:
        """Press and release button *button* (1-based) through its jumper."""
        drive = self._drive[button - 1]
        drive.on()
        time.sleep(hold)
        drive.off()

    def led(self) -> int:
        """The LED's level now, as the sense pin reads it."""
        return int(self._sense.value)

    def led_becomes(self, level: int, timeout: float = SETTLE_SECONDS) -> bool:
        """Wait until the LED reads *level*."""
        return wait_for(lambda: self.led() == level, timeout)
