"""An exit that returned while the tasklet softirq ran: early (no tasklet_kill) or only
the softirq's epilogue on a stalled vCPU (tasklet_kill waited)?"""

from __future__ import annotations

from pilab.labs.common.unload_trace import bottom_half_outlived

PRESS = """\
 python3-245  [001] d.h1.  45.200500: irq_handler_entry: irq=41 name=bottomhalf#button1
 python3-245  [001] ..s1.  45.200626: softirq_entry: vec=6 [action=TASKLET]
"""


def _trace(returned: float, softirq_end: float) -> str:
    return PRESS + "\n".join(sorted([
        f"   pilab-250  [000] .....  {returned:.6f}: jump_label_module_notify "
        "<-blocking_notifier_call_chain",
        f" python3-245  [001] ..s1.  {softirq_end:.6f}: softirq_exit: vec=6 [action=TASKLET]",
    ], key=lambda line: float(line.split(":")[0].split()[-1])))


def test_an_exit_that_waited_is_not_judged_by_the_softirqs_epilogue() -> None:
    """Seen on a loaded fresh machine: pilab's own bottomhalf (tasklet_kill in its
    exit) returned 0.82 s into an 0.82 s run, a few ms before its vCPU left the softirq."""
    assert bottom_half_outlived(_trace(46.022004, 46.036), "bottomhalf", 41) is None


def test_an_exit_that_did_not_wait_is_caught() -> None:
    """no_tasklet_kill: the exit returned 29 ms into the run, which went on 0.77 s."""
    outlived = bottom_half_outlived(_trace(45.230, 46.000), "bottomhalf", 41)
    assert outlived is not None and outlived.returned == 45.23 and outlived.cpu == 1


def test_a_softirq_that_never_ended_in_the_trace_is_outlived() -> None:
    text = PRESS + ("   pilab-250  [000] .....  45.300000: jump_label_module_notify "
                    "<-blocking_notifier_call_chain\n")
    assert bottom_half_outlived(text, "bottomhalf", 41) is not None
