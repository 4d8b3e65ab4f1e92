"""LED recording and blink analysis on synthetic samples."""

from __future__ import annotations

import math
import random

import pytest
from evdev import ecodes

from pilab.labs.kbleds.leds import (
    ALL,
    CAPS,
    NUM,
    SCROLL,
    Blink,
    Recording,
    Sample,
    analyse,
    blink_problems,
    describe,
    kd_bits,
    record,
)

MS = 1e-3


def square_wave(
    mask: int,
    period_ms: float,
    toggles: int,
    jitter_ms: float = 0.0,
    initial: int = 0,
    seed: int = 1,
) -> Recording:
    """A blink: *initial*, then mask/off every *period_ms*, each toggle a bit late."""
    rng = random.Random(seed)
    samples = [Sample(0.0, initial)]
    lit = False
    for k in range(1, toggles + 1):
        lit = not lit
        late = abs(rng.gauss(0.0, jitter_ms)) if jitter_ms else 0.0
        samples.append(Sample((k * period_ms + late) * MS, mask if lit else 0))
    return Recording(tuple(samples), (toggles + 0.5) * period_ms * MS)


def recording(*changes: tuple[float, int], end: float | None = None) -> Recording:
    """A recording of (seconds, leds) changes, ending 0.1 s after the last by default."""
    samples = tuple(Sample(t, leds) for t, leds in changes)
    return Recording(samples, samples[-1].seconds + 0.1 if end is None else end)


class FakeClock:
    """A clock that moves only when the recorder sleeps, and a reader driven by it."""

    def __init__(self, states: list[tuple[float, int]]) -> None:
        self.now = 0.0
        self.states = states  # (from this time on, this state)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def read(self) -> int:
        return [leds for since, leds in self.states if since <= self.now + 1e-12][-1]


def test_kd_bits_maps_evdev_codes_to_kdsetled_bits() -> None:
    assert kd_bits([]) == 0
    assert kd_bits([ecodes.LED_SCROLLL]) == SCROLL == 0x1
    assert kd_bits([ecodes.LED_NUML]) == NUM == 0x2
    assert kd_bits([ecodes.LED_CAPSL]) == CAPS == 0x4
    assert kd_bits([ecodes.LED_NUML, ecodes.LED_CAPSL, ecodes.LED_SCROLLL]) == ALL
    assert kd_bits([ecodes.LED_KANA, ecodes.LED_NUML]) == NUM  # other LEDs ignored


def test_describe() -> None:
    assert describe(0) == "none"
    assert describe(CAPS | NUM) == "num+caps"
    assert describe(ALL) == "scroll+num+caps"


def test_record_keeps_the_first_state_and_each_change() -> None:
    fake = FakeClock([(0.0, 0), (0.0105, 7), (0.0305, 0)])
    rec = record(fake.read, 0.05, interval=0.001, clock=fake.clock, sleep=fake.sleep)
    samples = rec.samples
    assert [s.leds for s in samples] == [0, 7, 0]
    assert samples[0].seconds == 0.0
    assert samples[1].seconds == pytest.approx(0.011)  # the first poll after the change
    assert samples[2].seconds == pytest.approx(0.031)
    assert rec.end == pytest.approx(0.05) == fake.now


def test_a_clean_blink_has_its_period_and_no_problems() -> None:
    blink = analyse(square_wave(ALL, 200, 10), min_hold=0.02)
    assert blink.initial == 0
    assert len(blink.toggles) == 10 and blink.intervals == pytest.approx([0.2] * 9)
    assert blink.mean_ms == pytest.approx(200.0) == blink.median_ms
    assert blink.jitter_ms == pytest.approx(0.0, abs=1e-9)
    assert blink.quiet_ms == pytest.approx(100.0)
    assert blink.states == {0, ALL}
    assert blink_problems(blink, ALL, 200) == []


def test_jitter_figures_are_the_intervals_spread() -> None:
    rec = recording((0.0, 0), (0.1, 4), (0.3, 0), (0.45, 4), (0.7, 0), (0.93, 4))
    blink = analyse(rec, min_hold=0.01)
    assert blink.intervals == pytest.approx([0.2, 0.15, 0.25, 0.23])
    assert blink.mean_ms == pytest.approx(207.5)
    assert blink.median_ms == pytest.approx(215.0)
    deviations = [-7.5, -57.5, 42.5, 22.5]
    assert blink.jitter_ms == pytest.approx(math.sqrt(sum(d * d for d in deviations) / 4))
    assert (blink.min_ms, blink.max_ms) == pytest.approx((150.0, 250.0))
    figures = blink.figures()
    assert figures["mean_period_ms"] == 207.5 and figures["toggles"] == 5
    assert figures["intervals_ms"] == [200.0, 150.0, 250.0, 230.0]
    assert figures["states"] == ["caps", "none"]


def test_a_jittery_blink_with_the_right_period_passes() -> None:
    blink = analyse(square_wave(ALL, 200, 10, jitter_ms=35), min_hold=0.02)
    assert blink.jitter_ms > 10
    assert blink_problems(blink, ALL, 200) == []


@pytest.mark.parametrize("period_ms", [150, 240, 400, 100])
def test_a_wrong_period_is_rejected(period_ms: float) -> None:
    blink = analyse(square_wave(ALL, period_ms, 10), min_hold=0.01)
    problems = blink_problems(blink, ALL, 200)
    assert any("median period" in p for p in problems), problems


def test_late_and_lost_toggles_of_a_starved_cpu_do_not_fail_a_right_period() -> None:
    # measured on a loaded host under TCG: the mean is 236 ms, the median 212
    times = [0.0, 0.2594, 0.392, 0.5898, 0.7894, 1.1051, 1.4426, 1.6549]
    rec = recording((-0.1, 0), *((t, ALL if i % 2 == 0 else 0) for i, t in enumerate(times)))
    blink = analyse(rec, min_hold=0.02)
    assert blink.mean_ms == pytest.approx(236.4, abs=0.1)
    assert blink.median_ms == pytest.approx(212.3, abs=0.1)
    assert blink_problems(blink, ALL, 200) == []


def test_leds_outside_the_mask_are_rejected() -> None:
    blink = analyse(square_wave(ALL, 200, 10), min_hold=0.02)  # all lit, only caps wanted
    problems = blink_problems(blink, CAPS, 200)
    assert problems and "scroll+num+caps" in problems[0]


def test_a_partial_blink_is_rejected() -> None:
    blink = analyse(square_wave(NUM, 200, 10), min_hold=0.02)  # only num of num+caps
    assert blink_problems(blink, NUM | CAPS, 200)


def test_the_state_before_the_first_toggle_is_not_judged() -> None:
    blink = analyse(square_wave(CAPS, 200, 10, initial=NUM), min_hold=0.02)
    assert blink.initial == NUM and blink.states == {0, CAPS}
    assert blink_problems(blink, CAPS, 200) == []


def test_too_few_toggles_are_rejected() -> None:
    blink = analyse(square_wave(ALL, 200, 3), min_hold=0.02)
    problems = blink_problems(blink, ALL, 200)
    assert problems == ["only 3 toggles seen, 6 needed"]


def test_no_blink_at_all_is_rejected() -> None:
    blink = analyse(recording((0.0, 0)), min_hold=0.02)
    assert blink.toggles == () and math.isnan(blink.mean_ms)
    assert blink_problems(blink, ALL, 200)


def test_a_stall_is_rejected_even_when_the_median_is_right() -> None:
    times = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.9, 2.1, 2.3]
    rec = recording((0.0, 0), *((t, ALL if i % 2 == 0 else 0) for i, t in enumerate(times)))
    problems = blink_problems(analyse(rec, min_hold=0.02), ALL, 200)
    assert problems == ["a gap of 700 ms between toggles: the blinking stalled"]


def test_a_blink_that_stops_before_the_end_is_rejected() -> None:
    rec = square_wave(ALL, 200, 8)
    stopped = Recording(rec.samples, end=rec.samples[-1].seconds + 0.7)
    assert blink_problems(analyse(rec, min_hold=0.02), ALL, 200) == []
    problems = blink_problems(analyse(stopped, min_hold=0.02), ALL, 200)
    assert problems == ["no toggle in the last 700 ms: the blinking stopped"]


def test_half_done_updates_are_glitches_timed_from_their_start() -> None:
    # 0 -> (caps only, for 1 ms) -> all: the kernel sets the LEDs one at a time
    rec = recording((0.0, 0), (0.200, CAPS), (0.201, ALL), (0.4, 0), (0.6, ALL), (0.8, NUM),
                    (0.8015, 0), (1.0, ALL))
    blink = analyse(rec, min_hold=0.02)
    assert [g.leds for g in blink.glitches] == [CAPS, NUM]
    assert [s.leds for s in blink.toggles] == [ALL, 0, ALL, 0, ALL]
    assert [s.seconds for s in blink.toggles] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert blink_problems(blink, ALL, 200, min_intervals=4) == []


def test_a_glitch_outside_the_mask_is_rejected() -> None:
    rec = recording((0.0, 0), (0.2, CAPS), (0.4, 0), (0.6, CAPS), (0.7, NUM | CAPS),
                    (0.701, CAPS), (0.8, 0), (1.0, CAPS), (1.2, 0))
    blink = analyse(rec, min_hold=0.02)
    assert blink.states == {0, CAPS}
    problems = blink_problems(blink, CAPS, 200)
    assert problems == ["LEDs outside the mask lit briefly: num+caps"]


def test_a_blip_back_to_the_same_state_is_no_toggle() -> None:
    rec = recording((0.0, 0), (0.2, CAPS), (0.3, 0), (0.301, CAPS), (0.4, 0))
    blink = analyse(rec, min_hold=0.02)
    assert [(s.seconds, s.leds) for s in blink.toggles] == [(0.2, CAPS), (0.4, 0)]


def test_blink_needs_samples() -> None:
    with pytest.raises(ValueError):
        analyse(Recording((), 0.0), min_hold=0.02)
    assert Blink(0, (), 0.0).intervals == ()


def test_the_guides_pattern_all_on_then_the_lock_state_passes_with_rest() -> None:
    """The guide alternates all on with KDSETLED 0xff: the lock state (num) is the off phase."""
    rec = recording(*((i * 0.2, ALL if i % 2 else NUM) for i in range(11)))
    blink = analyse(rec, min_hold=0.02)
    assert blink.states == {ALL, NUM}
    assert blink_problems(blink, ALL, 200, rest=NUM) == []
    assert blink_problems(blink, ALL, 200)  # without rest: num is a wrong state


def test_rest_does_not_allow_mixing_none_and_the_lock_state() -> None:
    states = [ALL, 0, ALL, NUM] * 3
    blink = analyse(recording(*((i * 0.2, s) for i, s in enumerate(states))), min_hold=0.02)
    assert blink_problems(blink, ALL, 200, rest=NUM)
