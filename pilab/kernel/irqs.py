"""Interrupts as the kernel shows them: /proc/interrupts and /sys/kernel/irq."""

from __future__ import annotations

import os
from pathlib import Path

PROC_INTERRUPTS = Path("/proc/interrupts")
SYS_IRQ = Path("/sys/kernel/irq")


def irq_counts(path: Path = PROC_INTERRUPTS) -> dict[int, int]:
    """How often each numbered IRQ fired, summed over CPUs."""
    lines = path.read_text().splitlines()
    ncpu = len(lines[0].split()) if lines else (os.cpu_count() or 1)
    counts: dict[int, int] = {}
    for line in lines[1:]:
        head, _, rest = line.partition(":")
        if head.strip().isdigit():
            fields = rest.split()[:ncpu]
            counts[int(head)] = sum(int(f) for f in fields if f.isdigit())
    return counts


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def gpio_irq(chip_names: tuple[str, ...], offset: int, root: Path = SYS_IRQ) -> int | None:
    """The IRQ number of line *offset* of a GPIO chip whose irq_chip is one of *chip_names*.

    Found from /sys/kernel/irq/N/{chip_name,hwirq}, which the kernel fills for
    every mapped interrupt, whoever requested it: no module's log is needed.
    """
    for entry in root.iterdir():
        if not entry.name.isdigit():
            continue
        if _read(entry / "chip_name") in chip_names and _read(entry / "hwirq") == str(offset):
            return int(entry.name)
    return None


def irq_actions(irq: int, root: Path = SYS_IRQ) -> list[str]:
    """The names of the handlers requested on *irq* (empty: nobody holds it)."""
    text = _read(root / str(irq) / "actions")
    return [name for name in text.split(",") if name]
