"""Who holds a GPIO line: its consumer label, and the processes that have its chip open."""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from pilab.kernel import gpio_cdev
from pilab.kernel.gpiochip import GpioChip

PROC = Path("/proc")


def line_consumers(chip: GpioChip, offsets: Iterable[int]) -> dict[int, str]:
    """The consumer label of each of *offsets* that is in use (from the chip's line info)."""
    if chip.chardev is None:
        return {}
    return gpio_cdev.line_consumers(Path(f"/dev/gpiochip{chip.chardev}"), list(offsets))


def chip_openers(chip: GpioChip, proc: Path = PROC) -> list[tuple[int, str]]:
    """(pid, command name) of every process with the chip's /dev/gpiochipN open."""
    if chip.chardev is None:
        return []
    device = f"/dev/gpiochip{chip.chardev}"
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with suppress(OSError):
            if any(os.readlink(fd) == device for fd in (entry / "fd").iterdir()):
                found.append((int(entry.name), (entry / "comm").read_text().strip()))
    return sorted(found)


def describe_holders(chip: GpioChip, numbers: Iterable[int]) -> str:
    """Plain words on who holds those of the global GPIO *numbers* that are in use."""
    offsets = [n - chip.base for n in numbers if 0 <= n - chip.base < chip.ngpio]
    consumers = line_consumers(chip, offsets)
    if not consumers:
        return ""
    lines = ", ".join(f"GPIO{off} (held as {label!r})" for off, label in sorted(consumers.items()))
    openers = [f"{comm} (pid {pid})" for pid, comm in chip_openers(chip) if pid != os.getpid()]
    text = f"{lines} on {chip.label}"
    if openers:
        text += f"; /dev/gpiochip{chip.chardev} is open in " + ", ".join(openers)
    elif any(label for label in consumers.values()):
        text += "; no other process has the chip open: a kernel module or pilab itself holds it"
    return text
