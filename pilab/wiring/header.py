"""Draw a lab's wiring on the Pi's 40-pin header, as text or as an SVG picture.

Physical pin numbers and names come from gpiozero's own board data, so the
pinout is never typed in here. The 40-pin layout is the same on a Pi 3, 4 and 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape

from gpiozero.pins.pi import PiBoardInfo

from pilab.errors import ConfigError
from pilab.pimodels import HEADER_REVISION
from pilab.wiring import Jumper, Wiring

ROLE_COLOURS = {
    "led": "#e53935",
    "button": "#1e88e5",
    "drive": "#fb8c00",
    "sense": "#43a047",
    "gpio": "#bdbdbd",
    "power": "#ffcdd2",
    "ground": "#424242",
}


@dataclass(frozen=True)
class HeaderPin:
    """One header pin: physical number, gpiozero's name, grid place and BCM number."""

    number: int
    name: str
    row: int
    col: int
    bcm: int | None


@cache
def header_pins(revision: int = HEADER_REVISION) -> tuple[HeaderPin, ...]:
    """The J8 header's 40 pins, in physical order, from gpiozero's board data."""
    j8 = PiBoardInfo.from_revision(revision).headers["J8"]
    pins = []
    for number in sorted(j8.pins):
        info = j8.pins[number]
        bcm = int(info.name[4:]) if info.name.startswith("GPIO") else None
        pins.append(HeaderPin(number, info.name, info.row, info.col, bcm))
    return tuple(pins)


def physical_pin(bcm: int, revision: int = HEADER_REVISION) -> int:
    """The physical header pin of BCM line *bcm* (GPIO17 is pin 11)."""
    for pin in header_pins(revision):
        if pin.bcm == bcm:
            return pin.number
    raise ConfigError(f"GPIO{bcm} is not on the 40-pin header")


def _role(wiring: Wiring, bcm: int) -> str | None:
    if bcm == wiring.led:
        return "led"
    if bcm in wiring.buttons:
        return "button"
    if any(j.source == bcm for j in wiring.jumpers):
        return "drive"
    if any(j.target == bcm for j in wiring.jumpers):
        return "sense"
    return None


def annotation(wiring: Wiring, bcm: int) -> str:
    """What *bcm* does in this lab, e.g. ``button 1 <-GPIO27`` or ``drive ->GPIO17``."""
    role = _role(wiring, bcm)
    if role is None:
        return ""
    words = {"led": "LED", "drive": "drive", "sense": "sense"}
    parts = [f"button {wiring.buttons.index(bcm) + 1}" if role == "button" else words[role]]
    parts += [f"<-GPIO{j.source}" for j in wiring.jumpers if j.target == bcm]
    parts += [f"->GPIO{j.target}" for j in wiring.jumpers if j.source == bcm]
    return " ".join(parts)


def jumper_text(jumper: Jumper, revision: int = HEADER_REVISION) -> str:
    """``GPIO27 (pin 13) -> GPIO17 (pin 11): press button 1``."""
    text = (
        f"GPIO{jumper.source} (pin {physical_pin(jumper.source, revision)}) -> "
        f"GPIO{jumper.target} (pin {physical_pin(jumper.target, revision)})"
    )
    return f"{text}: {jumper.purpose}" if jumper.purpose else text


def _check(wiring: Wiring, revision: int) -> None:
    ends = [p for j in wiring.jumpers for p in (j.source, j.target)]
    for bcm in [wiring.led, *wiring.buttons, *ends]:
        if bcm is not None:
            physical_pin(bcm, revision)


def ascii_header(wiring: Wiring, revision: int = HEADER_REVISION) -> str:
    """The header as two columns (odd pins left, even right), used pins marked ``#``."""
    _check(wiring, revision)
    pins = {p.number: p for p in header_pins(revision)}
    notes = {n: annotation(wiring, p.bcm) if p.bcm is not None else "" for n, p in pins.items()}
    width = max((len(notes[n]) for n in pins if n % 2), default=0)
    lines = [
        f"{wiring.lab}: the 40-pin header (J8). Pin 1 is at the end away from the USB",
        "ports; odd pins are on the inner row, even pins on the board's edge.",
        "",
    ]
    for odd in range(1, len(pins), 2):
        left, right = pins[odd], pins[odd + 1]
        mark_l = "#" if notes[odd] else "o"
        mark_r = "#" if notes[odd + 1] else "o"
        lines.append(
            f"{notes[odd]:>{width}}  {left.name:>6} {odd:>2} {mark_l} {mark_r} {odd + 1:<2} "
            f"{right.name:<6}  {notes[odd + 1]}".rstrip()
        )
    if wiring.jumpers:
        lines += ["", "Jumpers:"]
        lines += [f"  {jumper_text(j, revision)}" for j in wiring.jumpers]
    return "\n".join(lines) + "\n"


def _colour(wiring: Wiring, pin: HeaderPin) -> str:
    if pin.bcm is not None:
        return ROLE_COLOURS[_role(wiring, pin.bcm) or "gpio"]
    return ROLE_COLOURS["ground" if pin.name == "GND" else "power"]


def _jumper_paths(
    wiring: Wiring, revision: int, where: dict[int, tuple[int, int]], right: int
) -> list[str]:
    """One curve per jumper, bulging out on the side of each end's column."""
    paths = []
    for i, jumper in enumerate(wiring.jumpers):
        x1, y1 = where[physical_pin(jumper.source, revision)]
        x2, y2 = where[physical_pin(jumper.target, revision)]
        bulge = 70 + 30 * i
        c1 = x1 + (bulge if x1 == right else -bulge)
        c2 = x2 + (bulge if x2 == right else -bulge)
        colour = ROLE_COLOURS[_role(wiring, jumper.target) or "drive"]
        paths.append(
            f'<path class="jumper" d="M {x1} {y1} C {c1} {y1}, {c2} {y2}, {x2} {y2}" '
            f'fill="none" stroke="{colour}" stroke-width="4" opacity="0.7">'
            f"<title>{escape(jumper_text(jumper, revision))}</title></path>"
        )
    return paths


def _legend(y: int) -> list[str]:
    items = []
    for i, (role, colour) in enumerate(ROLE_COLOURS.items()):
        x = 20 + 95 * i
        items.append(f'<circle cx="{x + 6}" cy="{y - 4}" r="6" fill="{colour}" stroke="#424242"/>')
        items.append(f'<text x="{x + 16}" y="{y}">{role}</text>')
    return items


def svg_header(wiring: Wiring, revision: int = HEADER_REVISION) -> str:
    """The same picture as a standalone SVG: coloured pins, jumper curves, labels."""
    _check(wiring, revision)
    pins = header_pins(revision)
    pitch, top, cx = 26, 60, {1: 330, 2: 360}
    height = top + pitch * 20 + 60 + 22 * len(wiring.jumpers)
    where = {p.number: (cx[p.col], top + pitch * (p.row - 1)) for p in pins}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="700" height="{height}" '
        f'viewBox="0 0 700 {height}" font-family="monospace" font-size="12">',
        f"<title>{escape(wiring.lab)}: 40-pin header wiring</title>",
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="20" y="24" font-size="15">{escape(wiring.lab)}: 40-pin header (J8)</text>',
        f'<rect x="316" y="{top - 16}" width="58" height="{pitch * 20 + 6}" rx="6" '
        'fill="#263238"/>',
    ]
    out += _jumper_paths(wiring, revision, where, cx[2])
    for pin in pins:
        x, y = where[pin.number]
        note = annotation(wiring, pin.bcm) if pin.bcm is not None else ""
        out.append(
            f'<circle class="pin" cx="{x}" cy="{y}" r="9" fill="{_colour(wiring, pin)}" '
            f'stroke="white"><title>pin {pin.number}: {pin.name}</title></circle>'
        )
        ink = "white" if pin.name == "GND" else "black"
        out.append(
            f'<text x="{x}" y="{y + 3}" text-anchor="middle" font-size="9" '
            f'fill="{ink}">{pin.number}</text>'
        )
        label = f"{note}  {pin.name}" if pin.col == 1 else f"{pin.name}  {note}"
        anchor, tx = ("end", x - 24) if pin.col == 1 else ("start", x + 24)
        out.append(
            f'<text x="{tx}" y="{y + 4}" text-anchor="{anchor}">{escape(label.strip())}</text>'
        )
    y = top + pitch * 20 + 20
    out += _legend(y)
    y += 26
    for jumper in wiring.jumpers:
        out.append(f'<text x="20" y="{y}">{escape(jumper_text(jumper, revision))}</text>')
        y += 22
    out.append("</svg>")
    return "\n".join(out) + "\n"
