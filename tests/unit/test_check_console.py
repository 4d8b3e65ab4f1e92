"""pilab check's host watchdog: a frozen guest falls silent; its heartbeat keeps it alive."""

from __future__ import annotations

import pytest

from pilab.check import host
from pilab.check.guest import MARK
from pilab.check.host import SILENT_SECONDS, Console


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(host.time, "monotonic", fake)
    return fake


def feed(console: Console, *lines: str) -> None:
    console.write("".join(f"{line}\n" for line in lines).encode())


def test_a_beating_guest_is_never_overdue_before_the_bound(clock: Clock) -> None:
    console = Console(None)
    feed(console, f"{MARK} start 90 behaviour")
    for _ in range(40):  # 80 s of beats, one every 2 s: past the silence limit twice over
        clock.now += 2
        feed(console, f"{MARK} beat 0 -")
        assert console.overdue() is None
    assert not any("beat" in line for line in console.lines)  # no crash excerpt pushed out


def test_a_silent_guest_is_frozen_long_before_the_bound(clock: Clock) -> None:
    console = Console(None)
    feed(console, f"{MARK} start 90 behaviour")
    clock.now += SILENT_SECONDS - 1
    assert console.overdue() is None
    clock.now += 2
    reason = console.overdue()
    assert reason is not None and "fell silent" in reason and "froze" in reason


def test_the_bound_still_holds_for_a_guest_that_beats(clock: Clock) -> None:
    console = Console(None)
    feed(console, f"{MARK} start 10 behaviour")
    for _ in range(30):
        clock.now += 2
        feed(console, f"{MARK} beat 0 -")
    reason = console.overdue()
    assert reason is not None and "gave no result in time" in reason


def test_silence_between_checks_is_no_freeze(clock: Clock) -> None:
    console = Console(None)
    feed(console, f"{MARK} start 90 behaviour", f"{MARK} end 0 behaviour")
    clock.now += 10 * SILENT_SECONDS
    assert console.overdue() is None
