"""What the bottomhalf and bh_thread labs share: the top-half/bottom-half machinery.

A press is recorded through the board's trace (the kernel's own tracepoints
on a real kernel, the model's trace on the mock board), and the verdicts
come from what the kernel did, whoever wrote the module: the button IRQ's
hard handler ran, the LED line was written (in which context, by which
task), a bottom half (a tasklet, a work item or the IRQ's thread) ran after
the handler, /proc/interrupts agrees, and the LED line reads right.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from abc import abstractmethod
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass

from pilab.boards.base import Board
from pilab.kernel.evidence import (
    GpioWrite,
    Run,
    after_mark,
    bottom_halves,
    describe,
    gpio_writes,
    handler_runs,
)
from pilab.kernel.trace import TraceEvent
from pilab.labs.common.buttons import load_button_module, unload_frees_irqs
from pilab.labs.common.lab import Bench, Lab
from pilab.labs.common.loglines import LogLine
from pilab.report.timeline import drive_gpios, press_timeline
from pilab.steps import Step, StepFailed, StepRecorder, StepSkipped

# The lab asks our module for a 300 ms bottom half, not its default 500:
# long enough that two more presses land inside it even on an emulated CPU
# (QEMU without KVM takes ~100 ms to start a press), short enough that the
# lab's five bottom halves take two seconds. A person (manual mode) needs
# longer. Another module's bottom half takes what it takes.
LAB_WORK_MS = 300
MANUAL_WORK_MS = 3000
SETTLE_SECONDS = 0.3  # quiet after the last bottom half before a press counts as done
BUSY_ATTEMPTS = 2  # the extra presses may miss the bottom half; try again
# After the first top half, give its bottom half this long to start before the
# extra presses: presses that come while it is only pending coalesce into its
# first run, and would not show the run that a request during a run adds.
BOTTOM_HALF_START = 0.05
PRESS_MARK = "pilab: press"


def led_word(button: int) -> str:
    """What button *button* does to the LED: 1 turns it on, 2 off."""
    return "on" if button == 1 else "off"


@dataclass(frozen=True)
class Wording:
    """How a halves lab names its worker and its two kinds of step."""

    worker: str  # what the lab calls its bottom half: "tasklet", "thread"
    press: str  # the press step's name; {button} and {led} are filled in
    busy: str  # the busy step's name


@dataclass(frozen=True)
class HalfLines:
    """Our module's top-half line (manual mode sees a person's press by it)."""

    top: LogLine
    start: LogLine
    end: LogLine


class BackgroundPress:
    """Presses buttons while this process watches the LED and the trace.

    On a real kernel the presses run in a forked child. The button's
    interrupt may be taken by the very CPU that raised the line, and then
    the bottom half runs inside that write: a tasklet's mdelay() would hold
    a pressing thread in the kernel, with Python's GIL, for all of work_ms,
    and this process could look at nothing meanwhile. The child presses
    through the same pins (it inherits their line handles) and leaves with
    os._exit(): it takes no lock another thread of ours could hold, and runs
    no cleanup that would close the parent's pins. Models and a person's
    hand never hold the GIL: a thread does there.
    """

    def __init__(self, bench: Bench, buttons: Sequence[int], in_child: bool,
                 gated: bool = False) -> None:
        """*gated* (a child only): the child waits for go() before pressing, so a press
        can come at once when wanted, without a fork's delay on a loaded machine."""
        self.buttons = tuple(buttons)
        self._pid: int | None = None
        self._gate: int | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        if in_child:
            gate, self._gate = os.pipe() if gated else (None, None)
            self._pid = os.fork()
            if self._pid == 0:  # the child: press, and leave without cleanup
                code = 0
                try:
                    if gate is not None and self._gate is not None:
                        os.close(self._gate)  # so a parent that never says go ends the wait
                    if gate is not None and not os.read(gate, 1):
                        os._exit(0)  # stopped before go(): no press
                    for button in self.buttons:
                        bench.press(button)
                except BaseException:
                    code = 1
                os._exit(code)
            if gate is not None:
                os.close(gate)
        else:
            self._thread = threading.Thread(target=self._press, args=(bench,), daemon=True)
            self._thread.start()

    def _press(self, bench: Bench) -> None:
        try:
            for button in self.buttons:
                bench.press(button)
        except BaseException as exc:
            self._error = exc

    def done(self) -> bool:
        """Have all the presses been made? Raises if pressing failed."""
        if self._thread is not None:
            if self._thread.is_alive():
                return False
            if self._error is not None:
                raise self._error
            return True
        if self._pid is None:
            return True
        pid, status = os.waitpid(self._pid, os.WNOHANG)
        if pid == 0:
            return False
        self._pid = None
        if os.waitstatus_to_exitcode(status) != 0:
            raise StepFailed(f"pressing button(s) {self.buttons} failed in the child process")
        return True

    def go(self) -> None:
        """Let a gated child press."""
        if self._gate is not None:
            os.write(self._gate, b"1")
            os.close(self._gate)
            self._gate = None

    def stop(self) -> None:
        """Kill a child that is still pressing (the lab failed or was stopped)."""
        if self._gate is not None:
            os.close(self._gate)
            self._gate = None
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None


@dataclass
class Press:
    """What the kernel did around a press (and the presses made during its bottom half)."""

    events: list[TraceEvent]
    handlers: list[list[Run]]  # per button: its IRQ's hard-handler runs
    halves: list[Run]  # bottom-half runs that began after the first handler
    led_writes: list[GpioWrite]
    irq_deltas: list[int]  # per button, from /proc/interrupts
    led_after: int  # the LED line once everything ended
    lost: int = 0  # events the trace overwrote (a CPU's buffer filled up)

    def first_handler(self, button: int) -> Run | None:
        runs = self.handlers[button - 1]
        return runs[0] if runs else None


class HalvesLab(Lab):
    """A lab whose module has a top half and a bottom half."""

    wording: Wording
    lines: HalfLines  # our module's log lines (the tests of our own modules read them)
    busy_extra: tuple[int, ...] = ()  # presses made while the first run works

    def work_ms(self) -> int:
        return MANUAL_WORK_MS if self.manual else LAB_WORK_MS

    def run(self, board: Board, steps: StepRecorder) -> None:
        wiring = self.wiring()
        log = board.open_log()
        with ExitStack() as stack:
            irqs = load_button_module(board, steps, self.module, wiring, self.takes_pins,
                                      work_ms=self.work_ms())
            led = board.gpio(wiring.led or 0)
            bench = self.bench(board, wiring, stack)
            for button, level in ((1, 1), (2, 0)):
                name = self.wording.press.format(button=button, led=led_word(button))
                with steps.step(name) as step:
                    step.expect(bench.led() == 1 - level,
                                f"the LED read {bench.led()} before the press")
                    press = self.watch(board, bench, stack, irqs, led, button)
                    step.note(timeline=press_timeline(press.events, irqs, led, drive_gpios(
                        board, wiring), self.module))
                    self.check_press(step, press, button, irqs, led)
                    self.check_irq_counts(step, press, {button: 1})
            with steps.step(self.wording.busy) as step:
                self.busy_presses(step, board, bench, stack, irqs, led)
        unload_frees_irqs(board, steps, self.module, irqs)
        with steps.step("kernel healthy"):
            log.check_health()

    # ---- what the two labs teach differently

    @abstractmethod
    def check_split(self, step: Step, press: Press, button: int, irqs: list[int],
                    led: int) -> None:
        """Who switched the LED, and what kind of bottom half ran, for one press."""

    def runs(self, press: Press) -> int:
        """How many times the bottom half ran: one traced run each (tasklets, work)."""
        return len(press.halves)

    # ---- the machinery

    def watch(self, board: Board, bench: Bench, stack: ExitStack, irqs: list[int], led: int,
              first: int, extra: tuple[int, ...] = ()) -> Press:
        """Press *first*; once its bottom half runs, press *extra*; return once every
        bottom half has ended, with what the kernel's trace showed."""
        counts = [board.irq_count(irq) for irq in irqs]
        in_child = board.real_kernel and bench.human is None
        limit = 10 * self.work_ms() / 1000 + (self.manual_timeout if self.manual else 10.0)
        deadline = time.monotonic() + limit * (1 + len(extra))
        with board.open_trace() as trace:
            trace.mark(PRESS_MARK)
            pressers = [BackgroundPress(bench, (first,), in_child)]
            stack.callback(pressers[0].stop)
            quiet_since: float | None = None
            try:
                events: list[TraceEvent] = []
                halves: list[Run] = []
                seen: float | None = None  # when the first press's IRQ was counted
                while True:
                    # The extra presses go as soon as the first top half has run (its IRQ
                    # count moved): its bottom half is scheduled then. Not from the trace:
                    # opening tracefs's trace file waits for an RCU grace period, which a
                    # CPU busy in a tasklet holds up until the tasklet ends.
                    if extra and len(pressers) == 1 and board.irq_count(irqs[first - 1]) > \
                            counts[first - 1] and (first not in extra or pressers[0].done()):
                        seen = seen or time.monotonic()
                        if time.monotonic() - seen >= BOTTOM_HALF_START:
                            pressers.append(BackgroundPress(bench, extra, in_child))
                            stack.callback(pressers[-1].stop)
                    pressed = all(p.done() for p in pressers) and len(pressers) == 1 + bool(extra)
                    if pressed:
                        events = after_mark(trace.read(), PRESS_MARK)
                        halves = self._halves(events, irqs, first)
                    if pressed and halves and not any(run.end is None for run in halves):
                        quiet_since = quiet_since or time.monotonic()
                        if time.monotonic() - quiet_since > SETTLE_SECONDS:
                            break
                    else:
                        quiet_since = None
                    if time.monotonic() > deadline:
                        state = (f"{len(halves)} runs seen ({sum(r.end is None for r in halves)}"
                                 f" unfinished), presses done: {[p.done() for p in pressers]}")
                        raise StepFailed(
                            f"pressing button {first}: no {self.wording.worker} ran and ended "
                            f"within {limit:.0f}s after the top half ({state}); the kernel's "
                            "trace:\n" + describe(events, irqs, [led], self.module))
                    time.sleep(0.005 if extra and len(pressers) == 1 else 0.02)
            except BaseException:
                for presser in pressers:
                    presser.stop()
                raise
            events = after_mark(trace.read(), PRESS_MARK)
            lost = trace.dropped()
        deltas = [board.irq_count(irq) - c for irq, c in zip(irqs, counts, strict=True)]
        return Press(events, [handler_runs(events, irq) for irq in irqs],
                     self._halves(events, irqs, first), gpio_writes(events, led), deltas,
                     bench.led(), lost)

    def _halves(self, events: Sequence[TraceEvent], irqs: list[int], first: int) -> list[Run]:
        """The module's bottom-half runs that began after button *first*'s handler."""
        tops = [run for irq in irqs for run in handler_runs(events, irq)]
        if not tops:
            return []
        begin = min(run.start for run in tops)
        return [run for run in bottom_halves(events, irqs, self.module) if run.start >= begin]

    def check_press(self, step: Step, press: Press, button: int, irqs: list[int],
                    led: int) -> None:
        """One press: its top half ran, then the worker; the LED reads right."""
        worker, level = self.wording.worker, int(button == 1)
        trace = describe(press.events, irqs, [led], self.module)
        step.note(trace=trace.splitlines())
        top = press.first_handler(button)
        step.expect(top is not None, f"button {button}'s IRQ {irqs[button - 1]}: no hard "
                    f"handler ran; the kernel's trace:\n{trace}")
        step.expect(bool(press.halves), f"no {worker} ran after the top half; the kernel's "
                    f"trace:\n{trace}")
        step.expect(any(w.value == level for w in press.led_writes),
                    f"the LED (GPIO {led}) was never set to {level}; the kernel's trace:\n{trace}")
        self.check_split(step, press, button, irqs, led)
        step.note(bottom_half_ms=[round((r.duration or 0) * 1000, 1) for r in press.halves])
        longest = max((r.duration for r in press.halves if r.duration is not None), default=None)
        assert top is not None
        step.expect(top.duration is None or longest is None or top.duration <= longest,
                    f"the top half ran {(top.duration or 0) * 1e3:.1f} ms, longer than any "
                    f"{worker} run ({(longest or 0) * 1e3:.1f} ms): the slow work belongs in "
                    f"the {worker}, not in the hard IRQ handler")
        step.expect(press.led_after == level, f"the LED line reads {press.led_after} after the "
                    f"press, not {level}")

    def check_irq_counts(self, step: Step, press: Press, presses: dict[int, int]) -> None:
        """/proc/interrupts grew by as many as the trace's top halves: one or more a press."""
        step.note(irq_deltas=press.irq_deltas)
        if press.lost:
            step.note(trace_lost=press.lost)
        lost = (f" (the trace lost {press.lost} events: a CPU's trace buffer overflowed)"
                if press.lost else "")
        for button, delta in enumerate(press.irq_deltas, 1):
            tops = len(press.handlers[button - 1])
            step.expect(delta == tops, f"button {button}'s IRQ count grew by {delta}, but the "
                        f"trace shows {tops} top halves{lost}")
            if not self.manual:
                made = presses.get(button, 0)
                step.expect(delta >= made, f"button {button}'s IRQ count grew by {delta} for "
                            f"{made} presses")

    def first_run_end(self, press: Press) -> float | None:
        """When the bottom half the first press asked for ended (None: it did not)."""
        return press.halves[0].end if press.halves else None

    def extra_presses_landed(self, press: Press) -> bool:
        """Did every busy_extra press reach the kernel while the first bottom half ran?
        (Only then does the run count say anything about the module.)"""
        first, end = (press.halves[0] if press.halves else None), self.first_run_end(press)
        later = sorted(run.start for runs in press.handlers for run in runs)[1:]
        return first is not None and end is not None and bool(later) and all(
            first.start <= t <= end for t in later[-len(self.busy_extra):])

    def busy_presses(self, step: Step, board: Board, bench: Bench, stack: ExitStack,
                     irqs: list[int], led: int) -> None:
        """Press 1, then busy_extra while its bottom half works: every press runs its top
        half at once, and the bottom half runs fewer times than it was asked: requests
        made while it runs (or waits) coalesce into one more run."""
        worker = self.wording.worker
        presses = {b: (b == 1) + self.busy_extra.count(b) for b in (1, 2)}
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            press = self.watch(board, bench, stack, irqs, led, 1, self.busy_extra)
            first = press.halves[0] if press.halves else None
            landed = self.extra_presses_landed(press)
            step.note(attempts=attempt, timeline=press_timeline(
                press.events, irqs, led, drive_gpios(board, self.wiring()), self.module))
            if landed or self.manual:
                break
        took = f"{(first.duration or 0) * 1000:.0f} ms" if first else "no time"
        if not landed:
            # Seen on the vm board under load: the second presser's presses did not reach
            # the kernel while the first bottom half ran. Not a verdict on the module.
            raise StepSkipped(f"in {attempt} attempt(s) the extra presses never all landed "
                              f"while the first {worker} ran (it took {took}); a bottom half "
                              "that does the slow work (mdelay, msleep) shows the lesson")
        self.check_irq_counts(step, press, presses)
        tops, runs = sum(len(r) for r in press.handlers), self.runs(press)
        step.note(top_halves=tops, runs=runs)
        step.expect(runs < tops, f"the {worker} ran {runs} times for {tops} top halves: asked "
                    f"again while it runs, a {worker} runs once more, not once per request")
        step.expect(runs >= 2, f"the {worker} ran {runs} time(s): asked again while it ran, "
                    "it must run once more")
        last = [1, *self.busy_extra][-1]
        step.expect(press.led_after == int(last == 1),
                    f"the LED is not {led_word(last)} after button {last}")
