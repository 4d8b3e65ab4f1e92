"""Machine-readable lab wiring: pin roles and jumper wires, in BCM numbers."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pilab.errors import ConfigError
from pilab.paths import LABS_DIR

BCM_LINES = range(0, 28)  # GPIO0..GPIO27 are on the 40-pin header


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


def load_wiring(lab: str, path: Path | None = None) -> Wiring:
    """Read a lab's wiring file (or the file at *path*)."""
    path = path or wiring_file(lab)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"no wiring file for lab {lab!r} ({path})") from None
    return parse_wiring(text, lab)
