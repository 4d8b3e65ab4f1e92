"""Lab gpio_keys (guide 15 + 16): a GPIO button that types, debounced, through evdev.

Every verdict rests on what evdev delivered (the events, their order and
times) and on the kernel's counts and trace of the button's IRQ: never on
the module's log. Each step is a function of a loaded module's bench, so
``pilab check`` runs each on its own (pilab.labs.gpio_keys.checks).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack

from evdev import ecodes

from pilab.boards.base import Board
from pilab.kernel.evidence import after_mark
from pilab.kernel.holders import line_consumers
from pilab.kernel.inputs import InputEvent, key_events, keys
from pilab.kernel.trace import TraceEvent
from pilab.labs.common.lab import Lab
from pilab.labs.gpio_keys.bench import BOUNCE_SECONDS, BOUNCES, KEY_SECONDS, KeyBench
from pilab.labs.latency.stats import summarize
from pilab.report.timeline import Timeline, press_timeline
from pilab.steps import Step, StepRecorder, wait_for

CODE = ecodes.KEY_ENTER  # the module's default key
REPEAT_HOLD = 0.6  # past the input core's 250 ms repeat delay: a repeat would show
QUICK = 0.015  # two presses 30 ms apart: 15 ms down, 15 ms up, down again
LATENCY_PRESSES = 20
PENDING_DEBOUNCE_MS = 500  # the unload step's debounce: still pending at rmmod
MARK = "pilab: gpio_keys"
NO_LED = -1  # no GPIO has that number: the timeline has no LED track
Triple = tuple[int, int, int]


def triples(events: list[InputEvent]) -> list[Triple]:
    return [e.triple for e in events]


def device_step(bench: KeyBench, step: Step) -> None:
    """The device reports EV_KEY with the one key (and no auto-repeat, no other type)."""
    caps = bench.reader.capabilities()
    names = {ecodes.EV.get(k, k): v for k, v in caps.items()}
    step.note(device=bench.reader.name, node=bench.reader.node, capabilities=names,
              irq=bench.irq)
    step.expect(caps == {ecodes.EV_KEY: [CODE]}, f"the device offers {names}, expected "
                f"EV_KEY with KEY_ENTER ({CODE}) and nothing else: input_set_capability("
                "input, EV_KEY, code) only, and no EV_REP")


def press_step(bench: KeyBench, step: Step) -> None:
    """A clean press: exactly the key going down, then SYN_REPORT."""
    bench.press()
    got = triples(bench.events(count=2))
    bench.release()
    bench.events(count=2)  # the release is the release step's business
    step.note(events=got)
    step.expect(got == key_events(CODE, 1), f"a press gave {got}, expected exactly "
                f"{key_events(CODE, 1)}: input_report_key(input, code, 1); input_sync(input)")


def release_step(bench: KeyBench, step: Step) -> None:
    """A clean release after a press: exactly the key going up, then SYN_REPORT."""
    bench.press()
    bench.events(count=2)
    bench.release()
    got = triples(bench.events(count=2))
    step.note(events=got)
    step.expect(got == key_events(CODE, 0), f"a release gave {got}, expected exactly "
                f"{key_events(CODE, 0)}: report the key up (value 0) when the line falls")


def bounce_step(bench: KeyBench, step: Step) -> None:
    """A press bouncing BOUNCES times in BOUNCE_SECONDS: one key down; its bouncing
    release: no new key down, at most one key up (the release step says if one comes)."""
    edges = bench.irq_count()
    with bench.board.open_trace() as trace:
        trace.mark(MARK)
        bench.bounce(1)
        pressed = bench.events(count=2)
        traced = after_mark(trace.read(), MARK)
    edges_in = bench.irq_count() - edges
    bench.bounce(0)
    released = bench.events(count=2)
    step.note(press_events=triples(pressed), release_events=triples(released),
              irqs_during_press=edges_in, bounces=BOUNCES, within_ms=BOUNCE_SECONDS * 1000,
              timeline=key_timeline(bench, traced, pressed))
    step.expect(edges_in > 2, f"the button's IRQ fired {edges_in} times for a press bouncing "
                f"{BOUNCES} times: the bench did not bounce (or the IRQ is not on both edges)")
    step.expect(triples(pressed) == key_events(CODE, 1),
                f"a press bouncing {BOUNCES} times in {BOUNCE_SECONDS * 1000:.0f} ms gave "
                f"{len(keys(pressed, 1))} key downs and {len(keys(pressed, 0))} key ups "
                f"({triples(pressed)}), expected one key down: debounce (restart a timer or "
                "delayed work at every edge, read the level when it fires)")
    step.expect(not keys(released, 1) and len(keys(released, 0)) <= 1,
                f"a release bouncing {BOUNCES} times gave {len(keys(released, 1))} key downs "
                f"and {len(keys(released, 0))} key ups, expected at most one key up")


def key_timeline(bench: KeyBench, traced: list[TraceEvent],
                 got: list[InputEvent]) -> Timeline:
    """The press as the report draws it: each IRQ entry an edge, the module's work runs,
    and the key as evdev reported it, on the trace's clock."""
    irqs = [bench.irq] if bench.irq is not None else []
    timeline = press_timeline(traced, irqs, NO_LED, (), bench.module)
    t0 = timeline["t0"]
    changes = [[round((e.time - t0) * 1e6, 1), e.value] for e in got
               if e.type == ecodes.EV_KEY]
    if changes:
        timeline["tracks"].append({"id": "key", "kind": "line", "source": "evdev",
                                   "label": "key (evdev)", "changes": [[0.0, 0], *changes]})
    return timeline


def held_step(bench: KeyBench, step: Step) -> None:
    """A key held past the repeat delay: one key down and nothing more (no EV_REP)."""
    bench.press()
    held = triples(bench.reader.events(REPEAT_HOLD))
    bench.release()
    bench.events(count=2)
    repeats = [t for t in held if t[0] == ecodes.EV_KEY and t[2] == 2]
    step.note(events_while_held=held[:10], repeats=len(repeats))
    step.expect(held == key_events(CODE, 1), f"holding the button {REPEAT_HOLD * 1000:.0f} ms "
                f"gave {held[:6]}{' ...' if len(held) > 6 else ''} ({len(repeats)} repeats), "
                "expected one key down: a button is not a typist, do not set EV_REP")


def quick_step(bench: KeyBench, step: Step) -> None:
    """Two presses 30 ms apart (15 ms down, 15 up): two keys."""
    for act in (bench.press, bench.release, bench.press, bench.release):
        act()
        time.sleep(QUICK)
    got = bench.events(count=8)
    step.note(events=triples(got))
    downs = keys(got, 1)
    step.expect(len(downs) == 2, f"two presses 30 ms apart gave {len(downs)} key downs "
                f"({triples(got)}), expected two: a debounce longer than 15 ms, or a key "
                "never released, swallows the second")


def latency_step(bench: KeyBench, step: Step) -> None:
    """Edge to key, LATENCY_PRESSES times: the trace's first IRQ of each press to its
    EV_KEY's evdev time, both CLOCK_MONOTONIC (time.monotonic() too: it bounds a press)."""
    with bench.board.open_trace() as trace:
        trace.mark(MARK)
        presses: list[tuple[float, InputEvent]] = []  # (when pressed, its key down)
        for press in range(1, LATENCY_PRESSES + 1):
            start = time.monotonic()
            bench.press()
            got = keys(bench.reader.events(KEY_SECONDS, 2), 1)
            bench.release()
            bench.reader.events(KEY_SECONDS, 2)
            step.expect(bool(got), f"press {press} of {LATENCY_PRESSES} gave no key down")
            presses.append((start, got[0]))
        events = after_mark(trace.read(), MARK)
    clock = getattr(trace, "clock", "mono")  # a model's trace is on time.monotonic()
    step.expect(clock == "mono", f"the trace clock is {clock}, not mono: evdev's "
                "CLOCK_MONOTONIC times cannot be compared with it")
    entries = [e.time for e in events if e.name == "irq_handler_entry"
               and e.number("irq") == bench.irq]
    latencies: list[float] = []
    for press, (start, down) in enumerate(presses, 1):
        edge = next((t for t in entries if start <= t <= down.time), None)
        step.expect(edge is not None, f"no IRQ {bench.irq} in the trace between press "
                    f"{press} and its key down")
        assert edge is not None
        latencies.append(down.time - edge)
    summary = summarize(latencies)
    step.note(latency_us=[round(t * 1e6) for t in latencies], summary=summary.to_dict())
    step.reason = f"edge to key: {summary}"


def unload_step(board: Board, bench: KeyBench, step: Step, module: str) -> None:
    """Load with a long debounce, press, unload at once: no device, handler or line
    left, and nothing runs after (the kernel's health says)."""
    node = bench.load(step, module, debounce_ms=PENDING_DEBOUNCE_MS)
    irq = bench.irq
    edges = bench.irq_count()
    bench.press()
    step.expect(wait_for(lambda: bench.irq_count() > edges, 2.0),
                "the press raised no interrupt")
    early = bench.reader.events(0.0)
    board.modules.unload(module)
    bench.release()
    time.sleep(2 * PENDING_DEBOUNCE_MS / 1000)  # a debounce left behind fires by now
    step.note(debounce_ms=PENDING_DEBOUNCE_MS, key_before_unload=triples(early))
    step.expect(node not in board.input_nodes(), f"the input device {node} is still there "
                "after unload: input_unregister_device() in exit")
    left = board.irq_handlers(irq) if irq is not None else []
    step.expect(not left, f"IRQ {irq} still has handlers after unload: {left}")
    chip = getattr(board, "chip", None)
    held = line_consumers(chip, [bench.button]) if chip is not None else {}
    step.expect(not held, f"the button line is still held after unload: {held}")


StepFn = Callable[[KeyBench, Step], None]
# (name, step): the steps of a loaded module, in the lab's order; each is also a check.
STEPS: list[tuple[str, StepFn]] = [
    ("the input device has the key and nothing else", device_step),
    ("a clean press gives exactly EV_KEY 1, SYN_REPORT", press_step),
    ("a clean release gives exactly EV_KEY 0, SYN_REPORT", release_step),
    (f"a press bouncing {BOUNCES} times in {BOUNCE_SECONDS * 1000:.0f} ms gives one key down",
     bounce_step),
    ("a held key does not auto-repeat", held_step),
    ("two presses 30 ms apart give two keys", quick_step),
    ("edge-to-key latency (trace and evdev, one clock)", latency_step),
]
LOAD = "load: the button's IRQ has a handler, and one input device appears"
UNLOAD = "unload mid-debounce leaves nothing behind"


class GpioKeysLab(Lab):
    """A button whose interrupt becomes a debounced key on /dev/input/eventN."""

    name = "gpio_keys"
    title = "a GPIO button that types: debounced EV_KEY through evdev"

    def run(self, board: Board, steps: StepRecorder) -> None:
        log = board.open_log()
        with ExitStack() as stack:
            bench = KeyBench(board, self.wiring(), stack)
            with steps.step(LOAD, required=True) as step:
                bench.load(step, self.module)
            for name, fn in STEPS:
                with steps.step(name) as step:
                    fn(bench, step)
            with steps.step(UNLOAD) as step:
                board.modules.unload(self.module)
                unload_step(board, bench, step, self.module)
        with steps.step("kernel healthy"):
            log.check_health()
