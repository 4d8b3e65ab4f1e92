"""What the bottomhalf and bh_thread labs share.

Both modules split a button's interrupt into a top half (hard IRQ) and a
bottom half that works for work_ms. The labs press a button and, while the
bottom half still works, look at the LED and at the kernel log; afterwards
they read the split from the log's order and timestamps and from
/proc/interrupts.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from abc import abstractmethod
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from importlib import import_module

from pilab.boards.base import Board
from pilab.kernel.klog import LogCursor, Record
from pilab.labs.common.buttons import load_button_module
from pilab.labs.common.lab import Bench, Lab
from pilab.labs.common.loglines import LogLine, unloaded_line
from pilab.steps import Step, StepFailed, StepRecorder

# The lab's bottom half works 300 ms, not the module's default 500: long
# enough that two more presses land inside it even on an emulated CPU (QEMU
# without KVM takes ~100 ms to start a press), short enough that the lab's
# five bottom halves take two seconds. A person (manual mode) needs longer.
LAB_WORK_MS = 300
MANUAL_WORK_MS = 3000
# printk stamps each CPU's own clock. Without a stable TSC (QEMU under TCG)
# two vCPUs drift apart, and a thread that starts on one and ends on the
# other was measured 46 ms short of 300 on a loaded host. "At least work_ms"
# therefore allows a fifth of work_ms (never less than 5 ms): a module that
# skips its work, or does a tenth of it, still fails.
CLOCK_SLACK_US = 5000
CLOCK_SLACK_SHARE = 0.2
BUSY_ATTEMPTS = 3  # the extra presses may miss the bottom half; try again


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
    """A module's top-half line (with a "button" field) and its bottom half's start and end."""

    top: LogLine
    start: LogLine
    end: LogLine


@dataclass
class Run:
    """One run of the bottom half: its start line, its end line once logged."""

    start: Record
    end: Record | None = None

    @property
    def micros(self) -> int | None:
        """Microseconds from start to end by the log's timestamps."""
        return None if self.end is None else self.end.usec - self.start.usec


@dataclass
class Journal:
    """A module's top halves and bottom-half runs, in the log's order."""

    records: list[Record]
    tops: list[tuple[int, Record]] = field(default_factory=list)  # (button, record)
    runs: list[Run] = field(default_factory=list)

    def position(self, record: Record) -> int:
        return next(i for i, r in enumerate(self.records) if r is record)

    def tops_of(self, button: int) -> list[Record]:
        return [r for b, r in self.tops if b == button]

    def during(self, run: Run, records: Sequence[Record]) -> bool:
        """Were all *records* logged after *run* started and before it ended?"""
        if run.end is None:
            return False
        start, end = self.position(run.start), self.position(run.end)
        return all(start < self.position(r) < end for r in records)

    @property
    def busy(self) -> bool:
        """Has a run started that has not ended yet?"""
        return any(run.end is None for run in self.runs)


def read_journal(records: list[Record], lines: HalfLines) -> Journal:
    """Sort a module's records into top halves and runs (one run at a time)."""
    journal = Journal(records)
    for record in records:
        if m := lines.top.match(record.text):
            journal.tops.append((int(m.group("button")), record))
        elif lines.start.match(record.text):
            journal.runs.append(Run(record))
        elif lines.end.match(record.text):
            open_runs = [run for run in journal.runs if run.end is None]
            if open_runs:
                open_runs[0].end = record
    return journal


class BackgroundPress:
    """Presses buttons while this process watches the LED and the log.

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

    def __init__(self, bench: Bench, buttons: Sequence[int], in_child: bool) -> None:
        self.buttons = tuple(buttons)
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        if in_child:
            self._pid = os.fork()
            if self._pid == 0:  # the child: press, and leave without cleanup
                code = 0
                try:
                    for button in self.buttons:
                        bench.press(button)
                except BaseException:
                    code = 1
                os._exit(code)
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

    def stop(self) -> None:
        """Kill a child that is still pressing (the lab failed or was stopped)."""
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None


@dataclass(frozen=True)
class Sample:
    """One read of the LED while the first bottom half worked.

    Its start line was logged before the read and its end line was not yet
    logged after it, so the read happened while that run worked.
    """

    led: int
    tops: int  # top-half lines logged before the read


@dataclass
class Watch:
    """What the lab saw around one press and the presses made during its run."""

    journal: Journal
    irq_deltas: list[int]  # per button, from /proc/interrupts
    samples: list[Sample]  # LED reads while the first run worked
    led_after: int  # the LED once every bottom half had ended

    def led_in_work(self, level: int, tops: int = 1) -> bool:
        """Did the LED read *level* while the first run worked, after *tops* top halves?"""
        return any(s.led == level and s.tops >= tops for s in self.samples)


class HalvesLab(Lab):
    """A lab whose module has a top half and a bottom half."""

    wording: Wording
    busy_extra: tuple[int, ...] = ()  # presses made while the first run works

    @property
    def lines(self) -> HalfLines:
        """The module's top-half, start and end lines, from the lab's loglines.py."""
        loglines = import_module(f"pilab.labs.{self.name}.loglines")
        return HalfLines(loglines.TOP, loglines.START, loglines.END)

    def work_ms(self) -> int:
        return MANUAL_WORK_MS if self.manual else LAB_WORK_MS

    def run(self, board: Board, steps: StepRecorder) -> None:
        wiring = self.wiring()
        log = board.open_log()
        prefix = f"{self.module}: "
        with ExitStack() as stack:
            irqs = load_button_module(board, steps, self.module, wiring, self.takes_pins,
                                      work_ms=self.work_ms())
            bench = self.bench(board, wiring, stack, log,
                               lambda button: self.lines.top.pattern(button=button))
            for button, level in ((1, 1), (2, 0)):
                name = self.wording.press.format(button=button, led=led_word(button))
                with steps.step(name) as step:
                    step.expect(bench.led() == 1 - level,
                                f"the LED read {bench.led()} before the press")
                    watch = self.watch(board, bench, log, stack, irqs, button)
                    self.check_press(step, watch, button, irqs)
                    self.check_run_times(step, watch)
                    self.check_irq_counts(step, watch, {button: 1})
            with steps.step(self.wording.busy) as step:
                self.busy_presses(step, board, bench, log, stack, irqs)
        with steps.step("unload; every bottom half ended first; kernel healthy") as step:
            board.modules.unload(self.module)
            unloaded = log.wait_for(unloaded_line(self.module).pattern())
            step.expect(bool(unloaded), "no unload line")
            records = log.lines(prefix)
            cut = next(i for i, r in enumerate(records) if r is unloaded[0])
            step.expect(not read_journal(records[:cut], self.lines).busy,
                        "a bottom half was still working when the module said unloaded")
            step.expect(cut == len(records) - 1, "the module logged after its unload line: "
                        + " | ".join(r.text for r in records[cut + 1:]))
            log.check_health()

    # ---- what the two labs say and check differently

    @abstractmethod
    def check_split(self, step: Step, journal: Journal, button: int, irqs: list[int]) -> None:
        """What the lab teaches about one press of *button* (one top half, one run)."""

    @abstractmethod
    def check_busy_split(self, step: Step, watch: Watch, irqs: list[int]) -> None:
        """What the lab teaches about the presses made while the bottom half works."""

    # ---- the checks both labs make

    def check_press(self, step: Step, watch: Watch, button: int, irqs: list[int]) -> None:
        """One press: one top half, then one run of the worker, with the LED switched."""
        journal, worker = watch.journal, self.wording.worker
        step.note(log=[r.text for r in journal.records])
        step.expect([b for b, _ in journal.tops] == [button],
                    f"expected one top-half line for button {button}: {self.tail(journal)}")
        step.expect(len(journal.runs) == 1, f"{len(journal.runs)} {worker} runs for one "
                    f"press: {self.tail(journal)}")
        top, run = journal.tops[0][1], journal.runs[0]
        step.expect(journal.position(top) < journal.position(run.start),
                    f"the {worker}'s start line came before the top half's line")
        self.check_split(step, journal, button, irqs)
        level = int(button == 1)
        step.note(led_reads_during_work=len(watch.samples))
        step.expect(watch.led_in_work(level), f"the LED never read {level} while the "
                    f"{worker} worked ({len(watch.samples)} reads between its start and "
                    "end lines)")

    def check_busy(self, step: Step, watch: Watch, irqs: list[int]) -> None:
        """Presses during a run: each top half runs at once, the worker runs once more."""
        journal, worker = watch.journal, self.wording.worker
        step.note(log=[r.text for r in journal.records])
        expected = [1, *self.busy_extra]
        tops = [b for b, _ in journal.tops]
        step.expect(tops == expected, f"top halves for buttons {tops}, expected {expected}: "
                    f"every press runs its top half at once, busy {worker} or not")
        step.expect(len(journal.runs) == 2, f"the {worker} ran {len(journal.runs)} times "
                    f"for {len(expected)} presses, expected 2: asked again while it ran, it "
                    "runs once more")
        self.check_busy_split(step, watch, irqs)
        last = expected[-1]
        step.expect(watch.led_after == int(last == 1),
                    f"the LED is not {led_word(last)} after button {last}")

    # ---- shared

    def watch(self, board: Board, bench: Bench, log: LogCursor, stack: ExitStack,
              irqs: list[int], first: int, extra: tuple[int, ...] = ()) -> Watch:
        """Press *first*; while its bottom half works, read the LED and press
        *extra*; return once every bottom half has ended."""
        prefix = f"{self.module}: "
        mark = len(log.lines(prefix))
        counts = [board.irq_count(irq) for irq in irqs]
        in_child = board.real_kernel and bench.human is None
        pressers = [BackgroundPress(bench, (first,), in_child)]
        stack.callback(pressers[0].stop)
        limit = 10 * self.work_ms() / 1000 + (self.manual_timeout if self.manual else 5.0)
        deadline = time.monotonic() + limit * (1 + len(extra))
        samples: list[Sample] = []
        quiet_since: float | None = None

        def journal() -> Journal:
            return read_journal(log.lines(prefix)[mark:], self.lines)

        try:
            while True:
                now = journal()
                if now.runs and now.runs[0].end is None:
                    led = bench.led()
                    if journal().runs[0].end is None:  # the end was not logged before the read
                        samples.append(Sample(led, len(now.tops)))
                    if extra and len(pressers) == 1 and (first not in extra or pressers[0].done()):
                        pressers.append(BackgroundPress(bench, extra, in_child))
                        stack.callback(pressers[-1].stop)
                pressed = all(p.done() for p in pressers) and len(pressers) == 1 + bool(extra)
                if pressed and now.runs and not now.busy:
                    # a run scheduled during the last one starts right after it: wait a bit
                    quiet_since = quiet_since or time.monotonic()
                    if time.monotonic() - quiet_since > max(0.5, self.work_ms() / 1000):
                        break
                else:
                    quiet_since = None
                if time.monotonic() > deadline:
                    raise StepFailed(f"pressing button {first}: the bottom half did not run and "
                                     f"end within {limit:.0f}s (log: {self.tail(now)})")
                time.sleep(0.003)
        except BaseException:
            for presser in pressers:
                presser.stop()
            raise
        final = journal()
        deltas = [board.irq_count(irq) - count for irq, count in zip(irqs, counts, strict=True)]
        return Watch(final, deltas, samples, bench.led())

    @staticmethod
    def tail(journal: Journal) -> str:
        return " | ".join(r.text for r in journal.records[-4:]) or "nothing"

    def check_run_times(self, step: Step, watch: Watch) -> None:
        """Every run's start and end lines, in order, at least work_ms apart."""
        work_us = self.work_ms() * 1000
        floor = work_us - max(CLOCK_SLACK_US, int(work_us * CLOCK_SLACK_SHARE))
        times = [run.micros for run in watch.journal.runs]
        step.note(bottom_half_us=times)
        for micros in times:
            step.expect(micros is not None, "a bottom half started but did not end")
            assert micros is not None
            step.expect(micros >= floor, f"the bottom half took {micros / 1000:.1f} ms by the "
                        f"log's timestamps, less than work_ms={self.work_ms()}")

    def check_irq_counts(self, step: Step, watch: Watch, presses: dict[int, int]) -> None:
        """/proc/interrupts grew by one per rising edge: one per press, one per top half."""
        step.note(irq_deltas=watch.irq_deltas)
        for button, delta in enumerate(watch.irq_deltas, 1):
            tops = len(watch.journal.tops_of(button))
            step.expect(delta == tops, f"button {button}'s IRQ count grew by {delta}, but "
                        f"{tops} top halves ran")
            if not self.manual:
                made = presses.get(button, 0)
                step.expect(delta == made, f"button {button}'s IRQ count grew by {delta} "
                            f"for {made} presses (one rising edge each)")

    def busy_presses(self, step: Step, board: Board, bench: Bench, log: LogCursor,
                     stack: ExitStack, irqs: list[int]) -> None:
        """Press 1, then busy_extra while its bottom half works; check the kernel's answer."""
        presses = {b: (b == 1) + self.busy_extra.count(b) for b in (1, 2)}
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            watch = self.watch(board, bench, log, stack, irqs, 1, self.busy_extra)
            extra_tops = [r for _, r in watch.journal.tops[1:]]
            landed = (len(extra_tops) == len(self.busy_extra) and bool(watch.journal.runs)
                      and watch.journal.during(watch.journal.runs[0], extra_tops))
            step.note(attempts=attempt)
            if landed or self.manual:
                break
        step.expect(landed, f"in {attempt} attempt(s) the extra presses never all landed "
                    f"while the first bottom half worked (log: {self.tail(watch.journal)})")
        self.check_irq_counts(step, watch, presses)
        self.check_run_times(step, watch)
        self.check_busy(step, watch, irqs)
