"""Keyboard lock LEDs: find a keyboard that has them, record them, judge a blink.

LED states are KDSETLED bit masks throughout: bit0 Scroll, bit1 Num,
bit2 Caps Lock (linux/kd.h LED_SCR, LED_NUM, LED_CAP). evdev numbers the
same LEDs differently (LED_NUML 0, LED_CAPSL 1, LED_SCROLLL 2);
:func:`kd_bits` translates.

The state is read with EVIOCGLED (``InputDevice.leds()``), polled about
every millisecond, rather than from EV_LED events: evdev hands LED events
to readers in batches with one timestamp, so event times say little about
when each LED changed.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise

import evdev
from evdev import ecodes

SCROLL, NUM, CAPS = 0x1, 0x2, 0x4
ALL = SCROLL | NUM | CAPS
EVDEV_TO_KD = {ecodes.LED_SCROLLL: SCROLL, ecodes.LED_NUML: NUM, ecodes.LED_CAPSL: CAPS}
NAMES = {SCROLL: "scroll", NUM: "num", CAPS: "caps"}

POLL_SECONDS = 0.001


def kd_bits(evdev_leds: Iterable[int]) -> int:
    """evdev LED codes (what ``InputDevice.leds()`` lists) as a KD bit mask."""
    bits = 0
    for code in evdev_leds:
        bits |= EVDEV_TO_KD.get(code, 0)
    return bits


def describe(bits: int) -> str:
    """``num+caps`` for 0x6, ``none`` for 0."""
    return "+".join(NAMES[b] for b in (SCROLL, NUM, CAPS) if bits & b) or "none"


@dataclass(frozen=True)
class Sample:
    """The LED state first seen at *seconds* (a monotonic clock)."""

    seconds: float
    leds: int


@dataclass(frozen=True)
class Recording:
    """The first state and each change seen, and when the polling stopped."""

    samples: tuple[Sample, ...]
    end: float


def record(
    read: Callable[[], int],
    seconds: float,
    interval: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Recording:
    """Poll *read* every *interval* for *seconds*; keep the first state and each change."""
    samples: list[Sample] = []
    end = clock() + seconds
    while True:
        leds = read()
        now = clock()
        if not samples or leds != samples[-1].leds:
            samples.append(Sample(now, leds))
        if now >= end:
            return Recording(tuple(samples), now)
        sleep(interval)


@contextmanager
def raised_priority(increment: int = -10) -> Iterator[bool]:
    """Run the block at a higher priority (root only); yields whether it worked."""
    try:
        os.nice(increment)
    except PermissionError:
        yield False
        return
    try:
        yield True
    finally:
        os.nice(-increment)


@dataclass(frozen=True)
class Blink:
    """A recording read as a blink: the state before, the toggles, their spacing."""

    initial: int  # state when the recording began, before any toggle seen
    toggles: tuple[Sample, ...]  # each settled change after the first sample
    end: float  # when the recording stopped
    glitches: tuple[Sample, ...] = ()  # short-lived states dropped as mid-update

    @property
    def intervals(self) -> tuple[float, ...]:
        """Seconds between successive toggles."""
        return tuple(b.seconds - a.seconds for a, b in pairwise(self.toggles))

    @property
    def states(self) -> set[int]:
        """The LED states the toggles went through."""
        return {s.leds for s in self.toggles}

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.intervals) * 1e3 if self.intervals else math.nan

    @property
    def median_ms(self) -> float:
        return statistics.median(self.intervals) * 1e3 if self.intervals else math.nan

    @property
    def quiet_ms(self) -> float:
        """How long the LEDs had not changed when the recording stopped."""
        last = self.toggles[-1].seconds if self.toggles else math.nan
        return (self.end - last) * 1e3

    @property
    def jitter_ms(self) -> float:
        """Standard deviation of the intervals."""
        return statistics.pstdev(self.intervals) * 1e3 if self.intervals else math.nan

    @property
    def min_ms(self) -> float:
        return min(self.intervals) * 1e3 if self.intervals else math.nan

    @property
    def max_ms(self) -> float:
        return max(self.intervals) * 1e3 if self.intervals else math.nan

    def figures(self) -> dict[str, object]:
        """What a step notes: counts and times in ms, rounded."""
        return {
            "toggles": len(self.toggles),
            "mean_period_ms": round(self.mean_ms, 1),
            "median_period_ms": round(self.median_ms, 1),
            "jitter_std_ms": round(self.jitter_ms, 1),
            "min_period_ms": round(self.min_ms, 1),
            "max_period_ms": round(self.max_ms, 1),
            "intervals_ms": [round(i * 1e3, 1) for i in self.intervals],
            "states": sorted(describe(s) for s in self.states),
            "glitches": len(self.glitches),
        }


def analyse(recording: Recording, min_hold: float) -> Blink:
    """Read *recording* as a blink.

    A state that held for less than *min_hold* seconds between two others is
    a glitch, not a toggle: the kernel sets the LEDs one at a time, so a poll
    can see an update half done. It is dropped, and the change it began is
    timed from when the glitch was first seen.
    """
    samples = recording.samples
    if not samples:
        raise ValueError("no samples")
    kept: list[Sample] = [samples[0]]
    glitches: list[Sample] = []
    pending_start: float | None = None  # a dropped glitch began the next change
    for i, sample in enumerate(samples[1:], 1):
        is_last = i == len(samples) - 1
        if not is_last and samples[i + 1].seconds - sample.seconds < min_hold:
            glitches.append(sample)
            pending_start = sample.seconds if pending_start is None else pending_start
            continue
        if sample.leds != kept[-1].leds:
            start = sample.seconds if pending_start is None else pending_start
            kept.append(Sample(start, sample.leds))
        pending_start = None
    return Blink(kept[0].leds, tuple(kept[1:]), recording.end, tuple(glitches))


def blink_problems(
    blink: Blink,
    mask: int,
    delay_ms: float,
    tolerance: float = 0.15,
    min_intervals: int = 5,
    stall_factor: float = 3.0,
    rest: int = 0,
) -> list[str]:
    """Why *blink* is not "LEDs in *mask* on, all off" every *delay_ms*; [] if it is.

    With *rest* (the lock state before loading), the off phase may also be
    that state: the guide's module alternates "all on" with "the keyboard's
    own state" (KDSETLED above 7) instead of "all off".

    The period is judged by the median interval. Most toggles come within a
    few ms of their time, but when the (virtual) CPU is starved a toggle can
    come 100+ ms late, and a toggle whose work item is still pending when the
    timer fires again is lost: single long intervals that pull the mean up
    (236 ms once for 200 ms, on a loaded 2-core host under TCG) but not the
    median (212 ms there). A wrong period moves every interval, so it moves
    the median too. No change for *stall_factor* periods, between toggles or
    at the end, means the blinking stopped.
    """
    out: list[str] = []
    off = rest if rest and rest in blink.states and 0 not in blink.states else 0
    wrong = sorted(s for s in blink.states if s not in (off, mask))
    if wrong:
        also = f" (or {describe(rest)}, the lock state)" if rest else ""
        out.append(
            f"LED states {', '.join(describe(s) for s in wrong)} seen; expected only "
            f"{describe(mask)} and none{also}"
        )
    outside = sorted({g.leds for g in blink.glitches if g.leds & ~(mask | off)})
    if outside:
        out.append(f"LEDs outside the mask lit briefly: {', '.join(map(describe, outside))}")
    n = len(blink.intervals)
    if n < min_intervals:
        out.append(f"only {len(blink.toggles)} toggles seen, {min_intervals + 1} needed")
        return out
    if abs(blink.median_ms - delay_ms) > tolerance * delay_ms:
        out.append(
            f"median period {blink.median_ms:.1f} ms (mean {blink.mean_ms:.1f}) is not within "
            f"{tolerance:.0%} of delay_ms={delay_ms:g}"
        )
    if blink.max_ms > stall_factor * delay_ms:
        out.append(f"a gap of {blink.max_ms:.0f} ms between toggles: the blinking stalled")
    if blink.quiet_ms > stall_factor * delay_ms:
        out.append(f"no toggle in the last {blink.quiet_ms:.0f} ms: the blinking stopped")
    return out


def _led_codes(device: evdev.InputDevice) -> set[int]:
    return set(device.capabilities().get(ecodes.EV_LED, []))


def find_led_keyboard(mask: int = ALL) -> evdev.InputDevice | None:
    """The first keyboard (EV_KEY) whose EV_LED has every LED in *mask*, opened."""
    wanted = {code for code, bit in EVDEV_TO_KD.items() if bit & mask}
    chosen = None
    for path in sorted(evdev.list_devices()):
        device = evdev.InputDevice(path)
        caps = device.capabilities()
        if chosen is None and ecodes.EV_KEY in caps and wanted <= _led_codes(device):
            chosen = device
        else:
            device.close()
    return chosen


def reader(device: evdev.InputDevice) -> Callable[[], int]:
    """A function that reads *device*'s LEDs now (EVIOCGLED) as KD bits."""
    return lambda: kd_bits(device.leds())
