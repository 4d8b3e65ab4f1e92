"""The gpio_keys lab's hands and eyes: the drive jumper presses, the module's evdev device
reports, the button's IRQ counts edges."""

from __future__ import annotations

from contextlib import ExitStack

from gpiozero import DigitalOutputDevice

from pilab.boards.base import Board
from pilab.kernel.inputs import InputEvent, InputReader
from pilab.steps import Step, wait_for
from pilab.wiring import Wiring

BOUNCES, BOUNCE_SECONDS = 10, 0.003  # a press bouncing 10 times in 3 ms
KEY_SECONDS = 2.0  # how long a key event may take to come
QUIET_SECONDS = 0.2  # how long nothing more must come after it


def params(board: Board, wiring: Wiring, **extra: object) -> dict[str, object]:
    """The module's parameters: the button as a global GPIO number, and *extra*."""
    return {"button": board.gpio(wiring.buttons[0]), **extra}


class KeyBench:
    """Press the button through its drive pin; read what the module's device reports."""

    def __init__(self, board: Board, wiring: Wiring, stack: ExitStack) -> None:
        self.board, self.wiring = board, wiring
        self.button = wiring.buttons[0]
        self.drive_pin = wiring.drive_pin(self.button)
        self.drive = stack.enter_context(
            DigitalOutputDevice(f"GPIO{self.drive_pin}", pin_factory=board.pin_factory))
        self.device: InputReader | None = None
        self.irq: int | None = None
        self.module: str | None = None
        self._stack = stack

    def load(self, step: Step, module: str, **extra: object) -> str:
        """Load *module*; the one input device it made (opened), and the button's IRQ."""
        before = self.board.input_nodes()
        self.module = module
        self.board.modules.load(module, **params(self.board, self.wiring, **extra))
        wait_for(lambda: bool(self.board.input_nodes() - before), KEY_SECONDS)
        new = sorted(self.board.input_nodes() - before)
        step.note(new_input_devices=new)
        step.expect(len(new) == 1, f"{len(new)} input devices appeared at load ({new}), "
                    "expected one: input_allocate_device(), then input_register_device()")
        self.device = self.board.open_input(new[0])
        self._stack.callback(self.device.close)
        self.irq = self.board.irq_of(self.button)
        step.expect(self.irq is not None and bool(self.board.irq_handlers(self.irq)),
                    f"the button (GPIO{self.button}) has no interrupt handler: request its "
                    "gpiod_to_irq() number with both edges")
        return new[0]

    @property
    def reader(self) -> InputReader:
        assert self.device is not None, "load() opens the device"
        return self.device

    def press(self) -> None:
        self.drive.on()

    def release(self) -> None:
        self.drive.off()

    def bounce(self, level: int) -> None:
        """Press (1) or release (0) through a contact bouncing BOUNCES times."""
        self.board.bounce(self.drive_pin, level, BOUNCES, BOUNCE_SECONDS)

    def events(self, count: int | None = None, timeout: float = KEY_SECONDS) -> list[InputEvent]:
        """*count* events (or what came within *timeout*), then whatever else comes in
        the next QUIET_SECONDS: nothing, if the module is done."""
        got = self.reader.events(timeout, count) if count else []
        return got + self.reader.events(QUIET_SECONDS)

    def irq_count(self) -> int:
        return self.board.irq_count(self.irq) if self.irq is not None else 0
