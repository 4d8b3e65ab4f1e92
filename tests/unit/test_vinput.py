"""The Python side of vinput: the command grammar the kernel tests hold vkbd to."""

from __future__ import annotations

import pytest
from evdev import InputEvent, ecodes

from pilab.labs.vkbd.vinput import (
    SYN,
    command,
    decode_text,
    key_events,
    parse_command,
    parse_unexport,
    triples,
    without_repeats,
)


@pytest.mark.parametrize(("data", "verdict"), [
    (b"+30", (30, True)), (b"30", (30, True)), (b"-30\n", (30, False)), (b"1", (1, True)),
    (b"766", (766, True)), (b"-766\n", (766, False)), (b"+111\n", (111, True)),
    (b"767", None), (b"0", None), (b"+0", None), (b"030", None), (b"", None), (b"\n", None),
    (b"30\n\n", None), (b" 30", None), (b"+-30", None), (b"0x1e", None), (b"3\x000", None),
    ("\uff13\uff10".encode(), None), (b"1" * 16, None), (b"30" + b"\n" * 15, None),
])
def test_parse_command(data: bytes, verdict: tuple[int, bool] | None) -> None:
    assert parse_command(data) == verdict


def test_command_round_trips_through_the_parser() -> None:
    for code in (1, 30, 766):
        for pressed in (True, False):
            assert parse_command(command(code, pressed)) == (code, pressed)


@pytest.mark.parametrize(("data", "vid"), [
    (b"0", 0), (b"0\n", 0), (b"31", 31), (b"4294967296", 4294967296), (b"01", None),
    (b"-1", None), (b"+1", None), (b" 1", None), (b"1\n\n", None), (b"", None), (b"0x1", None),
])
def test_parse_unexport(data: bytes, vid: int | None) -> None:
    assert parse_unexport(data) == vid


def ev(etype: int, code: int, value: int) -> InputEvent:
    return InputEvent(0, 0, etype, code, value)


def test_without_repeats_drops_value_2_and_its_syn_only() -> None:
    a = ecodes.KEY_A
    events = [ev(ecodes.EV_KEY, a, 1), ev(*SYN), ev(ecodes.EV_KEY, a, 2), ev(*SYN),
              ev(ecodes.EV_KEY, a, 2), ev(*SYN), ev(ecodes.EV_KEY, a, 0), ev(*SYN)]
    assert triples(without_repeats(events)) == key_events(a, 1) + key_events(a, 0)


def test_decode_text_ignores_syn() -> None:
    h, i, shift = ecodes.KEY_H, ecodes.KEY_I, ecodes.KEY_LEFTSHIFT
    events = [ev(*t) for t in key_events(shift, 1) + key_events(h, 1) + key_events(h, 0)
              + key_events(shift, 0) + key_events(i, 1) + key_events(i, 0)]
    assert decode_text(events) == "Hi"
