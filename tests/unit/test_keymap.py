"""The US keymap: every printable character types and decodes back to itself."""

from __future__ import annotations

import string

import pytest
from evdev import ecodes

from pilab.labs.vkbd import keymap
from pilab.labs.vkbd.keymap import UnsupportedCharacter

PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
SHIFTED = string.ascii_uppercase + '!@#$%^&*()_+{}|:"<>?~'


def events_for(text: str) -> list[tuple[int, int]]:
    """The EV_KEY (code, value) pairs a keyboard reports for typing *text*."""
    return [(code, int(pressed)) for code, pressed in keymap.key_actions(text)]


def test_every_printable_ascii_character_round_trips() -> None:
    text = PRINTABLE + "\t\n"
    assert keymap.decode(events_for(text)) == text
    for char in text:  # one at a time too: no state leaks between characters
        assert keymap.decode(events_for(char)) == char


def test_known_keys() -> None:
    assert keymap.stroke("a") == keymap.Stroke(ecodes.KEY_A, False)
    assert keymap.stroke("A") == keymap.Stroke(ecodes.KEY_A, True)
    assert keymap.stroke("1") == keymap.Stroke(ecodes.KEY_1, False)
    assert keymap.stroke("!") == keymap.Stroke(ecodes.KEY_1, True)
    assert keymap.stroke(",") == keymap.Stroke(ecodes.KEY_COMMA, False)
    assert keymap.stroke("<") == keymap.Stroke(ecodes.KEY_COMMA, True)
    assert keymap.stroke(" ") == keymap.Stroke(ecodes.KEY_SPACE, False)
    assert keymap.stroke("\n") == keymap.Stroke(ecodes.KEY_ENTER, False)
    assert keymap.stroke('"') == keymap.Stroke(ecodes.KEY_APOSTROPHE, True)
    assert keymap.stroke("~") == keymap.Stroke(ecodes.KEY_GRAVE, True)


def test_shift_exactly_for_upper_case_and_shifted_symbols() -> None:
    shifted = {c for c in PRINTABLE if keymap.stroke(c).shift}
    assert shifted == set(SHIFTED)


def test_no_two_characters_share_a_stroke() -> None:
    strokes = [keymap.stroke(c) for c in PRINTABLE + "\t\n"]
    assert len(set(strokes)) == len(strokes)


def test_actions_wrap_shifted_characters_in_shift() -> None:
    a, shift = ecodes.KEY_A, ecodes.KEY_LEFTSHIFT
    assert keymap.key_actions("aA") == [
        (a, True), (a, False), (shift, True), (a, True), (a, False), (shift, False)
    ]


@pytest.mark.parametrize("char", ["é", "€", "\r", "\x00", "\x1b", "\x7f", "\x0b", "ß", "😀"])
def test_unsupported_character_is_named(char: str) -> None:
    with pytest.raises(UnsupportedCharacter) as info:
        keymap.strokes("ok " + char)
    message = str(info.value)
    assert repr(char) in message and f"U+{ord(char):04X}" in message
    assert "position 3" in message


def test_unsupported_character_fails_before_any_action() -> None:
    with pytest.raises(UnsupportedCharacter):
        keymap.key_actions("abc\u00e9")


def test_decode_tracks_right_shift_and_overlapping_shifts() -> None:
    a, lsh, rsh = ecodes.KEY_A, ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT
    events = [(rsh, 1), (a, 1), (a, 0), (lsh, 1), (rsh, 0), (a, 1), (a, 0), (lsh, 0), (a, 1)]
    assert keymap.decode(events) == "AAa"


def test_decode_counts_auto_repeats_and_ignores_releases() -> None:
    b = ecodes.KEY_B
    assert keymap.decode([(b, 1), (b, 2), (b, 2), (b, 0)]) == "bbb"


def test_decode_shows_keys_without_characters() -> None:
    events = [(ecodes.KEY_LEFTCTRL, 1), (ecodes.KEY_C, 1), (ecodes.KEY_C, 0),
              (ecodes.KEY_LEFTCTRL, 0), (ecodes.KEY_F1, 1), (ecodes.KEY_MUTE, 1)]
    assert keymap.decode(events) == "<KEY_LEFTCTRL>c<KEY_F1><KEY_MUTE>"


def test_key_table_covers_every_character_once() -> None:
    table = keymap.key_table()
    assert sorted(row[0] for row in table) == sorted(PRINTABLE + "\t\n")
    for char, name, code, shift in table:
        assert ecodes.ecodes[name] == code
        assert keymap.stroke(char) == keymap.Stroke(code, shift)
