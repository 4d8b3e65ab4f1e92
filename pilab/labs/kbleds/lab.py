"""Lab kbleds (guide 10.4): a timer blinks the keyboard's lock LEDs."""

from __future__ import annotations

import os
import re
import time
from contextlib import ExitStack
from typing import NoReturn

from pilab.boards.base import Board
from pilab.errors import ConfigError
from pilab.labs.common.lab import Lab
from pilab.labs.kbleds import leds, vt
from pilab.steps import SKIPPED, LabSkipped, Step, StepRecorder, wait_for

LOADED = r"blinking (tty\d+) \(console (\d+)\) LEDs mask=(0x[0-9a-f]+) every (\d+) ms"
STOPPED = r"stopped, (tty\d+) LEDs show the keyboard state again"
SETTLE_SECONDS = 1.0  # how long a KDSKBLED or an unload may take to reach the LEDs


def skip(step: Step, reason: str) -> NoReturn:
    """Mark *step* SKIPPED and skip the lab: it cannot run here, so it never passes."""
    step.status, step.reason = SKIPPED, reason
    raise LabSkipped(reason)


def marker_state(mask: int) -> int:
    """A lock state to show before loading: lit, and unlike both blink states."""
    return leds.NUM if mask != leds.NUM else leds.CAPS


class KbledsLab(Lab):
    """kbleds.ko blinks the LEDs in its mask; pilab times the blink through evdev."""

    name = "kbleds"
    title = "a timer and a work item blink the keyboard LEDs"
    needs_kernel = True
    module = "kbleds"
    delay_ms = 200  # the module's default, the guide's HZ / 5
    mask = leds.ALL  # the module's default: scroll, num and caps lock
    record_seconds = 2.0  # about 9 intervals at 200 ms
    # The median interval must be within 15% of delay_ms. Under TCG most
    # toggles come within ~10 ms of their time, a few 100+ ms late when the
    # host starves the VM; such outliers move the mean (reported) but not the
    # median, while a wrong period moves every interval. See leds.blink_problems.
    tolerance = 0.15

    def run(self, board: Board, steps: StepRecorder) -> None:
        log = board.open_log()
        prefix = f"{self.module}: "
        with ExitStack() as stack:
            with steps.step("the foreground console's tty is open", required=True) as step:
                try:
                    tty = vt.foreground_tty()
                except ConfigError as exc:
                    skip(step, f"no virtual console to blink: {exc}")
                fd = stack.enter_context(vt.held_open(tty))
                step.note(tty=tty)

            with steps.step("a keyboard with lock LEDs (evdev EV_LED)", required=True) as step:
                keyboard = leds.find_led_keyboard(self.mask)
                if keyboard is None:
                    root = "" if os.geteuid() == 0 else " (and run as root)"
                    skip(step, "no keyboard with Num/Caps/Scroll Lock LEDs: plug in a USB "
                         f"keyboard that has them{root}")
                stack.callback(keyboard.close)
                read = leds.reader(keyboard)
                step.note(device=keyboard.path, keyboard=keyboard.name)

            with steps.step("before loading: the LEDs show the lock state", required=True) as s:
                saved = vt.lock_flags(fd)
                stack.callback(vt.restore_lock_flags, fd, saved)
                before = marker_state(self.mask)
                vt.set_lock_flags(fd, before)  # so that "restored" differs from "off"
                shown = wait_for(lambda: read() == before, SETTLE_SECONDS)
                s.note(lock_flags=leds.describe(before), leds=leds.describe(read()))
                s.expect(shown, f"set {leds.describe(before)} lock on, the LEDs show "
                         f"{leds.describe(read())}")

            params = {"delay_ms": self.delay_ms, "mask": self.mask}
            with steps.step(f"load kbleds (delay_ms={self.delay_ms}, mask={self.mask:#x})",
                            required=True) as step:
                board.modules.load(self.module, **params)
                step.expect(bool(log.wait_for(prefix + LOADED)), "no load line in the kernel log")

            period = f"LEDs {leds.describe(self.mask)} blink every {self.delay_ms} ms"
            with steps.step(period) as step:
                with leds.raised_priority() as raised:
                    recording = leds.record(read, self.record_seconds)
                blink = leds.analyse(recording, min_hold=self.delay_ms / 10_000)
                step.note(raised_priority=raised, **blink.figures())
                if blink.intervals:
                    step.name = (
                        f"{period}: median {blink.median_ms:.1f} ms, mean "
                        f"{blink.mean_ms:.1f} ms, jitter {blink.jitter_ms:.1f} ms std "
                        f"(min {blink.min_ms:.0f}, max {blink.max_ms:.0f})"
                    )
                problems = leds.blink_problems(blink, self.mask, self.delay_ms, self.tolerance)
                step.expect(not problems, "; ".join(problems))

            with steps.step("unload; the LEDs show the lock state again") as step:
                board.modules.unload(self.module)
                back = wait_for(lambda: read() == before, SETTLE_SECONDS)
                step.note(leds=leds.describe(read()))
                step.expect(back, f"after unload the LEDs show {leds.describe(read())}, "
                            f"not the lock state {leds.describe(before)}")
                time.sleep(0.1)
                step.expect(read() == before, "the LEDs changed again after unload")

        with steps.step("the log holds the module's lines; kernel healthy") as step:
            loaded = log.wait_for(prefix + LOADED)
            stopped = log.wait_for(prefix + STOPPED)
            step.expect(bool(loaded), "no load line in the kernel log")
            step.expect(bool(stopped), "no unload line in the kernel log")
            match = re.search(LOADED, loaded[0].text)
            assert match is not None
            step.expect(
                match.group(3) == f"{self.mask:#x}" and match.group(4) == str(self.delay_ms),
                f"the load line says {loaded[0].text!r}",
            )
            failed = [r.text for r in log.lines(prefix + "KDSETLED")]
            step.expect(not failed, f"the module could not set the LEDs: {failed[:1]}")
            log.check_health()
