"""The foreground virtual console: find its tty, hold it open, set its lock flags."""

from __future__ import annotations

import fcntl
import os
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pilab.errors import ConfigError

SYSFS = Path("/sys")

# linux/kd.h: get/set the console's lock flags (bit0 scroll, bit1 num, bit2 caps)
KDGKBLED = 0x4B64
KDSKBLED = 0x4B65
KDSETLED = 0x4B32  # light exactly these LEDs; a value above 7: show the lock state again
RESTORE_LEDS = 0xFF
FLAGS_MASK = 0x07  # the current flags; bits 4..6 hold the defaults, kept as they are


def foreground_tty(sysfs: Path = SYSFS) -> str:
    """The foreground VT's tty name (``tty1``), as /sys/class/tty/tty0/active says."""
    active = sysfs / "class/tty/tty0/active"
    try:
        name = active.read_text().strip()
    except OSError:
        raise ConfigError(
            f"{active} is missing: this kernel has no virtual terminals (CONFIG_VT)"
        ) from None
    if not re.fullmatch(r"tty[1-9][0-9]*", name):
        raise ConfigError(f"{active} says {name!r}, not a virtual terminal ttyN")
    return name


@contextmanager
def held_open(name: str) -> Iterator[int]:
    """Hold /dev/<name> open (not as controlling tty) for the block; yield its fd.

    While any file has a VT's tty open, the kernel keeps its tty_struct, which
    kbleds needs at load time.
    """
    path = f"/dev/{name}"
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError as exc:
        raise ConfigError(f"cannot open {path}: {exc.strerror} (run as root)") from None
    try:
        yield fd
    finally:
        os.close(fd)


def lock_flags(fd: int) -> int:
    """The console's lock flags and their defaults, as KDGKBLED returns them."""
    out = fcntl.ioctl(fd, KDGKBLED, b"\0")
    value: int = struct.unpack("B", out)[0]
    return value


def set_lock_flags(fd: int, flags: int) -> None:
    """Set the console's current lock flags (KD bits); its defaults stay as they are."""
    keep = lock_flags(fd) & ~FLAGS_MASK
    fcntl.ioctl(fd, KDSKBLED, keep | (flags & FLAGS_MASK))


def restore_lock_flags(fd: int, saved: int) -> None:
    """Put back flags and defaults that lock_flags() returned."""
    fcntl.ioctl(fd, KDSKBLED, saved)


def leds_follow_lock_state(fd: int) -> None:
    """KDSETLED above 7: the LEDs show the lock state again, whoever set them last."""
    fcntl.ioctl(fd, KDSETLED, RESTORE_LEDS)


def console_targets(name: str, sysfs: Path = SYSFS) -> set[str]:
    """The /dev paths whose open files keep *name*'s tty: itself, tty0, and /dev/console
    when the system console is a virtual terminal."""
    paths = {f"/dev/{name}", "/dev/tty0"}
    try:
        active = (sysfs / "class/tty/console/active").read_text().split()
    except OSError:
        active = []
    if any(re.fullmatch(r"tty[0-9]+", tty) for tty in active):
        paths.add("/dev/console")
    return paths


def holders(name: str, proc: Path = Path("/proc")) -> dict[int, str]:
    """The processes with a file open on *name*'s tty (see console_targets): pid -> path."""
    targets = console_targets(name)
    found: dict[int, str] = {}
    for fd_dir in proc.glob("[0-9]*/fd"):
        try:
            links = {os.readlink(link) for link in fd_dir.iterdir()}
        except OSError:
            continue  # gone, or not ours to see
        held = links & targets
        if held:
            found[int(fd_dir.parent.name)] = sorted(held)[0]
    return found
