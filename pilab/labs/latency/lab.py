"""Lab latency: how long from a button's edge to the LED, through five paths.

The same press, answered by the hard IRQ handler, a tasklet, the IRQ's
thread (our latency module, loaded once per path), a gpiozero callback and a
program reading the GPIO character device. Both edges come from the kernel's
trace on one clock: the drive pin's write (the press) and the LED line's
write (the answer), whoever made them. For the three kernel paths the same
trace says where each answer was written (pilab.labs.latency.where): a
path is proven by that, not by its speed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

from pilab.boards.base import Board
from pilab.errors import ConfigError
from pilab.kernel.evidence import GpioWrite, after_mark, describe, gpio_writes
from pilab.kernel.trace import TraceEvent
from pilab.labs.common.lab import Bench, Lab
from pilab.labs.latency.responders import CdevResponder, GpiozeroResponder
from pilab.labs.latency.stats import Summary, summarize
from pilab.labs.latency.where import check_where, places
from pilab.steps import PASSED, Step, StepFailed, StepRecorder, StepSkipped

KERNEL_PATHS = {
    "hardirq": "the hard IRQ handler",
    "tasklet": "a tasklet the handler schedules",
    "thread": "the IRQ's thread",
}
USER_PATHS = {
    "gpiozero": "a gpiozero when_pressed callback",
    "cdev": "a program reading the GPIO character device's edge events",
}
PATHS = {**KERNEL_PATHS, **USER_PATHS}
PRESSES = 30  # per path; 5 in manual mode
HOLD_SECONDS = 0.01  # how long a press holds the button
ANSWER_SECONDS = 2.0  # how long the LED may take to toggle
# pilab's own programs (gpiozero, the chardev reader) are no part of a submission: on a
# loaded host their thread can wait seconds for a CPU, so they get longer, and a press
# they still miss leaves their path unmeasured ("not shown"), never a failed module.
PROGRAM_ANSWER_SECONDS = 10.0
GAP_SECONDS = 0.01  # between the LED's toggle and the next press
MARK = "pilab: latency"
ORDER = "the hard IRQ handler is the fastest path, userspace the slowest"


def step_name(path: str) -> str:
    """The step (and ``pilab check``'s check) that measures *path*."""
    return f"{path}: {PATHS[path]} toggles the LED at every press"


def press_answers(events: list[TraceEvent], drive: int,
                  led: int) -> list[tuple[float, GpioWrite | None]]:
    """Per press (a rising write of *drive*): its time, and the first write of *led*
    after it and before the next press (None: the LED was not written)."""
    presses = [w.time for w in gpio_writes(events, drive) if w.value == 1]
    answers = gpio_writes(events, led)
    out: list[tuple[float, GpioWrite | None]] = []
    for index, start in enumerate(presses):
        end = presses[index + 1] if index + 1 < len(presses) else float("inf")
        out.append((start, next((w for w in answers if start <= w.time < end), None)))
    return out


def press_latencies(events: list[TraceEvent], drive: int, led: int) -> list[float | None]:
    """Per press (a rising write of *drive*), seconds until the next write of *led*,
    or None when the LED was not written before the next press."""
    return [None if w is None else w.time - t for t, w in press_answers(events, drive, led)]


class LatencyLab(Lab):
    """Five paths from a button to an LED, timed by the kernel's trace."""

    name = "latency"
    title = "how long from a button's edge to the LED, through five paths"
    needs_kernel = True

    @property
    def presses(self) -> int:
        return 5 if self.manual else PRESSES

    def run(self, board: Board, steps: StepRecorder) -> None:
        log = board.open_log()
        found = self.measure_paths(board, steps, PATHS)
        with steps.step(ORDER) as step:
            check_order(step, found, board.name, failed_paths(steps.result.steps))
        with steps.step("kernel healthy"):
            log.check_health()

    def measure_paths(self, board: Board, steps: StepRecorder,
                      paths: Iterable[str]) -> dict[str, Summary]:
        """A step per path of *paths*: its presses timed (and for a kernel path, each
        answer's place checked); the summaries of the paths whose step passed."""
        wiring = self.wiring()
        led, button = wiring.led or 0, wiring.buttons[0]
        found: dict[str, Summary] = {}
        with ExitStack() as stack:
            bench = self.bench(board, wiring, stack)
            for path in paths:
                summary: Summary | None = None
                with steps.step(step_name(path)) as step, \
                        self._answering(board, path, button, led):
                    summary = self._measure(board, bench, step, path)
                if summary is not None and steps.result.steps[-1].status == PASSED:
                    found[path] = summary
        return found

    @contextmanager
    def _answering(self, board: Board, path: str, button: int, led: int) -> Iterator[None]:
        """While inside, *path* toggles the LED at each press of *button*."""
        if path in KERNEL_PATHS:
            board.modules.load(self.module, led=board.gpio(led), button=board.gpio(button),
                               path=path)
            try:
                yield
            finally:
                board.modules.unload(self.module)
            return
        responder: AbstractContextManager[object]
        if path == "gpiozero":
            responder = GpiozeroResponder(board, button, led)
        else:
            responder = CdevResponder(chardev_of(board), button, led)
        with responder:
            yield
        if isinstance(responder, CdevResponder) and responder.error is not None:
            raise StepFailed(f"reading the button's edge events failed: {responder.error}")

    def _measure(self, board: Board, bench: Bench, step: Step, path: str) -> Summary:
        """Press *presses* times, each once the LED answered the one before."""
        wiring = self.wiring()
        drive, led = board.gpio(wiring.drive_pin(wiring.buttons[0])), board.gpio(wiring.led or 0)
        level = bench.led()
        with board.open_trace() as trace:
            trace.mark(MARK)
            for press in range(1, self.presses + 1):
                bench.press(1, HOLD_SECONDS)
                level ^= 1
                wait = ANSWER_SECONDS if path in KERNEL_PATHS else PROGRAM_ANSWER_SECONDS
                if not bench.led_becomes(level, wait):
                    if path not in KERNEL_PATHS:
                        raise StepSkipped(f"not shown: press {press} of {self.presses} got no "
                                          f"answer from pilab's own {path} program within "
                                          f"{wait:.0f}s (a loaded machine)")
                    events = after_mark(trace.read(), MARK)
                    raise StepFailed(
                        f"press {press} of {self.presses}: the LED did not toggle within "
                        f"{wait:.0f}s; the kernel's trace:\n"
                        + describe(events[-40:], [], [drive, led], None))
                time.sleep(GAP_SECONDS)
            events = after_mark(trace.read(), MARK)
        answers = press_answers(events, drive, led)
        step.expect(len(answers) == self.presses, f"the trace shows {len(answers)} presses "
                    f"(rising writes of GPIO {drive}) for {self.presses} made")
        unanswered = [i for i, (_, w) in enumerate(answers, 1) if w is None]
        step.expect(not unanswered, f"presses {unanswered} got no LED write before the next "
                    "press in the trace")
        writes = [w for _, w in answers if w is not None]
        latencies = [w.time - t for t, w in answers if w is not None]
        summary = summarize(latencies)
        step.note(path=path, latency_us=[round(t * 1e6, 1) for t in latencies],
                  summary=summary.to_dict())
        step.reason = str(summary)
        if path in KERNEL_PATHS:
            irq = board.irq_of(wiring.buttons[0])
            step.expect(irq is not None, f"the button (GPIO{wiring.buttons[0]}) has no IRQ")
            assert irq is not None
            check_where(step, path, places(events, writes, irq, self.module), PATHS[path])
        return summary


def chardev_of(board: Board) -> Path:
    """The /dev/gpiochipN of the board's header chip: the one its lgpio pins use (an
    emulated Pi's sysfs tree does not say), else the one sysfs names."""
    from gpiozero.pins.lgpio import LGPIOFactory  # lgpio: imported where it is used

    factory = board.pin_factory
    if isinstance(factory, LGPIOFactory):
        return Path(f"/dev/gpiochip{factory.chip}")
    chip = getattr(board, "chip", None)
    if chip is None or chip.chardev is None:
        raise ConfigError(f"the {board.name} board's GPIO chip has no character device here")
    return Path(f"/dev/gpiochip{chip.chardev}")


def failed_paths(steps: Iterable[Step]) -> list[str]:
    """The paths whose measuring step did not pass (a kernel path answered elsewhere too)."""
    names = {step_name(path): path for path in PATHS}
    return [names[s.name] for s in steps if s.name in names and s.status != PASSED]


def check_order(step: Step, found: Mapping[str, Summary], board: str,
                failed: Iterable[str] = ()) -> None:
    """The medians: the handler first; both bottom halves before either program.

    Only paths that passed their step are compared (*found*): a path whose LED
    was written somewhere else (path=tasklet answered by the hard handler) says
    nothing about its path's speed. The *failed* ones are named as left out.
    """
    failed = [path for path in PATHS if path in set(failed) and path not in found]
    missing = [path for path in PATHS if path not in found and path not in failed]
    if missing:
        raise StepSkipped(f"not every path was measured (missing: {', '.join(missing)})")
    p50 = {path: summary.p50 for path, summary in found.items()}
    step.note(p50_us={path: round(v * 1e6, 1) for path, v in p50.items()},
              emulated=board == "vm", not_compared=failed)
    left_out = (f"; not compared: {', '.join(failed)} (their steps did not pass)"
                if failed else "")
    kernels = [k for k in ("tasklet", "thread") if k in p50]
    users = [u for u in USER_PATHS if u in p50]
    if "hardirq" not in p50 and not (kernels and users):
        raise StepSkipped(f"no two paths that can be ordered passed their steps{left_out}")
    if "hardirq" in p50:
        fastest = min(p50, key=lambda path: p50[path])
        step.expect(fastest == "hardirq", f"the median of {fastest} ({p50[fastest] * 1e6:.0f} "
                    f"µs) beat the hard IRQ handler's ({p50['hardirq'] * 1e6:.0f} µs): every "
                    "other path starts where the handler runs")
    for kernel in kernels:
        for user in users:
            step.expect(p50[kernel] < p50[user],
                        f"the median of {user} ({p50[user] * 1e6:.0f} µs) beat {kernel}'s "
                        f"({p50[kernel] * 1e6:.0f} µs): a program learns of the edge only "
                        "after the kernel's own IRQ handling and a thread's wake-up")
    order = sorted(p50, key=lambda path: p50[path])
    step.reason = " < ".join(f"{path} {p50[path] * 1e6:.0f} µs" for path in order) + left_out
