"""Lab kbleds (guide 10.4): a timer blinks the keyboard's lock LEDs."""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import NoReturn

from pilab.boards.base import Board
from pilab.boards.kernel import KmodLoader
from pilab.errors import ConfigError
from pilab.kernel.modinfo import ko_params
from pilab.labs.common.lab import Lab
from pilab.labs.kbleds import leds, vt
from pilab.steps import SKIPPED, LabSkipped, Step, StepRecorder, wait_for

SETTLE_SECONDS = 1.0  # how long a KDSKBLED or an unload may take to reach the LEDs
QUIET_PERIODS = 3  # after unload, no LED change for this many periods: the timer is gone
PARAMS = ("delay_ms", "mask")  # ours; the guide's module has none (HZ / 5, all LEDs)


def module_takes(board: Board, module: str) -> set[str]:
    """The parameters *module*'s .ko declares (all of ours when it cannot be read)."""
    loader = board.modules
    if not isinstance(loader, KmodLoader):
        return set(PARAMS)
    path = loader.stack.kmod_dir / f"{module}.ko"
    return set(ko_params(path)) if path.exists() else set(PARAMS)


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
    # pilab check scores the restore on its own ("restores the LEDs on unload"):
    # its behaviour check sets this False, so one fault costs one check
    judge_restore = True

    def params(self, board: Board) -> dict[str, int]:
        """delay_ms and mask, as far as the module takes them; else it must use the defaults."""
        takes = module_takes(board, self.module)
        wanted = {"delay_ms": self.delay_ms, "mask": self.mask}
        return {name: value for name, value in wanted.items() if name in takes}

    def run(self, board: Board, steps: StepRecorder) -> None:
        log = board.open_log()
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
                stack.callback(vt.leds_follow_lock_state, fd)  # whatever the module left
                before = marker_state(self.mask)
                vt.leds_follow_lock_state(fd)  # in case a module left them set
                vt.set_lock_flags(fd, before)  # so that "restored" differs from "off"
                shown = wait_for(lambda: read() == before, SETTLE_SECONDS)
                s.note(lock_flags=leds.describe(before), leds=leds.describe(read()))
                s.expect(shown, f"set {leds.describe(before)} lock on, the LEDs show "
                         f"{leds.describe(read())}")

            params = self.params(board)
            shown_params = " ".join(f"{k}={v:#x}" if k == "mask" else f"{k}={v}"
                                    for k, v in params.items()) or "no parameters"
            with steps.step(f"load {self.module} ({shown_params})", required=True):
                board.modules.load(self.module, **params)

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
                problems = leds.blink_problems(blink, self.mask, self.delay_ms, self.tolerance,
                                               rest=before)
                step.expect(not problems, "; ".join(problems))

            with steps.step("unload; the LEDs show the lock state again, and stay so") as step:
                board.modules.unload(self.module)
                back = wait_for(lambda: read() == before, SETTLE_SECONDS)
                step.note(leds=leds.describe(read()))
                step.expect(back or not self.judge_restore,
                            f"after unload the LEDs show {leds.describe(read())}, "
                            f"not the lock state {leds.describe(before)}")
                after = leds.record(read, QUIET_PERIODS * self.delay_ms / 1000)
                changes = [leds.describe(s.leds) for s in after.samples[1:]]
                step.expect(not changes, f"the LEDs changed after unload ({', '.join(changes)}): "
                            "the timer still runs")

        with steps.step("kernel healthy"):
            log.check_health()
