"""Switch on, at boot, the tracepoints pilab records, so recording never patches kernel text.

A tracepoint is a static key: the first probe to attach rewrites the kernel's
code at every place the event fires, with int3 breakpoints while it does
(text_poke_bp). Under QEMU's multi-threaded TCG another vCPU can still run
the breakpoint after the rewrite has ended, and the kernel dies with "Oops:
int3" in a function such as ttwu_do_activate (seen on Debian's 6.12 and
newer, several times a run, when a lab first opened its trace). Enabled
with ``trace_event=`` on the command line, the keys are switched before the
other CPUs start; a tracefs instance enabling the same events later only
adds probes, and its cmdline recording (sched_wakeup, sched_switch) is
already on too. The top-level buffer then records these events as well,
which costs the idle VM next to nothing.
"""

from __future__ import annotations

from pilab.kernel.trace import FALLBACKS, PRESS_EVENTS
from pilab.labs.common.unload_trace import EVENTS as UNLOAD_EVENTS

# Whole systems ("irq:") where pilab uses most of their events: the kernel's
# command line has room for 2048 bytes, and virtme-ng's command takes most.
BOOT_EVENTS = ("irq:", "workqueue:", "gpio:", "sched:sched_switch", "module:module_free")


def pilab_events() -> set[str]:
    """Every event pilab may enable in a tracefs instance, fallbacks included."""
    return {*PRESS_EVENTS, *FALLBACKS, *(e.replace("/", ":") for e in UNLOAD_EVENTS)}


def enabled_at_boot(event: str) -> bool:
    """Does BOOT_EVENTS switch *event* ("system:name") on?"""
    system = event.partition(":")[0]
    return event in BOOT_EVENTS or f"{system}:" in BOOT_EVENTS


def trace_kernel_args() -> list[str]:
    """The kernel command-line word that enables them at boot."""
    return [f"trace_event={','.join(BOOT_EVENTS)}"]
