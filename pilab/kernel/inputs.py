"""Input devices as a lab reads them: evdev on a real kernel, a model's on the mock board.

Events carry CLOCK_MONOTONIC times (``time.monotonic()``), the clock of the
kernel's ``mono`` trace: a key event and the edge that caused it are on one
clock. evdev stamps events with CLOCK_REALTIME unless asked (EVIOCSCLOCKID).
"""

from __future__ import annotations

import fcntl
import select
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from evdev import InputDevice, ecodes, list_devices

EVIOCSCLOCKID = 0x400445A0  # _IOW('E', 0xa0, int)
CLOCK_MONOTONIC = 1

Triple = tuple[int, int, int]  # (type, code, value)
SYN: Triple = (ecodes.EV_SYN, ecodes.SYN_REPORT, 0)


@dataclass(frozen=True)
class InputEvent:
    """One evdev event; *time* in CLOCK_MONOTONIC seconds."""

    type: int
    code: int
    value: int
    time: float

    @property
    def triple(self) -> Triple:
        return (self.type, self.code, self.value)


def key_events(code: int, value: int) -> list[Triple]:
    """A key going down (1) or up (0), as evdev shows it: the key, then SYN_REPORT."""
    return [(ecodes.EV_KEY, code, value), SYN]


def keys(events: list[InputEvent], value: int) -> list[InputEvent]:
    """The EV_KEY events of *events* with *value* (1 down, 0 up, 2 repeat)."""
    return [e for e in events if e.type == ecodes.EV_KEY and e.value == value]


class InputReader(Protocol):
    """One input device, opened: what it offers and what it reports."""

    node: str
    name: str

    def capabilities(self) -> dict[int, list[int]]:
        """Event type -> codes, EV_SYN left out."""
        ...

    def events(self, timeout: float, count: int | None = None) -> list[InputEvent]:
        """What comes within *timeout* seconds, or sooner once *count* events came."""
        ...

    def close(self) -> None: ...


class EvdevReader:
    """/dev/input/eventN through python-evdev, grabbed (no console sees the keys),
    its events stamped with CLOCK_MONOTONIC."""

    def __init__(self, node: str) -> None:
        self.node = node
        self.device = InputDevice(node)
        fcntl.ioctl(self.device.fd, EVIOCSCLOCKID, struct.pack("i", CLOCK_MONOTONIC))
        self.device.grab()
        self.name = self.device.name

    def capabilities(self) -> dict[int, list[int]]:
        caps = self.device.capabilities(absinfo=False)
        return {kind: sorted(codes) for kind, codes in caps.items()  # type: ignore[misc]
                if kind != ecodes.EV_SYN}

    def events(self, timeout: float, count: int | None = None) -> list[InputEvent]:
        out: list[InputEvent] = []
        deadline = time.monotonic() + timeout
        while count is None or len(out) < count:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.device.fd], [], [], left)[0]:
                break
            out += [InputEvent(e.type, e.code, e.value, e.sec + e.usec / 1e6)
                    for e in self.device.read()]
        return out

    def close(self) -> None:
        self.device.close()


def evdev_nodes() -> set[str]:
    """The /dev/input/eventN nodes there are now."""
    return set(list_devices())


def node_exists(node: str) -> bool:
    return Path(node).exists()


class ModelInput:
    """The mock board's input device: the input core's part, in Python.

    Like the core, it passes a key's change only (a second press while down
    is dropped) and ends each report with SYN_REPORT when the model syncs.
    """

    def __init__(self, node: str, name: str, key_codes: list[int]) -> None:
        self.node, self.name = node, name
        self.key_codes = list(key_codes)
        self.down: set[int] = set()
        self.queues: list[list[InputEvent]] = []
        self.changed = threading.Condition()

    def report_key(self, code: int, value: int) -> None:
        """input_report_key() then input_sync()."""
        now = time.monotonic()
        with self.changed:
            if (code in self.down) == bool(value) or code not in self.key_codes:
                return
            self.down.symmetric_difference_update({code})
            for queue in self.queues:
                queue += [InputEvent(ecodes.EV_KEY, code, value, now),
                          InputEvent(*SYN, now)]
            self.changed.notify_all()

    def open(self) -> ModelReader:
        return ModelReader(self)


class ModelReader:
    """An open ModelInput: its own queue of events, as an evdev client has."""

    def __init__(self, device: ModelInput) -> None:
        self.device = device
        self.node, self.name = device.node, device.name
        self.queue: list[InputEvent] = []
        with device.changed:
            device.queues.append(self.queue)

    def capabilities(self) -> dict[int, list[int]]:
        return {ecodes.EV_KEY: sorted(self.device.key_codes)}

    def events(self, timeout: float, count: int | None = None) -> list[InputEvent]:
        deadline = time.monotonic() + timeout
        with self.device.changed:
            while count is None or len(self.queue) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.device.changed.wait(left)
            taken = len(self.queue) if count is None else min(count, len(self.queue))
            out = self.queue[:taken]
            del self.queue[:taken]
        return out

    def close(self) -> None:
        with self.device.changed:
            self.device.queues[:] = [q for q in self.device.queues if q is not self.queue]
