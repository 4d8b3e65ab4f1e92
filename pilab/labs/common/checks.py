"""Checks the labs share: the lab's own run as one check, and the GPIO labs' robustness."""

from __future__ import annotations

import errno
import time
from contextlib import ExitStack, suppress

from gpiozero import DigitalOutputDevice

from pilab.check.context import CheckContext
from pilab.check.suite import Check
from pilab.errors import ModuleError
from pilab.kernel.holders import line_consumers
from pilab.kernel.modules import loaded
from pilab.labs.common.lab import Bench, Lab
from pilab.labs.common.unload_trace import (
    Busy,
    Outlived,
    UnloadTrace,
    bottom_half_outlived,
    busy_at_unload,
)
from pilab.steps import FAILED, LabAborted, LabResult, Step, StepRecorder
from pilab.wiring import guide_pins

# A leaked IRQ, line or reference shows on the second load; ten give an unload race
# room to show too, and keep a check of any module to seconds (our own modules get
# 200 cycles in tests/kernel/).
CYCLES = 10


def behaviour(ctx: CheckContext, step: Step, lab: Lab | None = None) -> None:
    """The lab's own steps (what ``pilab run`` checks), with the submission's module.

    *lab*: a lab object set up by the caller (default: the lab's own, as is).
    """
    lab = lab or ctx.entry.new_lab()
    lab.module, lab.takes_pins = ctx.module, ctx.takes_pins
    result = LabResult(ctx.lab, ctx.board_name)
    with suppress(LabAborted):
        lab.run(ctx.live_board, StepRecorder(result, out=None))
    step.note(steps=[f"{s.status.upper()} {s.name}" + (f": {s.reason}" if s.reason else "")
                     for s in result.steps], lab_result=result.to_dict())
    bad = [s for s in result.steps if s.status == FAILED]
    if bad:
        step.traceback = bad[0].traceback
        step.expect(False, f"{bad[0].name}: {bad[0].reason}")


def behaviour_check(hint: str, seconds: float = 90.0) -> Check:
    return Check("behaviour", behaviour, hint, seconds)


def takes_pins(ctx: CheckContext) -> str | None:
    """Skip reason for a fixed-number module (no led/buttons to get wrong)."""
    return None if ctx.takes_pins else "the module takes no pin parameters"


def held_lines(ctx: CheckContext) -> dict[int, str]:
    """The lab's pins (BCM) that someone holds, with the consumer's label."""
    board = ctx.live_board
    assert board.chip is not None
    led, buttons = guide_pins()
    return line_consumers(board.chip, [led, *buttons])


def refused(ctx: CheckContext, params: dict[str, object]) -> bool:
    """Does loading the module with *params* fail? (Unload it if it loaded.)"""
    try:
        ctx.live_board.modules.load(ctx.module, **params)
    except ModuleError:
        return True
    ctx.live_board.modules.unload(ctx.module)
    return False


# A known trap, named where it bites: the legacy gpio_request() is no existence test.
NO_CHIP_TRAP = (": a known trap: on older kernels (Debian's 6.1) gpio_request() of a number "
                "no GPIO chip has returns 0 and requests nothing; ask gpio_to_desc() first "
                "and refuse a NULL with -ENODEV (docs/labs/{lab}.md, \"What a failure means\")")


def bad_pins(ctx: CheckContext, step: Step) -> None:
    """Invalid or repeated pins are refused, and a refused load leaves nothing held."""
    board = ctx.live_board
    good = ctx.pin_params(board)
    led, buttons = good["led"], list(good["buttons"])  # type: ignore[call-overload]
    nowhere = board.gpio(0) + 4096  # no chip has that line
    cases = {
        "an LED pin that does not exist": {"led": nowhere, "buttons": buttons},
        "a button pin that does not exist": {"led": led, "buttons": [buttons[0], nowhere]},
        "the LED and a button on one pin": {"led": led, "buttons": [led, buttons[1]]},
        "one button instead of two": {"led": led, "buttons": buttons[:1]},
    }
    for what, params in cases.items():
        trap = NO_CHIP_TRAP.format(lab=ctx.lab) if "does not exist" in what else ""
        step.expect(refused(ctx, params), f"it loaded with {what} ({params}){trap}")
        step.expect(not loaded(ctx.module), f"still loaded after refusing {what}")
        held = held_lines(ctx)
        step.expect(not held, f"after refusing {what}, lines are still held: {held}: "
                    "free what you took before returning the error")


def busy_pin(ctx: CheckContext, step: Step) -> None:
    """A button line held by a program: the load fails with EBUSY, and releases what it took.

    EBUSY is gpio_request()'s answer passed on: proof the module got that far
    (a module that refuses every load fails here too). The module is not
    loaded for real: what unload leaves behind is the other checks' business.
    """
    board = ctx.live_board
    params = ctx.pin_params(board)
    held_button = guide_pins().buttons[1]
    with DigitalOutputDevice(f"GPIO{held_button}", pin_factory=board.pin_factory):
        try:
            board.modules.load(ctx.module, **params)
        except ModuleError as exc:
            error = exc
        else:
            board.modules.unload(ctx.module)
            step.expect(False, f"it loaded although GPIO{held_button} was held by a "
                        "program")
        step.expect(error.errno == errno.EBUSY, f"the load failed, but not with EBUSY: {error}")
        held = {line: who for line, who in held_lines(ctx).items() if line != held_button}
        step.expect(not held, f"after the refused load, lines are still held: {held}: on "
                    "an error, free (in reverse order) every GPIO and IRQ taken so far")
    board.close_factory()


def lights_led(bench: Bench, buttons: tuple[int, ...], timeout: float) -> int | None:
    """Press *buttons* in turn until the LED comes on: the one that lit it, or None."""
    for button in buttons:
        bench.press(button)
        if bench.led_becomes(1, timeout=timeout):
            return button
    return None


def cycles(ctx: CheckContext, step: Step) -> None:
    """Load, press, see the LED, unload: CYCLES times, nothing left behind.

    Which button lights the LED is the behaviour check's business: the first
    cycle finds the one that does, every later cycle presses that one. A
    handler that stops working after a reload still fails here. The bench's
    own lines (drive and sense pins) stay requested across cycles: they are
    not the module's, and reopening them costs more than the module's load.
    """
    board = ctx.live_board
    wiring = ctx.wiring()
    params = ctx.pin_params(board)
    buttons = tuple(range(1, len(wiring.buttons) + 1))
    irqs: list[int] = []  # the buttons' IRQ numbers: mapped on the first load, kept by vgpio
    with ExitStack() as stack:
        bench = Bench(board, wiring, stack)
        for cycle in range(1, CYCLES + 1):
            board.modules.load(ctx.module, **params)
            irqs = irqs or [irq for irq in map(board.irq_of, wiring.buttons) if irq is not None]
            lit = lights_led(bench, buttons, timeout=5.0)
            step.expect(lit is not None, f"cycle {cycle}: the LED did not come on (pressed "
                        f"button{'s' if len(buttons) > 1 else ''} "
                        f"{' then '.join(map(str, buttons))})")
            buttons = (lit,) if lit is not None else buttons
            board.modules.unload(ctx.module)
            for irq in irqs:
                step.expect(not board.irq_handlers(irq), f"cycle {cycle}: IRQ {irq} still has "
                            "a handler after unload")
            held = held_lines(ctx)
            step.expect(not held, f"cycle {cycle}: lines held after unload: {held}")
    board.close_factory()
    step.note(cycles=CYCLES)
    time.sleep(0.05)


GPIO_ROBUSTNESS = [
    Check("bad pins are refused cleanly", bad_pins,
          "check every parameter before taking anything, and on any error free what was "
          "taken (gpio_free, free_irq) in reverse order", 60.0, takes_pins),
    Check("a busy pin fails the load cleanly", busy_pin,
          "gpio_request() fails with -EBUSY for a held line: return that error after "
          "freeing every GPIO and IRQ taken before it", 60.0),
    Check(f"{CYCLES} load/unload cycles", cycles,
          "unload must undo everything init did: free_irq each IRQ (same dev_id), gpio_free "
          "each line, stop the bottom half", 180.0),
]


# Longer bottom halves, for a module that takes work_ms, when the unload came after its
# bottom half had ended (a slow or loaded machine): the premise must be shown, not assumed.
BUSY_WORK_MS = (2000, 8000)


def _unload_busy(ctx: CheckContext, step: Step, pending: bool) -> None:
    """Press button 1 from another process (and, if *pending*, button 2 from a third while
    the first bottom half works), unload while the bottom half is busy: nothing may run
    after the exit returned. The trace must show a bottom half a press asked for running
    or waiting at the unload (if *pending*: asked again while it ran); else it is tried
    with a longer work_ms, and failed as "not shown" if it never is."""
    tries: list[int | None] = [None]
    if "work_ms" in ctx.params:
        tries += list(BUSY_WORK_MS)
    seen: list[str] = []
    for work_ms in tries:
        busy, outlived = _unload_once(ctx, step, pending, work_ms)
        seen.append(f"{'default work_ms' if work_ms is None else f'work_ms={work_ms}'}: "
                    f"{busy}")
        if busy.shown(pending):
            step.note(work_ms=work_ms, busy=str(busy), tries=seen)
            step.expect(outlived is None, f"{outlived}: exit must wait for the bottom half")
            return
        ctx.live_board.close_factory()  # the next try's bench opens the lines afresh
    step.note(tries=seen)
    grow = ("" if "work_ms" in ctx.params else
            " (the module has no work_ms parameter to make its bottom half longer)")
    want = "asked for again while it ran" if pending else "running or waiting"
    step.expect(False, f"not shown: the trace never showed the bottom half {want} when the "
                f"unload began{grow}: " + "; ".join(seen))


def _unload_once(ctx: CheckContext, step: Step, pending: bool,
                 work_ms: int | None) -> tuple[Busy, Outlived | None]:
    """Load (with *work_ms* if given), press, unload: what the trace shows.

    Each press comes from a child of its own: on the vm board a tasklet runs inside the
    very write that raised its IRQ, so one process could not press during it.
    """
    from pilab.labs.common.halves import BackgroundPress

    board = ctx.live_board
    wiring = ctx.wiring()
    extra = {} if work_ms is None else {"work_ms": work_ms}
    board.modules.load(ctx.module, **ctx.pin_params(board), **extra)
    irqs = [board.irq_of(line) for line in wiring.buttons[:2 if pending else 1]]
    step.expect(None not in irqs, f"a button has no IRQ after loading: {irqs}")
    known = [irq for irq in irqs if irq is not None]
    with ExitStack() as stack:
        trace = stack.enter_context(UnloadTrace())
        bench = Bench(board, wiring, stack)
        # Every child forked before the first press: button 2's press then comes at once.
        pressers = [BackgroundPress(bench, (button,), in_child=True, gated=True)
                    for button in range(1, len(known) + 1)]
        for presser in pressers:
            stack.callback(presser.stop)
        for button, irq in enumerate(known, start=1):
            counts = board.irq_count(irq)
            pressers[button - 1].go()
            deadline = time.monotonic() + 5.0
            while board.irq_count(irq) <= counts and time.monotonic() < deadline:
                time.sleep(0.002)
            # Button 2's press may wait behind a slow top half: the trace then shows no
            # press during the bottom half ("not shown"), not a failed press.
            step.expect(button > 1 or board.irq_count(irq) > counts,
                        "button 1's press raised no interrupt")
        trace.mark()
        board.modules.unload(ctx.module)
        while not all(p.done() for p in pressers):
            time.sleep(0.005)
    time.sleep(1.0)  # a bottom half left behind would run (and crash) by now
    step.note(traced=trace.available, exit_probed=trace.probed)
    if not trace.available:
        step.expect(False, "not shown: this kernel has no tracefs to see the bottom half with")
    outlived = next(filter(None, (bottom_half_outlived(trace.text, ctx.module, irq)
                                  for irq in known)), None)
    return busy_at_unload(trace.text, known), outlived


def unload_running(ctx: CheckContext, step: Step) -> None:
    """Unload right after a press: its bottom half is scheduled or running."""
    _unload_busy(ctx, step, pending=False)


def unload_pending(ctx: CheckContext, step: Step) -> None:
    """Unload after a second press during the first bottom half: another run waits."""
    _unload_busy(ctx, step, pending=True)


HALVES_ROBUSTNESS = [
    Check("unload while a bottom half runs", unload_running,
          "stop the bottom half before the module goes: tasklet_kill(), cancel_work_sync() "
          "or free_irq() (which waits for the IRQ thread) in exit, after free_irq", 150.0),
    Check("unload while a bottom half is pending", unload_pending,
          "free_irq() first, so nothing schedules the bottom half again, then tasklet_kill() "
          "or cancel_work_sync(): both wait for a scheduled run", 150.0),
]
