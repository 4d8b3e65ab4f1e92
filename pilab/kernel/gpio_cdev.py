"""GPIO lines through the character device's v2 uAPI, with nothing in between.

What a program that waits for a button does at its barest: one line
request for the button's rising edges, read(2) on its descriptor, one ioctl
to set the LED. The latency lab times this path against gpiozero's (which
goes through lgpio's alert thread and Python callbacks). Layouts and numbers
are <linux/gpio.h>'s.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pilab.errors import GpioError

FLAG_USED = 1 << 0
FLAG_INPUT = 1 << 2
FLAG_OUTPUT = 1 << 3
FLAG_EDGE_RISING = 1 << 4
FLAG_EDGE_FALLING = 1 << 5

# struct gpio_v2_line_request: offsets[64], consumer[32], config (flags,
# num_attrs, padding[5], attrs[10] of {id, padding, value, mask}), num_lines,
# event_buffer_size, padding[5], fd.
REQUEST = struct.Struct("<64I32sQI5I" + "IIQQ" * 10 + "II5Ii")
VALUES = struct.Struct("<QQ")  # struct gpio_v2_line_values: bits, mask
EVENT = struct.Struct("<QIIII24x")  # struct gpio_v2_line_event
RISING_EDGE = 1  # gpio_v2_line_event.id
CHIP_INFO = struct.Struct("<32s32sI")  # struct gpiochip_info: name, label, lines
# struct gpio_v2_line_info: name[32], consumer[32], offset, num_attrs, flags,
# attrs[10], padding[4].
INFO = struct.Struct("<32s32sIIQ" + "IIQ" * 10 + "4I")


def _iowr(number: int, size: int) -> int:
    return (3 << 30) | (size << 16) | (0xB4 << 8) | number


GET_LINE = _iowr(0x07, REQUEST.size)
GET_CHIP_INFO = (2 << 30) | (CHIP_INFO.size << 16) | (0xB4 << 8) | 0x01  # _IOR
GET_LINE_INFO = _iowr(0x05, INFO.size)
GET_VALUES = _iowr(0x0E, VALUES.size)
SET_VALUES = _iowr(0x0F, VALUES.size)


@dataclass(frozen=True)
class Edge:
    """One edge event: the kernel's timestamp (CLOCK_MONOTONIC, ns) and which edge."""

    timestamp_ns: int
    rising: bool
    offset: int


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode(errors="replace")


def chip_info(chip: Path) -> tuple[str, str, int]:
    """The chip's (name, label, number of lines), as GPIO_GET_CHIPINFO_IOCTL gives them."""
    try:
        chip_fd = os.open(chip, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise GpioError(f"cannot open {chip}: {exc.strerror}") from None
    try:
        buffer = bytearray(CHIP_INFO.size)
        fcntl.ioctl(chip_fd, GET_CHIP_INFO, buffer)
    except OSError as exc:
        raise GpioError(f"{chip}: no chip info: {exc.strerror}") from None
    finally:
        os.close(chip_fd)
    name, label, lines = CHIP_INFO.unpack(buffer)
    return _text(name), _text(label), lines


def line_consumers(chip: Path, offsets: list[int]) -> dict[int, str]:
    """The consumer label ("?" if none) of each of *offsets* the kernel reports in use.

    One ioctl per line on an open chip: lgpio's chip close alone sleeps 0.1 s.
    """
    try:
        chip_fd = os.open(chip, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise GpioError(f"cannot open {chip}: {exc.strerror}") from None
    used: dict[int, str] = {}
    try:
        for offset in offsets:
            buffer = bytearray(INFO.size)
            struct.pack_into("<I", buffer, 64, offset)
            try:
                fcntl.ioctl(chip_fd, GET_LINE_INFO, buffer)
            except OSError as exc:
                raise GpioError(f"{chip} line {offset}: no line info: {exc.strerror}") from None
            _, consumer, _, _, flags, *_ = INFO.unpack(buffer)
            if flags & FLAG_USED:
                used[offset] = _text(consumer) or "?"
    finally:
        os.close(chip_fd)
    return used


class LineRequest:
    """One line of *chip* requested with *flags*; closed on exit."""

    def __init__(self, chip: Path, offset: int, flags: int, consumer: str = "pilab") -> None:
        self.chip, self.offset, self.flags, self.consumer = chip, offset, flags, consumer
        self.fd = -1

    def __enter__(self) -> LineRequest:
        fields = [self.offset, *[0] * 63, self.consumer.encode()[:31], self.flags, 0,
                  *[0] * 5, *[0] * 40, 1, 0, *[0] * 5, 0]
        buffer = bytearray(REQUEST.pack(*fields))
        try:
            chip_fd = os.open(self.chip, os.O_RDWR | os.O_CLOEXEC)
        except OSError as exc:
            raise GpioError(f"cannot open {self.chip}: {exc.strerror}") from None
        try:
            fcntl.ioctl(chip_fd, GET_LINE, buffer)
        except OSError as exc:
            raise GpioError(f"{self.chip} line {self.offset}: the line request was refused: "
                            f"{exc.strerror}") from None
        finally:
            os.close(chip_fd)
        self.fd = REQUEST.unpack(buffer)[-1]
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def set(self, value: int) -> None:
        """Drive the (output) line to *value*."""
        fcntl.ioctl(self.fd, SET_VALUES, VALUES.pack(int(bool(value)), 1))

    def get(self) -> int:
        """The line's value."""
        buffer = bytearray(VALUES.pack(0, 1))
        fcntl.ioctl(self.fd, GET_VALUES, buffer)
        return VALUES.unpack(buffer)[0] & 1

    def wait_edge(self, timeout: float, wake_fd: int | None = None) -> Edge | None:
        """The next edge event, or None after *timeout* s or once *wake_fd* is readable."""
        watched = [self.fd] if wake_fd is None else [self.fd, wake_fd]
        ready, _, _ = select.select(watched, [], [], timeout)
        if self.fd not in ready:
            return None
        timestamp, kind, offset, _, _ = EVENT.unpack(os.read(self.fd, EVENT.size))
        return Edge(timestamp, kind == RISING_EDGE, offset)
