"""The vinput/vkbd modules from Python: export a keyboard, send commands, read evdev back.

Shared by the vkbd lab, ``pilab vkbd``, the benchmark and the kernel tests.
The interface (kmods/vinput.c, kmods/vkbd.c):

- ``echo vkbd > /sys/class/vinput/export`` creates /dev/vinputN, N the lowest
  free id 0..31; ``echo N > /sys/class/vinput/unexport`` removes it.
- One write() to /dev/vinputN is one command, ``[+|-]CODE`` with an optional
  newline: ``+30``/``30`` presses KEY_A, ``-30`` releases it. A read gives the
  last accepted command (``+30\\n``).
- The keyboard's evdev device is named ``vkbd`` with phys ``vinput/vinputN``.
"""

from __future__ import annotations

import errno
import os
import re
import select
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from evdev import InputDevice, InputEvent, ecodes, list_devices

from pilab.errors import PilabError
from pilab.labs.vkbd import keymap

if TYPE_CHECKING:
    from pilab.boards.base import Board

CLASS_DIR = Path("/sys/class/vinput")
EXPORT = CLASS_DIR / "export"
UNEXPORT = CLASS_DIR / "unexport"
KEYBOARD = "vkbd"  # the device type vkbd.ko registers, and its input device's name
MAX_DEVICES = 32  # ids 0..31
MAX_COMMAND = 16  # bytes in one write to /dev/vinputN
KEY_CODES = range(1, ecodes.KEY_MAX)  # what vkbd accepts: 1..766
REPEAT_DELAY_MS = 250  # the input core's defaults for a device with EV_REP
REPEAT_PERIOD_MS = 33

Triple = tuple[int, int, int]  # (type, code, value) of an input event
SYN: Triple = (ecodes.EV_SYN, ecodes.SYN_REPORT, 0)
# the input core marks the SYN_REPORT after an auto-repeat with value 1
REPEAT_SYN: Triple = (ecodes.EV_SYN, ecodes.SYN_REPORT, 1)
EVDEV_QUEUE = 64  # events an evdev client's queue holds for a keyboard

_COMMAND = re.compile(rb"([+-]?)([1-9][0-9]*)\n?")
_UNEXPORT_ID = re.compile(rb"(0|[1-9][0-9]*)\n?")

# errno from the export file -> what it means for a student
EXPORT_ERRORS = {
    errno.ENODEV: "no device type of that name: is vkbd.ko loaded?",
    errno.ENOSPC: f"all {MAX_DEVICES} vinput devices are in use: unexport one first",
    errno.EINVAL: "the type name is empty or longer than 15 characters",
}


class VinputError(PilabError):
    """vinput refused something, or its device could not be found."""


# ---- what the modules accept (an oracle for tests, and the docs' grammar) ----

def parse_command(data: bytes) -> tuple[int, bool] | None:
    """What vkbd makes of one write: (code, pressed), or None when it refuses it."""
    if not 1 <= len(data) <= MAX_COMMAND:
        return None
    match = _COMMAND.fullmatch(data)
    if match is None:
        return None
    code = int(match.group(2))
    if code not in KEY_CODES:
        return None
    return code, match.group(1) != b"-"


def parse_unexport(data: bytes) -> int | None:
    """The id an unexport write names, or None when it is malformed (EINVAL)."""
    match = _UNEXPORT_ID.fullmatch(data)
    return int(match.group(1)) if match else None


def command(code: int, pressed: bool) -> bytes:
    """The command that presses or releases *code*, e.g. ``b"+30\\n"``."""
    return f"{'+' if pressed else '-'}{code}\n".encode()


def key_events(code: int, value: int) -> list[Triple]:
    """What evdev shows for a key going down (1), up (0) or repeating (2): key, SYN_REPORT."""
    return [(ecodes.EV_KEY, code, value), REPEAT_SYN if value == 2 else SYN]


def triples(events: Sequence[InputEvent]) -> list[Triple]:
    return [(e.type, e.code, e.value) for e in events]


def without_repeats(events: Sequence[InputEvent]) -> list[InputEvent]:
    """*events* minus auto-repeats: each EV_KEY value 2 and the SYN_REPORT after it."""
    out: list[InputEvent] = []
    skip_syn = False
    for event in events:
        if event.type == ecodes.EV_KEY and event.value == 2:
            skip_syn = True
            continue
        if skip_syn and (event.type, event.code) == SYN[:2]:
            skip_syn = False
            continue
        out.append(event)
    return out


def decode_text(events: Sequence[InputEvent]) -> str:
    """The text a US console would make of *events*."""
    return keymap.decode((e.code, e.value) for e in events if e.type == ecodes.EV_KEY)


# ---- /sys/class/vinput ----

def exported_ids() -> set[int]:
    """The ids of the /dev/vinputN devices that exist now."""
    return {int(p.name[len("vinput"):]) for p in CLASS_DIR.glob("vinput[0-9]*")}


def sysfs_write(path: Path, data: bytes) -> None:
    """One write() of *data*; OSError as the kernel gave it."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def export(kind: str = KEYBOARD) -> int:
    """Create a /dev/vinputN of type *kind*; its id N."""
    before = exported_ids()
    try:
        sysfs_write(EXPORT, kind.encode() + b"\n")
    except FileNotFoundError:
        raise VinputError(f"{EXPORT} does not exist: vinput.ko is not loaded") from None
    except OSError as exc:
        meaning = EXPORT_ERRORS.get(exc.errno or 0, exc.strerror)
        raise VinputError(f"export {kind!r} failed ({errno.errorcode.get(exc.errno or 0)}): "
                          f"{meaning}") from None
    new = exported_ids() - before
    if len(new) != 1:
        raise VinputError(f"export {kind!r} succeeded but {len(new)} new devices appeared "
                          "(is something else exporting at the same time?)")
    return new.pop()


def unexport(vid: int) -> None:
    """Remove /dev/vinput<vid>; open files on it then fail with ENODEV."""
    try:
        sysfs_write(UNEXPORT, f"{vid}\n".encode())
    except OSError as exc:
        raise VinputError(f"unexport {vid} failed: {exc.strerror}") from None


# ---- evdev ----

def find_input_device(name: str, phys: str, timeout: float = 2.0) -> InputDevice:
    """The evdev device with this name and phys, opened non-blocking."""
    deadline = time.monotonic() + timeout
    while True:
        for path in list_devices():
            try:
                device = InputDevice(path)
            except OSError:
                continue  # gone, or not ours to open
            if device.name == name and device.phys == phys:
                return device
            device.close()
        if time.monotonic() >= deadline:
            raise VinputError(f"no input device named {name!r} with phys {phys!r} in /dev/input",
                              hint="is the evdev module loaded? (modprobe evdev)")
        time.sleep(0.02)


def pending_events(device: InputDevice) -> list[InputEvent]:
    """The events queued on *device* now, without waiting."""
    out: list[InputEvent] = []
    while True:
        try:
            out += list(device.read())
        except BlockingIOError:
            return out


def read_events(device: InputDevice, count: int | None = None,
                timeout: float = 1.0) -> list[InputEvent]:
    """Events from *device* until *count* have come (if given) or *timeout* passes."""
    out: list[InputEvent] = []
    deadline = time.monotonic() + timeout
    while count is None or len(out) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([device.fd], [], [], left)
        if ready:
            out += pending_events(device)
    return out


# ---- one keyboard ----

class VirtualKeyboard:
    """One exported vkbd: /dev/vinputN for commands, its evdev device (grabbed) for events."""

    def __init__(self) -> None:
        self.id = export(KEYBOARD)
        self.node = Path(f"/dev/vinput{self.id}")
        self.phys = f"vinput/vinput{self.id}"
        self.exported = True
        self.fd = -1
        self.input: InputDevice | None = None
        try:
            self.fd = os.open(self.node, os.O_RDWR)
            self.input = find_input_device(KEYBOARD, self.phys)
            # Grab the device (EVIOCGRAB): while we hold it, its events reach only
            # our file. Otherwise the console's keyboard handler would also take
            # them and type into the terminal pilab runs in, and a test key such as
            # Alt+SysRq or KEY_POWER would act on the machine itself.
            self.input.grab()
        except BaseException:
            self.close()
            raise

    @property
    def device(self) -> InputDevice:
        if self.input is None:
            raise VinputError("the keyboard is closed")
        return self.input

    def send(self, data: bytes | str) -> int:
        """One write() of *data* to /dev/vinputN; OSError (EINVAL...) as the kernel gave it."""
        return os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def press(self, code: int) -> None:
        self.send(command(code, True))

    def release(self, code: int) -> None:
        self.send(command(code, False))

    def type_text(self, text: str) -> list[InputEvent]:
        """Type *text* as US-keyboard key presses; the events evdev gave back.

        The events are read after each character: an evdev client's queue holds
        only 64 events, and a longer text would overflow it (SYN_DROPPED).
        """
        keymap.strokes(text)  # refuses an unsupported character before any key
        events: list[InputEvent] = []
        for char in text:
            for code, pressed in keymap.key_actions(char):
                self.send(command(code, pressed))
            events += self.pending()  # a write delivers its events before it returns
        return events

    def last_command(self, offset: int = 0, size: int = 64) -> bytes:
        """What a read of /dev/vinputN at *offset* returns: the last accepted command."""
        return os.pread(self.fd, size, offset)

    def events(self, count: int | None = None, timeout: float = 1.0) -> list[InputEvent]:
        return read_events(self.device, count, timeout)

    def pending(self) -> list[InputEvent]:
        return pending_events(self.device)

    def unexport(self) -> None:
        """Unexport, keeping our files open (they then get ENODEV)."""
        if self.exported:
            self.exported = False
            unexport(self.id)

    def close(self) -> None:
        """Unexport (the input core releases keys still down), then close; safe twice."""
        try:
            if self.exported:
                self.exported = False
                with suppress(VinputError):  # already gone with rmmod vkbd
                    unexport(self.id)
        finally:
            if self.input is not None:
                with suppress(OSError):
                    self.input.close()
                self.input = None
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1

    def __enter__(self) -> VirtualKeyboard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def loaded_keyboard(board: Board) -> Iterator[VirtualKeyboard]:
    """vinput and vkbd loaded on *board*, one keyboard exported; undone afterwards.

    The keyboard is closed here; the modules are unloaded here too unless the
    caller's board teardown does it (it would, also on error and Ctrl-C).
    """
    board.modules.load("vinput")
    board.modules.load("vkbd")
    with VirtualKeyboard() as keyboard:
        yield keyboard
    board.modules.unload("vkbd")
    board.modules.unload("vinput")
