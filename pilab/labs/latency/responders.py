"""The two userspace paths from the button to the LED: gpiozero, and the bare chardev."""

from __future__ import annotations

import os
import threading
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

from gpiozero import LED, Button

from pilab.boards.base import Board
from pilab.kernel.gpio_cdev import FLAG_EDGE_RISING, FLAG_INPUT, FLAG_OUTPUT, LineRequest


class GpiozeroResponder:
    """``button.when_pressed = led.toggle``: lgpio's alert thread calls Python."""

    def __init__(self, board: Board, button: int, led: int) -> None:
        self.board, self.button, self.led = board, button, led
        self._stack = ExitStack()

    def __enter__(self) -> GpiozeroResponder:
        factory = self.board.pin_factory
        with ExitStack() as stack:
            led = stack.enter_context(LED(f"GPIO{self.led}", pin_factory=factory))
            button = stack.enter_context(Button(f"GPIO{self.button}", pull_up=False,
                                                bounce_time=None, pin_factory=factory))
            button.when_pressed = led.toggle
            self._stack = stack.pop_all()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.close()


class CdevResponder:
    """A thread blocked in read(2) on the button's line request sets the LED by ioctl."""

    def __init__(self, chip: Path, button: int, led: int) -> None:
        self.chip, self.button, self.led = chip, button, led
        self._stack = ExitStack()
        self._thread: threading.Thread | None = None
        self._wake = (-1, -1)
        self._stopping = threading.Event()
        self.error: OSError | None = None

    def __enter__(self) -> CdevResponder:
        with ExitStack() as stack:
            self._led = stack.enter_context(LineRequest(self.chip, self.led, FLAG_OUTPUT))
            self._edges = stack.enter_context(
                LineRequest(self.chip, self.button, FLAG_INPUT | FLAG_EDGE_RISING))
            self._wake = os.pipe()
            stack.callback(os.close, self._wake[0])
            stack.callback(os.close, self._wake[1])
            self._thread = threading.Thread(target=self._respond, daemon=True,
                                            name="pilab-cdev-responder")
            self._thread.start()
            stack.callback(self._stop)
            self._stack = stack.pop_all()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.close()

    def _stop(self) -> None:
        self._stopping.set()
        os.write(self._wake[1], b"x")
        if self._thread is not None:
            self._thread.join(5.0)

    def _respond(self) -> None:
        on = 0
        try:
            while not self._stopping.is_set():
                edge = self._edges.wait_edge(1.0, self._wake[0])
                if edge is not None and edge.rising:
                    on ^= 1
                    self._led.set(on)
        except OSError as exc:  # the lab reports it: the presses then go unanswered
            self.error = exc
