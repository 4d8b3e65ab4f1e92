"""Machine-readable lab wiring: pin roles and jumper wires, in BCM numbers.

A lab wired like another says so in its file (``same_as = "intrpt"``) instead of
repeating the pins: the guide's own pins, LED 4 and buttons 17 and 18, are
written once, in the intrpt lab's file, and :func:`guide_pins` reads them there.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import NamedTuple

from pilab.errors import ConfigError
from pilab.paths import LABS_DIR

BCM_LINES = range(0, 28)  # GPIO0..GPIO27 are on the 40-pin header
# The guide's example lab: its pins are the numbers the guide's modules fix.
GUIDE_LAB = "intrpt"


@dataclass(frozen=True)
class Jumper:
    """A wire from a drive (or LED) pin to a button (or sense) pin."""

    source: int
    target: int
    purpose: str


@dataclass(frozen=True)
class Wiring:
    """One lab's pins: its LED, its buttons and the jumpers that test them."""

    lab: str
    led: int | None = None
    buttons: tuple[int, ...] = ()
    jumpers: tuple[Jumper, ...] = field(default_factory=tuple)
    notes: str = ""

    def drive_pin(self, button: int) -> int:
        """The pin whose jumper presses *button*."""
        return self._jumper_to(button).source

    def sense_pin(self) -> int:
        """The pin wired from the LED, read to see the LED's level."""
        if self.led is None:
            raise ConfigError(f"wiring for {self.lab} has no LED")
        for jumper in self.jumpers:
            if jumper.source == self.led:
                return jumper.target
        raise ConfigError(f"wiring for {self.lab} has no jumper from the LED pin GPIO{self.led}")

    def vgpio_wires(self) -> str:
        """The jumpers as vgpio's ``wires`` parameter, e.g. ``27>17,4>23``."""
        return ",".join(f"{j.source}>{j.target}" for j in self.jumpers)

    def _jumper_to(self, pin: int) -> Jumper:
        for jumper in self.jumpers:
            if jumper.target == pin:
                return jumper
        raise ConfigError(f"wiring for {self.lab} has no jumper into GPIO{pin}")


def _pin(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value not in BCM_LINES:
        raise ConfigError(f"{where}: {value!r} is not a BCM GPIO number 0..27")
    return value


def parse_wiring(text: str, lab: str) -> Wiring:
    """Parse and check a wiring TOML document."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"wiring for {lab} is not valid TOML: {exc}") from exc
    roles = data.get("roles", {})
    led = _pin(roles["led"], "roles.led") if "led" in roles else None
    buttons = tuple(_pin(b, "roles.buttons") for b in roles.get("buttons", []))
    jumpers = tuple(
        Jumper(
            _pin(j.get("from"), f"jumper {i} 'from'"),
            _pin(j.get("to"), f"jumper {i} 'to'"),
            str(j.get("purpose", "")),
        )
        for i, j in enumerate(data.get("jumpers", []), 1)
    )
    wiring = Wiring(lab, led, buttons, jumpers, str(data.get("notes", "")))
    _check(wiring)
    return wiring


def _check(wiring: Wiring) -> None:
    used = [p for p in [wiring.led, *wiring.buttons] if p is not None]
    if len(set(used)) != len(used):
        raise ConfigError(f"wiring for {wiring.lab}: a pin has two roles: {used}")
    targets = [j.target for j in wiring.jumpers]
    if len(set(targets)) != len(targets):
        raise ConfigError(f"wiring for {wiring.lab}: two jumpers drive the same pin")
    for jumper in wiring.jumpers:
        if jumper.source == jumper.target:
            raise ConfigError(f"wiring for {wiring.lab}: jumper GPIO{jumper.source} to itself")
        if jumper.source in targets:
            raise ConfigError(f"wiring for {wiring.lab}: GPIO{jumper.source} is driven and drives")
    for button in wiring.buttons:
        wiring.drive_pin(button)
    if wiring.led is not None:
        wiring.sense_pin()


def wiring_file(lab: str) -> Path:
    """A lab's wiring file: ``wiring.toml`` in its folder (``wiring/<lab>.toml`` in the tree)."""
    return LABS_DIR / lab / "wiring.toml"


def _read(lab: str, path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"no wiring file for lab {lab!r} ({path})") from None


def same_as(text: str, lab: str) -> str | None:
    """The lab whose wiring this file names (``same_as``), or None: it has its own pins.

    A file that names another holds nothing else but its lab and notes.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None  # parse_wiring says what is wrong
    other = data.get("same_as")
    if other is None:
        return None
    if not isinstance(other, str):
        raise ConfigError(f"wiring for {lab}: same_as is a lab's name, not {other!r}")
    extra = sorted(set(data) - {"lab", "same_as", "notes"})
    if extra:
        raise ConfigError(f"wiring for {lab}: same_as {other!r} and its own "
                          f"{', '.join(extra)}: name another lab's wiring, or give pins")
    return other


def load_wiring(lab: str, path: Path | None = None) -> Wiring:
    """Read a lab's wiring file (or the file at *path*); a file ``same_as`` another lab
    gives that lab's pins, as *lab*'s."""
    path = path or wiring_file(lab)
    text = _read(lab, path)
    other = same_as(text, lab)
    if other is None:
        return parse_wiring(text, lab)
    target = _read(other, wiring_file(other))
    if same_as(target, other) is not None:
        raise ConfigError(f"wiring for {lab}: same_as {other!r}, which names another lab "
                          "in turn: name the lab that has the pins")
    return replace(parse_wiring(target, other), lab=lab)


class GuidePins(NamedTuple):
    """The guide's fixed GPIO numbers, for a module that takes no led/buttons parameters."""

    led: int
    buttons: tuple[int, ...]


@cache
def guide_pins() -> GuidePins:
    """The guide's LED and buttons, from its example lab's wiring (GUIDE_LAB)."""
    wiring = load_wiring(GUIDE_LAB)
    assert wiring.led is not None, f"{GUIDE_LAB}'s wiring has an LED"
    return GuidePins(wiring.led, wiring.buttons)
