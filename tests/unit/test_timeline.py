"""press_timeline on a kernel's trace text: the drive pin as the button, a thread's run."""

from __future__ import annotations

import json

from pilab.kernel.trace import parse_trace
from pilab.report.timeline import end_us, press_timeline

# bh_thread on a real kernel: the drive pin (GPIO 990) presses button 1, whose
# IRQ 41 wakes irq/41-bh_thread, which sets the LED (GPIO 974) and sleeps.
TRACE = """\
# tracer: nop
         python3-300     [000] .....   100.000100: gpio_value: 990 set 1
         python3-300     [000] d.h1.   100.000150: irq_handler_entry: irq=41 name=bh_thread
         python3-300     [000] d.h1.   100.000170: irq_handler_exit: irq=41 ret=handled
         python3-300     [000] d..2.   100.000200: sched_switch: prev_comm=python3 prev_pid=300 \
prev_prio=120 prev_state=R ==> next_comm=irq/41-bh_thread next_pid=276 next_prio=49
 irq/41-bh_threa-276     [000] .....   100.000250: gpio_value: 974 set 1
         python3-300     [001] .....   100.050100: gpio_value: 990 set 0
 irq/41-bh_threa-276     [000] d..2.   100.300250: sched_switch: prev_comm=irq/41-bh_thread \
prev_pid=276 prev_prio=49 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120
         python3-300     [001] .....   100.400000: gpio_value: 991 set 1
"""


def test_a_threaded_press_becomes_tracks() -> None:
    timeline = press_timeline(parse_trace(TRACE), irqs=[41, 42], led=974, drives=[990, 991])
    assert timeline["t0"] == 100.0001
    tracks = {t["id"]: t for t in timeline["tracks"]}
    assert list(tracks) == ["button1", "button2", "led", "hardirq", "thread"]
    assert tracks["button1"]["source"] == "drive pin"
    assert tracks["button1"]["changes"] == [[0.0, 1], [50000.0, 0]]
    assert tracks["led"]["changes"] == [[150.0, 1]]
    assert tracks["hardirq"]["spans"] == [[50.0, 70.0, "bh_thread"]]
    assert tracks["thread"]["spans"] == [[100.0, 300150.0, "irq/41-bh_thread"]]
    assert end_us(timeline) == 399900.0
    assert json.loads(json.dumps(timeline)) == timeline  # travels from the VM as JSON


def test_without_drive_events_the_irq_entry_is_the_edge() -> None:
    events = [e for e in parse_trace(TRACE) if e.fields.get("gpio") != "990"]
    timeline = press_timeline(events, irqs=[41], led=974, drives=[990])
    button = timeline["tracks"][0]
    assert button["source"] == "IRQ entry"
    assert button["changes"] == [[0.0, 1], [20.0, 0]]
