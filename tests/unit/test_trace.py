"""Parsing and interpreting tracefs output, on traces captured in the VM (Linux 6.1).

tests/data/trace/*.txt are real ``trace`` files of one press each: intrpt,
bottomhalf and bh_thread loaded on vgpio (LED = GPIO 974, button 1 = IRQ 41;
IRQ 43 "lg" is the sense pin's edge detection, pilab's own eyes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pilab.kernel.evidence import (
    after_mark,
    bottom_halves,
    describe,
    gpio_writes,
    handler_runs,
    irq_of_thread,
    tasklet_runs,
    thread_runs,
    work_runs,
    workqueue_of,
)
from pilab.kernel.trace import TraceEvent, parse_line, parse_trace

DATA = Path(__file__).resolve().parent.parent / "data" / "trace"
LED, IRQ = 974, 41


def sample(name: str) -> list[TraceEvent]:
    return parse_trace((DATA / f"{name}.txt").read_text())


def test_a_line_in_hardirq_context() -> None:
    event = parse_line("          python-241     [001] d.h1.   143.436671: "
                       "irq_handler_entry: irq=41 name=intrpt#button1")
    assert event is not None
    assert (event.task, event.pid, event.cpu, event.flags) == ("python", 241, 1, "d.h1.")
    assert event.time == pytest.approx(143.436671)
    assert (event.name, event.context) == ("irq_handler_entry", "hardirq")
    assert event.fields == {"irq": "41", "name": "intrpt#button1"}
    assert event.number("irq") == 41


@pytest.mark.parametrize(("line", "task", "context", "fields"), [
    ("          python-241     [001] ..s1.   144.987889: tasklet_entry: tasklet=bottomhalf_dev "
     "[bottomhalf] function=bottomhalf_tasklet_fn [bottomhalf]", "python", "softirq",
     {"tasklet": "bottomhalf_dev", "function": "bottomhalf_tasklet_fn", "module": "bottomhalf"}),
    ("          python-241     [001] .Ns1.   145.449488: softirq_exit: vec=6 [action=TASKLET]",
     "python", "softirq", {"vec": "6", "action": "TASKLET"}),
    ("    kworker/u4:0-9       [000] .....   145.442221: workqueue_execute_start: work struct "
     "00000000c0333254: function flush_memcg_stats_dwork", "kworker/u4:0", "process",
     {"work": "00000000c0333254", "function": "flush_memcg_stats_dwork"}),
    (" irq/41-bh_threa-276     [001] .....   147.109672: gpio_value: 974 set 1",
     "irq/41-bh_threa", "process", {"gpio": "974", "op": "set", "value": "1"}),
    ("       irq/43-lg-275     [000] .....   144.987176: gpio_value: 993 get 1",
     "irq/43-lg", "process", {"gpio": "993", "op": "get", "value": "1"}),
    ("          <idle>-0       [000] d..2.   144.986984: sched_switch: prev_comm=swapper/0 "
     "prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=irq/43-lg next_pid=275 next_prio=49",
     "<idle>", "process",
     {"prev_comm": "swapper/0", "prev_pid": "0", "prev_prio": "120", "prev_state": "R",
      "next_comm": "irq/43-lg", "next_pid": "275", "next_prio": "49"}),
    ("          python-241     [001] .....   144.985091: tracing_mark_write: pilab press "
     "bottomhalf", "python", "process", {"text": "pilab press bottomhalf"}),
    ("          <idle>-0       [000] dNh2.   144.986966: sched_wakeup: comm=irq/43-lg pid=275 "
     "prio=49 target_cpu=000", "<idle>", "hardirq",
     {"comm": "irq/43-lg", "pid": "275", "prio": "49", "target_cpu": "000"}),
])
def test_fields_per_event(line: str, task: str, context: str, fields: dict[str, str]) -> None:
    event = parse_line(line)
    assert event is not None
    assert (event.task, event.context, dict(event.fields)) == (task, context, fields)


@pytest.mark.parametrize("line", [
    "# tracer: nop",
    "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
    "",
    "##### CPU 1 buffer started ####",
])
def test_headers_and_notes_are_not_events(line: str) -> None:
    assert parse_line(line) is None


def test_intrpt_sets_the_led_inside_its_hard_handler() -> None:
    events = sample("intrpt-6.1")
    [run] = handler_runs(events, IRQ)
    assert (run.kind, run.name, run.cpu, run.context) == ("hardirq", "intrpt#button1", 1,
                                                          "hardirq")
    assert run.end is not None and run.start < run.end
    [write] = gpio_writes(events, LED)
    assert (write.value, write.context, write.task, write.irq_thread) == (1, "hardirq",
                                                                          "python", None)
    assert run.start <= write.time <= run.end
    assert bottom_halves(events, [IRQ], module="intrpt") == []
    assert [r.name for r in handler_runs(events, 43)] == ["lg"]  # not the lab's IRQ


def test_bottomhalf_tasklet_runs_after_the_handler_in_softirq() -> None:
    events = sample("bottomhalf-6.1")
    [top] = handler_runs(events, IRQ)
    [write] = gpio_writes(events, LED)
    assert write.context == "hardirq" and top.start <= write.time <= (top.end or 0)
    [bottom] = tasklet_runs(events, module="bottomhalf")
    assert (bottom.kind, bottom.name, bottom.context) == ("tasklet", "bottomhalf_tasklet_fn",
                                                          "softirq")
    assert top.end is not None and bottom.start > top.end
    assert bottom.duration == pytest.approx(145.449466 - 144.987889)
    assert bottom_halves(events, [IRQ], module="bottomhalf") == [bottom]
    assert tasklet_runs(events, module="intrpt") == []


def test_without_tasklet_events_the_tasklet_softirq_stands_in() -> None:
    """A kernel without irq:tasklet_*: the same trace minus those lines."""
    text = (DATA / "bottomhalf-6.1.txt").read_text()
    events = parse_trace("\n".join(line for line in text.splitlines()
                                   if "tasklet_e" not in line))
    [run] = tasklet_runs(events, module="bottomhalf")
    assert (run.kind, run.name, run.context) == ("softirq", "TASKLET", "softirq")
    assert (run.start, run.end) == (pytest.approx(144.987824), pytest.approx(145.449488))


def test_work_items_are_runs_with_their_function() -> None:
    events = sample("bottomhalf-6.1")
    [run] = work_runs(events, function="flush_memcg_stats_dwork")
    assert (run.kind, run.context, run.task, run.module) == ("work", "process",
                                                             "kworker/u4:0", "")
    assert run.duration == pytest.approx(145.442257 - 145.442221)
    assert work_runs(events, module="bottomhalf") == []


def test_bh_thread_sets_the_led_from_its_irq_thread() -> None:
    events = sample("bh_thread-6.1")
    [top] = handler_runs(events, IRQ)
    [write] = gpio_writes(events, LED)
    assert (write.context, write.task, write.irq_thread) == ("process", "irq/41-bh_threa", IRQ)
    [thread] = thread_runs(events, IRQ)
    assert (thread.kind, thread.name, thread.context) == ("thread", "irq/41-bh_threa",
                                                          "process")
    assert top.end is not None and top.end < thread.start < write.time
    assert thread.end is None  # it sleeps (state D) in the handler until after the sample
    assert bottom_halves(events, [IRQ], module="bh_thread") == [thread]


def test_a_thread_run_ends_when_it_waits_again() -> None:
    events = sample("bh_thread-6.1")
    [run] = thread_runs(events, 43)  # the sense pin's thread: in, read, back to S
    assert run.end is not None and run.duration == pytest.approx(147.110077 - 147.110032)


def test_same_timestamps_keep_the_kernels_order() -> None:
    """Under the "global" clock a lagging CPU's events share one timestamp."""
    events = after_mark(sample("intrpt-6.1-global-clock"), "pilab press intrpt")
    names = [e.name for e in events if e.time == pytest.approx(140.440526) and e.cpu == 1]
    assert names[:3] == ["irq_handler_entry", "gpio_value", "irq_handler_exit"]
    [run] = handler_runs(events, IRQ)
    assert run.duration == 0.0


def test_after_mark_and_describe() -> None:
    events = sample("bh_thread-6.1")
    after = after_mark(events, "pilab press bh_thread")
    assert after[0].name == "gpio_value" and len(after) < len(events)
    assert after_mark(events, "no such mark") == events
    text = describe(events, irqs=[IRQ], gpios=[LED], module="bh_thread", last=4)
    lines = text.splitlines()
    assert len(lines) == 4
    assert "irq/41-bh_threa" in lines[-1] and "prev_state=D" in lines[-1]
    assert "974 set 1" in lines[-2] and "irq=43" not in text  # not an IRQ that hit the thread
    assert "nothing" in describe(after, irqs=[99], gpios=[1])


def test_irq_threads_by_name() -> None:
    assert irq_of_thread("irq/41-bh_threa") == 41
    assert irq_of_thread("irq/129-s-mmc0") == 129
    assert irq_of_thread("kworker/1:0") is None


def test_a_filtered_session_keeps_only_what_pilab_reads() -> None:
    """bottomhalf-6.1-session.txt: what TraceSession() itself recorded, kernel filters on."""
    events = after_mark(sample("bottomhalf-6.1-session"), "press")
    switches = [e for e in events if e.name == "sched_switch"]
    assert switches and all("irq/" in e.body for e in switches)
    assert {e.fields["action"] for e in events if e.name.startswith("softirq")} == {"TASKLET"}
    [top] = handler_runs(events, IRQ)
    [bottom] = tasklet_runs(events, module="bottomhalf")
    assert top.end is not None and top.end < bottom.start
    assert workqueue_of(events, "vmstat_update") == "mm_percpu_wq"
    assert workqueue_of(events, "bottomhalf_tasklet_fn") is None
