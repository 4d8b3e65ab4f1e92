"""A US keyboard layout: characters to key codes (with shift) and key events back to text.

Only what a US keyboard types without dead keys or AltGr: printable ASCII,
space, tab and newline (KEY_ENTER). Key codes are evdev's (``evdev.ecodes``),
the numbers /dev/vinputN takes.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass

from evdev import ecodes

from pilab.errors import PilabError

SHIFT = ecodes.KEY_LEFTSHIFT
SHIFT_KEYS = frozenset({ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT})

# (unshifted, shifted, key name) for the keys whose shifted character is not
# simply the upper case of a letter
_SYMBOL_KEYS = [
    ("`", "~", "KEY_GRAVE"),
    ("1", "!", "KEY_1"),
    ("2", "@", "KEY_2"),
    ("3", "#", "KEY_3"),
    ("4", "$", "KEY_4"),
    ("5", "%", "KEY_5"),
    ("6", "^", "KEY_6"),
    ("7", "&", "KEY_7"),
    ("8", "*", "KEY_8"),
    ("9", "(", "KEY_9"),
    ("0", ")", "KEY_0"),
    ("-", "_", "KEY_MINUS"),
    ("=", "+", "KEY_EQUAL"),
    ("[", "{", "KEY_LEFTBRACE"),
    ("]", "}", "KEY_RIGHTBRACE"),
    ("\\", "|", "KEY_BACKSLASH"),
    (";", ":", "KEY_SEMICOLON"),
    ("'", '"', "KEY_APOSTROPHE"),
    (",", "<", "KEY_COMMA"),
    (".", ">", "KEY_DOT"),
    ("/", "?", "KEY_SLASH"),
]
_UNSHIFTED_ONLY = [(" ", "KEY_SPACE"), ("\t", "KEY_TAB"), ("\n", "KEY_ENTER")]


class UnsupportedCharacter(PilabError):
    """A character the US keymap has no key for."""


@dataclass(frozen=True)
class Stroke:
    """One character's key: its evdev code, and whether shift is held for it."""

    code: int
    shift: bool

    @property
    def key_name(self) -> str:
        return key_name(self.code)


def key_name(code: int) -> str:
    """evdev's name for a key code (KEY_A), or the number when it has none."""
    name = ecodes.KEY.get(code) or ecodes.BTN.get(code)
    if isinstance(name, (list, tuple)):  # aliases: KEY_MUTE is also KEY_MIN_INTERESTING
        name = sorted(name, key=lambda alias: "MIN_INTERESTING" in alias)[0]
    return str(name) if name else str(code)


def _build() -> dict[str, Stroke]:
    table: dict[str, Stroke] = {}
    for letter in string.ascii_lowercase:
        code = ecodes.ecodes[f"KEY_{letter.upper()}"]
        table[letter] = Stroke(code, False)
        table[letter.upper()] = Stroke(code, True)
    for plain, shifted, name in _SYMBOL_KEYS:
        table[plain] = Stroke(ecodes.ecodes[name], False)
        table[shifted] = Stroke(ecodes.ecodes[name], True)
    for char, name in _UNSHIFTED_ONLY:
        table[char] = Stroke(ecodes.ecodes[name], False)
    return table


STROKES: dict[str, Stroke] = _build()
CHARS: dict[tuple[int, bool], str] = {(s.code, s.shift): c for c, s in STROKES.items()}
TEXT_KEYS = frozenset(s.code for s in STROKES.values())


def stroke(char: str) -> Stroke:
    """The key (and shift) that types *char*."""
    try:
        return STROKES[char]
    except KeyError:
        raise UnsupportedCharacter(_unsupported(char)) from None


def _unsupported(char: str, position: int | None = None) -> str:
    where = f" at position {position}" if position is not None else ""
    return (f"cannot type {char!r} (U+{ord(char):04X}){where}: the US keymap has keys for "
            "printable ASCII, space, tab and newline only")


def strokes(text: str) -> list[Stroke]:
    """The strokes that type *text*; the first character without a key is named."""
    out = []
    for position, char in enumerate(text):
        if char not in STROKES:
            raise UnsupportedCharacter(_unsupported(char, position))
        out.append(STROKES[char])
    return out


def key_actions(text: str) -> list[tuple[int, bool]]:
    """(code, pressed) in order: each character pressed and released, inside shift if needed."""
    actions: list[tuple[int, bool]] = []
    for s in strokes(text):
        if s.shift:
            actions.append((SHIFT, True))
        actions += [(s.code, True), (s.code, False)]
        if s.shift:
            actions.append((SHIFT, False))
    return actions


def decode(key_events: Iterable[tuple[int, int]]) -> str:
    """Text from EV_KEY (code, value) pairs, as a US console would see it.

    Shift state is tracked from both shift keys; a press (1) or auto-repeat
    (2) of a character key gives its character; other keys pressed show as
    ``<KEY_NAME>`` so that nothing unexpected goes unseen. Releases type nothing.
    """
    shift_down: set[int] = set()
    out: list[str] = []
    for code, value in key_events:
        if code in SHIFT_KEYS:
            if value:
                shift_down.add(code)
            else:
                shift_down.discard(code)
            continue
        if value == 0:
            continue
        char = CHARS.get((code, bool(shift_down)))
        out.append(char if char is not None else f"<{key_name(code)}>")
    return "".join(out)


def key_table() -> list[tuple[str, str, int, bool]]:
    """(character, key name, code, shift) for every character, in code order."""
    rows = [(char, s.key_name, s.code, s.shift) for char, s in STROKES.items()]
    return sorted(rows, key=lambda row: (row[2], row[3]))
