"""What every lab shares: its wiring, and the buttons and LED it works."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from contextlib import ExitStack

from gpiozero import DigitalInputDevice, DigitalOutputDevice

from pilab.boards.base import Board
from pilab.steps import StepFailed, StepRecorder, wait_for
from pilab.wiring import Wiring, load_wiring
from pilab.wiring.header import physical_pin

PRESS_SECONDS = 0.02  # how long a press holds the button high
SETTLE_SECONDS = 1.0  # how long an IRQ may take to show on the LED


class Lab(ABC):
    """One chapter's lab: ``run`` performs and checks it, step by step."""

    name: str = "lab"
    title: str = ""
    module: str = ""  # the kernel module the lab loads; the lab's name unless told
    takes_pins: bool = True  # False: the module uses the guide's fixed GPIO numbers
    wiring_name: str | None = None  # defaults to the lab's name
    needs_kernel: bool = False  # True: no model, so the mock board skips it
    manual: bool = False  # a person presses the buttons (pilab run --manual)
    manual_timeout: float = 30.0  # seconds to wait for each press

    def __init__(self) -> None:
        self.module = self.module or self.name

    def wiring(self) -> Wiring:
        return load_wiring(self.wiring_name or self.name)

    @abstractmethod
    def run(self, board: Board, steps: StepRecorder) -> None:
        """Run the lab's steps on *board*; setup/teardown are the runner's."""

    def bench(self, board: Board, wiring: Wiring, stack: ExitStack) -> Bench:
        """The lab's Bench; in manual mode a person presses, seen in the button's IRQ count."""
        human = HumanPresses(board, wiring, self.manual_timeout) if self.manual else None
        return Bench(board, wiring, stack, human)


class HumanPresses:
    """Manual mode: ask a person to press, and see the press as the button's IRQ firing
    (whoever wrote the module, whatever it logs)."""

    def __init__(self, board: Board, wiring: Wiring, timeout: float) -> None:
        self.board, self.wiring, self.timeout = board, wiring, timeout
        self.revision = board.model.revision

    def press(self, button: int) -> None:
        """Prompt for button *button* and wait until its IRQ count grows."""
        line = self.wiring.buttons[button - 1]
        irq = self.board.irq_of(line)
        if irq is None:
            raise StepFailed(f"button {button} (GPIO{line}) has no IRQ to watch for a press")
        before = self.board.irq_count(irq)
        self.prompt(button, f"press button {button} (GPIO{line}, header pin "
                    f"{physical_pin(line, self.revision)}) within {self.timeout:.0f}s")
        if not wait_for(lambda: self.board.irq_count(irq) > before, self.timeout):
            raise StepFailed(f"no press of button {button} seen within {self.timeout:.0f}s")


    def prompt(self, button: int, message: str) -> None:
        """Tell the person what to press."""
        print(f"    >>> {message}", flush=True)


class Bench:
    """The lab's hands and eyes: drive pins press buttons, a sense pin sees the LED.

    With *human* set, a person presses the buttons instead of the drive pins.
    """

    def __init__(self, board: Board, wiring: Wiring, stack: ExitStack,
                 human: HumanPresses | None = None) -> None:
        factory = board.pin_factory
        self.human = human
        self._drive = [] if human else [
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
        if self.human:
            self.human.press(button)
            return
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
