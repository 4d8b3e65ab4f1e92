"""Benchmark: key events per second through /dev/vinputN and through python-evdev's UInput.

Both ways inject N key events (KEY_A pressed, released, pressed...) and read
them back from the device's evdev node in the same process, in batches of
BATCH key events: an evdev client's queue holds only 64 events, so a writer
that never reads loses most of them (SYN_DROPPED). The rate is therefore the
round trip, write to read, that a program typing and checking would see.
An event that does not come back within a second of its batch is lost.
Both devices are grabbed, so nothing reaches the console.
"""

from __future__ import annotations

import os
import select
import struct
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evdev import UInput, ecodes

from pilab.errors import PilabError
from pilab.labs.vkbd.vinput import EVDEV_QUEUE, VirtualKeyboard

KEY = ecodes.KEY_A
EVENT = struct.Struct("llHHi")  # struct input_event: timeval, type, code, value
BATCH = EVDEV_QUEUE // 4  # key events per batch: with their SYNs, half the queue
WAIT_SECONDS = 1.0  # how long a batch's events may take to come back


@dataclass
class BenchResult:
    """One way of injecting: how many events went in, came back, and how fast."""

    method: str
    events: int
    received: int
    dropped_reports: int  # SYN_DROPPED seen
    seconds: float  # first write to last event read

    @property
    def lost(self) -> int:
        return self.events - self.received

    @property
    def rate(self) -> float:
        """Key events written and read back per second."""
        return self.received / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (f"{self.method:40} {self.rate:9.0f} events/s  {self.received}/{self.events} "
                f"back, {self.lost} lost ({self.dropped_reports} SYN_DROPPED) in "
                f"{self.seconds:.2f} s")


def _read_back(fd: int, wanted: int) -> tuple[int, int]:
    """Read *fd* until *wanted* key presses/releases came or WAIT_SECONDS passed."""
    got = dropped = 0
    deadline = time.monotonic() + WAIT_SECONDS
    while got < wanted:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        for _sec, _usec, etype, code, value in EVENT.iter_unpack(os.read(fd, EVENT.size * 128)):
            if etype == ecodes.EV_KEY and code == KEY and value in (0, 1):
                got += 1
            elif etype == ecodes.EV_SYN and code == ecodes.SYN_DROPPED:
                dropped += 1
    return got, dropped


def _measure(method: str, evdev_fd: int, events: int,
             write_batch: Callable[[int, int], None]) -> BenchResult:
    """Write and read back *events* key events, BATCH at a time."""
    received = dropped = 0
    start = time.monotonic()
    for first in range(0, events, BATCH):
        count = min(BATCH, events - first)
        write_batch(first, count)
        got, drops = _read_back(evdev_fd, count)
        received, dropped = received + got, dropped + drops
    return BenchResult(method, events, received, dropped, time.monotonic() - start)


def bench_vinput(keyboard: VirtualKeyboard, events: int) -> BenchResult:
    """``+30``/``-30`` written to /dev/vinputN: one write() per key event."""
    commands = [b"+30", b"-30"]
    fd, write = keyboard.fd, os.write

    def write_batch(first: int, count: int) -> None:
        for i in range(first, first + count):
            write(fd, commands[i % 2])

    keyboard.pending()  # start from an empty queue
    return _measure(f"{keyboard.node} (1 write per event)", keyboard.device.fd, events,
                    write_batch)


def ensure_uinput() -> bool:
    """Load the uinput module if /dev/uinput is missing; True if we loaded it."""
    if Path("/dev/uinput").exists():
        return False
    proc = subprocess.run(["modprobe", "uinput"], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not Path("/dev/uinput").exists():
        raise PilabError("/dev/uinput is not available: " + (proc.stderr.strip() or "no node"),
                         hint="modprobe uinput (as root)")
    return True


def bench_uinput(events: int) -> BenchResult:
    """The same through python-evdev's UInput: ui.write() + ui.syn() per key event."""
    loaded = ensure_uinput()
    try:
        with UInput({ecodes.EV_KEY: [KEY]}, name="pilab-bench-uinput") as ui:
            ui.device.grab()  # as VirtualKeyboard does: keep the keys off the console

            def write_batch(first: int, count: int) -> None:
                for i in range(first, first + count):
                    ui.write(ecodes.EV_KEY, KEY, 1 - i % 2)
                    ui.syn()

            return _measure("python-evdev UInput (write + syn)", ui.device.fd, events,
                            write_batch)
    finally:
        if loaded:
            subprocess.run(["modprobe", "-r", "uinput"], capture_output=True, check=False)


def report(results: list[BenchResult]) -> str:
    """The figures, one line per method, and the ratio of the rates."""
    lines = [r.line() for r in results]
    if len(results) == 2 and results[1].rate > 0:
        lines.append(f"ratio /dev/vinputN : UInput = {results[0].rate / results[1].rate:.2f}")
    return "\n".join(lines)
