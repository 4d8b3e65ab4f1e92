"""The kernel's tracepoints through pilab's tracefs instance, on the real kernel.

One press of button 1 with each lab module loaded: the trace alone must show
its hard handler, where the LED was set, and the bottom half that followed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest

from pilab.boards.vm import VmGuestBoard
from pilab.kernel.evidence import (
    Run,
    after_mark,
    bottom_halves,
    describe,
    gpio_writes,
    handler_runs,
)
from pilab.kernel.trace import TraceEvent, TraceSession, parse_trace, tracefs_root
from pilab.labs.common.lab import Bench
from pilab.vmhost.tracekeys import pilab_events
from pilab.wiring import load_wiring

WORK_MS = 20  # the bottom halves' busy time: short, so each press's run ends soon


def irq_named(action: str) -> int:
    """The IRQ whose handler is called *action* in /proc/interrupts."""
    for line in Path("/proc/interrupts").read_text().splitlines()[1:]:
        head, _, rest = line.partition(":")
        if rest.split() and rest.split()[-1] == action:
            return int(head)
    raise AssertionError(f"no IRQ named {action} in /proc/interrupts")


def wait_until(read: Callable[[], list[TraceEvent]], done: Callable[[list[TraceEvent]], bool],
               timeout: float = 10.0) -> list[TraceEvent]:
    """Read the trace until *done* says the story is complete (or time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        events = read()
        if done(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def press_once(board: VmGuestBoard, module: str) -> tuple[list[TraceEvent], int, int]:
    """Load *module*, press button 1 under a trace; the press's events, the LED's
    global GPIO number and button 1's IRQ."""
    wiring = load_wiring(module)
    board.setup(wiring)
    led = board.gpio(wiring.led or 0)
    params: dict[str, object] = {"led": led, "buttons": [board.gpio(b) for b in wiring.buttons]}
    if module != "intrpt":
        params["work_ms"] = WORK_MS
    board.modules.load(module, **params)
    irq = irq_named(f"{module}#button1")
    with TraceSession() as trace, ExitStack() as stack:
        bench = Bench(board, wiring, stack)
        trace.mark("press")
        bench.press(1)
        assert bench.led_becomes(1)

        def complete(events: list[TraceEvent]) -> bool:
            events = after_mark(events, "press")
            ended = [r for r in bottom_halves(events, [irq], module) if r.end is not None]
            return bool(gpio_writes(events, led)) and (module == "intrpt" or bool(ended))

        wait_until(trace.read, complete)
        started = time.perf_counter()
        text = trace.text()
        read_s = time.perf_counter() - started
        events = parse_trace(text)
        parse_s = time.perf_counter() - started - read_s
        assert trace.dropped() == 0
    board.modules.unload(module)
    press = after_mark(events, "press")
    print(f"\n{module}: {len(press)} events for one press ({len(text)} bytes of trace, "
          f"clock {trace.clock}, {len(events)} since tracing began); "
          f"read {read_s * 1e3:.1f} ms, parse {parse_s * 1e3:.1f} ms")
    return press, led, irq


def only(runs: list[Run], what: str, events: list[TraceEvent], irq: int, led: int) -> Run:
    assert len(runs) == 1, f"{len(runs)} {what}:\n{describe(events, [irq], [led], last=20)}"
    return runs[0]


@pytest.mark.parametrize("module", ["intrpt", "bottomhalf", "bh_thread"])
def test_a_press_as_the_kernel_traces_it(vm_board: VmGuestBoard, module: str) -> None:
    events, led, irq = press_once(vm_board, module)
    story = describe(events, [irq], [led], module, last=20)
    top = only(handler_runs(events, irq), "hard handler runs", events, irq, led)
    assert top.name == f"{module}#button1" and top.context == "hardirq", story
    assert top.end is not None, story
    write = gpio_writes(events, led)[0]
    assert write.value == 1, story
    if module == "bh_thread":
        assert write.context == "process" and write.irq_thread == irq, story
        assert write.task.startswith(f"irq/{irq}-"), story
    else:
        assert write.context == "hardirq" and top.start <= write.time <= top.end, story
    bottoms = bottom_halves(events, [irq], module)
    if module == "intrpt":
        assert bottoms == [], story
        return
    bottom = only(bottoms, "bottom halves", events, irq, led)
    assert bottom.kind == {"bottomhalf": "tasklet", "bh_thread": "thread"}[module], story
    assert bottom.context == {"bottomhalf": "softirq", "bh_thread": "process"}[module], story
    assert bottom.start >= top.end and bottom.end is not None, story
    # Not compared with WORK_MS: under TCG mdelay()/msleep() count on the TSC
    # as calibrated at boot, the "mono" clock on HPET; they disagreed by 2x.
    assert bottom.end > bottom.start, story


def test_the_instance_is_gone_afterwards_even_after_an_error() -> None:
    with pytest.raises(RuntimeError), TraceSession() as trace:
        path = trace.path
        assert path.is_dir() and path.name == f"pilab-{os.getpid()}"
        raise RuntimeError("a check failed half way")
    assert not path.exists()
    assert not list((tracefs_root() / "instances").glob(f"pilab-{os.getpid()}*"))


def test_nested_sessions_get_their_own_instances() -> None:
    with TraceSession() as outer, TraceSession() as inner:
        assert outer.path != inner.path and inner.path.is_dir()
    assert not outer.path.exists() and not inner.path.exists()


def test_an_instance_left_by_a_dead_pilab_is_removed() -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    stale = tracefs_root() / "instances" / f"pilab-{dead.stdout.strip()}"
    stale.mkdir()
    try:
        with TraceSession():
            assert not stale.exists()
    finally:
        if stale.exists():
            stale.rmdir()


def test_missing_events_are_reported_not_fatal() -> None:
    with TraceSession(["irq:irq_handler_entry", "nosuch:event"]) as trace:
        assert trace.enabled == ("irq:irq_handler_entry",)
        assert trace.missing == ("nosuch:event",)


def test_softirq_events_only_stand_in_for_missing_tasklet_events() -> None:
    """A tasklet asked again while it runs on another CPU makes that CPU re-raise its
    softirq in a loop: recorded, those events overwrote the handlers around them."""
    with TraceSession() as trace:
        has_tasklet_events = "irq:tasklet_entry" in trace.enabled
        assert ("irq:softirq_entry" in trace.enabled) != has_tasklet_events, trace.enabled
        assert trace.dropped() == 0


def test_every_event_pilab_records_was_switched_on_at_boot() -> None:
    """Enabling a tracepoint at run time rewrites kernel text, which QEMU's TCG can miss
    on another vCPU ("Oops: int3"): the vm board's kernel command line enables them."""
    root = tracefs_root()
    off = []
    for event in sorted(pilab_events()):
        switch = root / "events" / event.replace(":", "/") / "enable"
        if switch.exists() and switch.read_text().strip() != "1":
            off.append(event)
    assert not off, f"off at the top level: {off}"


def test_the_trace_clock_is_time_monotonic() -> None:
    """The "mono" clock lets a check line trace events up with time.monotonic()."""
    with TraceSession(["irq:irq_handler_entry"]) as trace:
        assert trace.clock == "mono"
        before = time.monotonic()
        trace.mark("now")
        after = time.monotonic()
        [mark] = [e for e in trace.read() if e.name == "tracing_mark_write"]
    assert before - 1e-6 <= mark.time <= after + 1e-6, (before, mark.time, after)


def test_a_board_keeps_one_instance_and_each_use_starts_empty(vm_board: VmGuestBoard) -> None:
    """Labs record press after press: one instance, emptied (lost counts too) each time,
    removed when the board is torn down."""
    with vm_board.open_trace() as first:
        first.mark("first")
        path = first.path  # type: ignore[attr-defined]
    with vm_board.open_trace() as second:
        assert second.path == path  # type: ignore[attr-defined]
        second.mark("second")
        marks = [e.body for e in second.read()
                 if e.name == "tracing_mark_write"]
        assert len(marks) == 1 and "second" in marks[0], marks
        assert second.dropped() == 0
    assert path.is_dir()
    vm_board.teardown()
    assert not path.exists()
