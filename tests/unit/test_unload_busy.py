"""busy_at_unload: was the bottom half a press asked for busy when the unload began?"""

from __future__ import annotations

import re

from pilab.labs.common.unload_trace import busy_at_unload

IRQ = 41
PRESS = ("python3-245  [001] d.h1.  {t}: irq_handler_entry: irq=41 name=bottomhalf#button1\n"
         "python3-245  [001] d.h1.  {t}: irq_handler_exit: irq=41 ret=handled\n")
TASKLET = ("python3-245  [001] ..s1.  {start}: softirq_entry: vec=6 [action=TASKLET]\n"
           "python3-245  [001] ..s1.  {end}: softirq_exit: vec=6 [action=TASKLET]\n")
MARK = "   python3-240  [000] .....  {t}: tracing_mark_write: pilab: unload\n"


def trace(*parts: str) -> str:
    """Lines sorted by their time, as the kernel merges its CPUs' buffers."""
    lines = "".join(parts).splitlines(keepends=True)
    return "".join(sorted(lines, key=lambda line: float(re.findall(r"\s(\d+\.\d+):", line)[0])))


def test_a_tasklet_running_at_the_unload_is_busy() -> None:
    busy = busy_at_unload(trace(PRESS.format(t="10.000100"),
                                TASKLET.format(start="10.000200", end="10.500000"),
                                MARK.format(t="10.100000")), [IRQ])
    assert busy.shown(pending=False) and not busy.shown(pending=True)
    assert "was running" in str(busy)


def test_a_tasklet_ended_before_the_unload_is_not_busy() -> None:
    busy = busy_at_unload(trace(PRESS.format(t="10.000100"),
                                TASKLET.format(start="10.000200", end="10.050000"),
                                MARK.format(t="10.100000")), [IRQ])
    assert not busy.shown(pending=False) and not busy.outstanding
    assert "no bottom half" in str(busy)


def test_a_tasklet_asked_for_before_the_unload_and_run_after_it_was_waiting() -> None:
    busy = busy_at_unload(trace(PRESS.format(t="10.000100"), MARK.format(t="10.000150"),
                                TASKLET.format(start="10.000200", end="10.500000")), [IRQ])
    assert busy.shown(pending=False) and "was waiting" in str(busy)


def test_a_press_during_the_run_makes_it_pending() -> None:
    busy = busy_at_unload(trace(PRESS.format(t="10.000100"),
                                TASKLET.format(start="10.000200", end="10.500000"),
                                PRESS.format(t="10.200000"), MARK.format(t="10.300000")), [IRQ])
    assert busy.shown(pending=True) and "a press came during it" in str(busy)


def test_another_irqs_tasklet_softirq_is_not_ours() -> None:
    busy = busy_at_unload(trace(PRESS.format(t="10.000100").replace("irq=41", "irq=42"),
                                TASKLET.format(start="10.000200", end="10.500000"),
                                MARK.format(t="10.100000")), [IRQ])
    assert not busy.shown(pending=False)


def test_work_queued_from_the_handler_and_running_is_busy() -> None:
    queued = ("python3-245  [001] d.h1.  10.000150: workqueue_queue_work: work "
              "struct=00000000abcd function=slow_work [bottomhalf] workqueue=events "
              "req_cpu=8192 cpu=1\n")
    runs = ("kworker/1:1-30  [001] .....  10.000300: workqueue_execute_start: work struct "
            "00000000abcd: function slow_work [bottomhalf]\n"
            "kworker/1:1-30  [001] .....  10.600000: workqueue_execute_end: work struct "
            "00000000abcd: function slow_work [bottomhalf]\n")
    press = PRESS.format(t="10.000100").replace("10.000100: irq_handler_exit",
                                                "10.000200: irq_handler_exit")
    busy = busy_at_unload(trace(press, queued, runs, MARK.format(t="10.100000")), [IRQ])
    assert busy.shown(pending=False) and "work slow_work" in str(busy)
    late = busy_at_unload(trace(press, queued, runs, MARK.format(t="10.700000")), [IRQ])
    assert not late.shown(pending=False)
    elsewhere = busy_at_unload(trace(PRESS.format(t="10.000100"), queued, runs,
                                     MARK.format(t="10.100000")), [IRQ])
    assert not elsewhere.shown(pending=False), "queued after the handler returned: not ours"


def test_an_irq_thread_sleeping_in_its_handler_is_busy() -> None:
    switches = ("python3-245  [001] d..2.  10.000200: sched_switch: prev_comm=python3 "
                "prev_pid=245 prev_prio=120 prev_state=R ==> next_comm=irq/41-bh_threa "
                "next_pid=99 next_prio=49\n"
                "irq/41-bh_threa-99  [001] d..2.  10.000300: sched_switch: prev_comm="
                "irq/41-bh_threa prev_pid=99 prev_prio=49 prev_state=D ==> next_comm=swapper/1 "
                "next_pid=0 next_prio=120\n")
    busy = busy_at_unload(trace(PRESS.format(t="10.000100"), switches,
                                MARK.format(t="10.100000")), [IRQ])
    assert busy.shown(pending=False) and "thread" in str(busy)


def test_without_the_mark_nothing_is_shown() -> None:
    busy = busy_at_unload(trace(PRESS.format(t="10.000100"),
                                TASKLET.format(start="10.000200", end="10.500000")), [IRQ])
    assert busy.mark is None and not busy.shown(pending=False)


def test_the_other_buttons_press_during_the_run_makes_it_pending() -> None:
    """bottomhalf's buttons share one tasklet: button 2's press during the run asks again."""
    other = PRESS.format(t="10.200000").replace("irq=41", "irq=42").replace("[001]", "[000]")
    text = trace(PRESS.format(t="10.000100"),
                 TASKLET.format(start="10.000200", end="10.500000"), other,
                 MARK.format(t="10.300000"))
    assert busy_at_unload(text, [IRQ, 42]).shown(pending=True)
    assert not busy_at_unload(text, [IRQ]).shown(pending=True), "button 2 not watched"
