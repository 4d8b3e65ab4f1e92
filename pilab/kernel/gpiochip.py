"""Find a GPIO chip by label and turn BCM numbers into global GPIO numbers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pilab.errors import GpioError
from pilab.pimodels import HEADER_LABELS

SYSFS = Path("/sys")


@dataclass(frozen=True)
class GpioChip:
    """A GPIO chip: its label, global base, line count and /dev/gpiochipN index."""

    label: str
    base: int
    ngpio: int
    chardev: int | None

    def global_number(self, line: int) -> int:
        """The kernel-wide number of *line* (what gpio_request() takes)."""
        if not 0 <= line < self.ngpio:
            raise GpioError(f"{self.label} has no line {line} (it has {self.ngpio})")
        return self.base + line


def _read(path: Path) -> str:
    return path.read_text().strip()


def list_chips(sysfs: Path = SYSFS) -> list[GpioChip]:
    """Every chip in /sys/class/gpio, with its character device if known."""
    chips = []
    for entry in sorted((sysfs / "class/gpio").glob("gpiochip*")):
        try:
            label, base, ngpio = (_read(entry / n) for n in ("label", "base", "ngpio"))
        except OSError:
            continue
        chardev = _chardev(entry)
        if chardev is None and sysfs == SYSFS:
            chardev = _chardev_by_label(label, int(ngpio))
        chips.append(GpioChip(label, int(base), int(ngpio), chardev))
    return chips


def _chardev_by_label(label: str, ngpio: int) -> int | None:
    """N of the /dev/gpiochipN whose own chip info names *label* with *ngpio* lines."""
    from pilab.kernel.gpio_cdev import chip_info

    for dev in sorted(Path("/dev").glob("gpiochip*")):
        if not dev.name[8:].isdigit():
            continue
        try:
            _, found, lines = chip_info(dev)
        except GpioError:
            continue
        if found == label and lines == ngpio:
            return int(dev.name[8:])
    return None


def _chardev(entry: Path) -> int | None:
    """N of /dev/gpiochipN for a /sys/class/gpio/gpiochipB entry.

    The class device sits under its gpio_device, .../gpiochipN/gpio/gpiochipB;
    its ``device`` link, where there is one, points at the same gpiochipN.
    """
    candidates = [entry.resolve().parent.parent]
    if (entry / "device").exists():
        candidates.insert(0, (entry / "device").resolve())
    for path in candidates:
        if path.name.startswith("gpiochip") and path.name[8:].isdigit():
            return int(path.name[8:])
    return None


def find_chip(labels: tuple[str, ...] = HEADER_LABELS, sysfs: Path = SYSFS) -> GpioChip:
    """The first chip whose label is one of *labels*."""
    chips = list_chips(sysfs)
    for label in labels:
        for chip in chips:
            if chip.label == label:
                return chip
    seen = ", ".join(c.label for c in chips) or "none"
    raise GpioError(
        f"no GPIO chip labelled {' or '.join(labels)} (chips here: {seen})",
        hint="on the vm board pilab loads vgpio itself; on a Pi check 'pilab doctor'",
    )
