"""The kbleds lab's checks, for anyone's module (``pilab check kbleds``).

The interface: a timer blinks the foreground console's LEDs through its
tty's KDSETLED. Parameters ``delay_ms`` and ``mask`` are ours: a module
without them must blink every 200 ms (the guide's HZ / 5) with all three
LEDs. The off phase may be "all off" (ours) or the lock state (the guide's
KDSETLED 0xff). Required of every module: refuse to load, cleanly, when the
console's tty is not open (the guide oopses), and on unload stop the timer
and hand the LEDs back to the lock state. Verdicts rest on the LEDs as
EVIOCGLED shows them and on load errors, never on the kernel log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import evdev

from pilab.check.context import CheckContext
from pilab.check.suite import Check
from pilab.errors import ConfigError, ModuleError
from pilab.kernel.modules import loaded
from pilab.labs.common.checks import CYCLES
from pilab.labs.common.checks import behaviour as lab_behaviour
from pilab.labs.kbleds import leds, vt
from pilab.labs.kbleds.lab import SETTLE_SECONDS, KbledsLab, module_takes
from pilab.steps import Step, StepFailed, wait_for

LOCK_STATE = leds.NUM | leds.SCROLL  # lit before loading: neither "all on" nor "all off"
FAST_MS = 50  # delay_ms for a module that takes it: quick toggles to unload between
GUIDE_MS = 200  # the guide's HZ / 5, for a module without delay_ms
QUIET_PERIODS = 3


@dataclass
class Console:
    """The foreground console held open, its LEDs showing LOCK_STATE, and its keyboard."""

    fd: int
    read: Callable[[], int]
    delay_ms: int
    params: dict[str, int]

    def toggled(self) -> bool:
        """Did the LEDs change within a few periods of now (the timer runs)?"""
        start = self.read()
        return wait_for(lambda: self.read() != start,
                        QUIET_PERIODS * self.delay_ms / 1000 + SETTLE_SECONDS, interval=0.002)

    def quiet(self, periods: int = QUIET_PERIODS) -> list[str]:
        """The LED changes over *periods* periods (none: nothing blinks)."""
        after = leds.record(self.read, periods * self.delay_ms / 1000)
        return [leds.describe(s.leds) for s in after.samples[1:]]


def _keyboard(stack: ExitStack) -> evdev.InputDevice:
    keyboard = leds.find_led_keyboard()
    if keyboard is None:
        raise StepFailed("no keyboard with Num/Caps/Scroll Lock LEDs (evdev EV_LED) to watch")
    stack.callback(keyboard.close)
    return keyboard


@contextmanager
def console(ctx: CheckContext) -> Iterator[Console]:
    """The tty open, LOCK_STATE shown; afterwards the LEDs follow the lock state again."""
    takes = module_takes(ctx.live_board, ctx.module)
    delay = FAST_MS if "delay_ms" in takes else GUIDE_MS
    params = {"delay_ms": delay} if "delay_ms" in takes else {}
    with ExitStack() as stack:
        read = leds.reader(_keyboard(stack))
        fd = stack.enter_context(vt.held_open(vt.foreground_tty()))
        stack.callback(vt.restore_lock_flags, fd, vt.lock_flags(fd))
        stack.callback(vt.leds_follow_lock_state, fd)
        vt.leds_follow_lock_state(fd)
        vt.set_lock_flags(fd, LOCK_STATE)
        if not wait_for(lambda: read() == LOCK_STATE, SETTLE_SECONDS):
            raise StepFailed(f"the LEDs show {leds.describe(read())}, not the lock state "
                             f"{leds.describe(LOCK_STATE)}, before loading")
        yield Console(fd, read, delay, params)


def behaviour(ctx: CheckContext, step: Step) -> None:
    """The lab's own steps with the submission's module, except whether unload restores
    the LEDs: "restores the LEDs on unload" scores that, so one fault costs one check."""
    lab = KbledsLab()
    lab.judge_restore = False
    lab_behaviour(ctx, step, lab)


def console_held(ctx: CheckContext) -> str | None:
    """Skip reason when the console's tty cannot be had closed here."""
    try:
        name = vt.foreground_tty()
    except ConfigError as exc:
        return f"no virtual console: {exc}"
    held = vt.holders(name)
    if held:
        who = ", ".join(f"pid {pid}: {path}" for pid, path in held.items())
        return f"{name} is held open here ({who}), so a load without it cannot be tried"
    return None


def refuses_without_tty(ctx: CheckContext, step: Step) -> None:
    """No file open on the console's tty: the load fails, leaves nothing, blinks nothing."""
    with ExitStack() as stack:
        read = leds.reader(_keyboard(stack))
        before = read()
        try:
            ctx.live_board.modules.load(ctx.module)
        except ModuleError as exc:
            step.note(errno=exc.errno, error=str(exc))
        else:
            raise StepFailed("it loaded although the console's tty was not open: it uses a "
                             "tty that does not exist (vc->port.tty is NULL)")
        step.expect(not loaded(ctx.module), f"{ctx.module} is still loaded after refusing")
        after = leds.record(read, 1.0)  # a timer left armed would blink (or crash) by now
        changes = [leds.describe(s.leds) for s in after.samples]
        step.expect(changes == [leds.describe(before)],
                    f"the LEDs changed after the refused load ({', '.join(changes)}): a timer "
                    "or work item outlived the failed init")


def restores(ctx: CheckContext, step: Step) -> None:
    """Unload at three phases of the blink: each time the LEDs show the lock state, and stay."""
    with console(ctx) as con:
        for round_ in range(3):
            ctx.live_board.modules.load(ctx.module, **con.params)
            step.expect(con.toggled(), "the LEDs never left the lock state: nothing blinks")
            time.sleep(round_ * con.delay_ms / 3000)  # right after a toggle, a third, two thirds
            ctx.live_board.modules.unload(ctx.module)
            back = wait_for(lambda: con.read() == LOCK_STATE, SETTLE_SECONDS)
            step.expect(back, f"unload #{round_ + 1}: the LEDs show "
                        f"{leds.describe(con.read())}, not the lock state "
                        f"{leds.describe(LOCK_STATE)}")
            changes = con.quiet()
            step.expect(not changes, f"unload #{round_ + 1}: the LEDs still change "
                        f"({', '.join(changes)}): the timer outlived the module")


def cycles(ctx: CheckContext, step: Step) -> None:
    """Load, see a toggle, unload, see the blinking stop: CYCLES times, nothing left.

    Whether the LEDs come back is the restore check's: here pilab hands them
    back itself after each unload.
    """
    with console(ctx) as con:
        for cycle in range(1, CYCLES + 1):
            ctx.live_board.modules.load(ctx.module, **con.params)
            step.expect(con.toggled(), f"cycle {cycle}: the LEDs did not change: nothing "
                        "blinks")
            ctx.live_board.modules.unload(ctx.module)
            step.expect(not loaded(ctx.module), f"cycle {cycle}: still loaded")
            changes = con.quiet(periods=2)
            step.expect(not changes, f"cycle {cycle}: the LEDs still change after unload "
                        f"({', '.join(changes)}): the timer outlived the module")
            vt.leds_follow_lock_state(con.fd)
    step.note(cycles=CYCLES, delay_ms=con.delay_ms)


CHECKS = [
    Check("behaviour", behaviour,
          "a timer blinks the LEDs through the console's tty (KDSETLED) every delay_ms "
          "(200 ms, HZ / 5, without the parameter), all LEDs in mask on, then off (or the "
          "lock state, as the guide's 0xff); unload stops it", 120.0),
    Check("refuses cleanly without a console tty", refuses_without_tty,
          "vc_cons[fg_console].d->port.tty is NULL while no one has the tty open: take it "
          "with tty_port_tty_get() and return -ENODEV when there is none, before arming the "
          "timer", 60.0, console_held),
    Check("restores the LEDs on unload", restores,
          "on unload stop the timer for good (timer_shutdown_sync / del_timer_sync), then "
          "KDSETLED with a value above 7 (RESTORE_LEDS 0xff), which hands the LEDs back to "
          "the lock state; KDSETLED 0 just turns them off", 60.0),
    Check(f"{CYCLES} load/unload cycles", cycles,
          "each unload must stop the timer for good and wait for the work (a timer left "
          "armed runs freed code), and drop the tty reference init took (tty_kref_put)",
          180.0),
]
