"""The gpio_keys lab's checks, for anyone's module (``pilab check gpio_keys``).

One check per step of the lab, each on a freshly loaded module, so a
module that gets one thing wrong loses that check: one without debounce
loses the bounce check alone. A key never released cannot be pressed again
(the input core passes changes only), so such a module also loses the
checks that press twice. The unload check comes last: a module that leaks
its input device leaves it behind for the rest of the boot.
"""

from __future__ import annotations

from contextlib import ExitStack

from pilab.check.context import CheckContext
from pilab.check.interface import needs_params
from pilab.check.suite import Check
from pilab.labs.gpio_keys.bench import KeyBench
from pilab.labs.gpio_keys.lab import STEPS, UNLOAD, StepFn, unload_step
from pilab.steps import Step

HANDOUT = "docs/labs/gpio_keys.md"
HINTS = {
    "device_step": "input_allocate_device(); input_set_capability(input, EV_KEY, code); "
                   "input_register_device(); no EV_REP, no other event type",
    "press_step": "request the IRQ on both edges; when the level settles high, "
                  "input_report_key(input, code, 1) then input_sync(input)",
    "release_step": "when the level settles low, input_report_key(input, code, 0) then "
                    "input_sync(input)",
    "bounce_step": "debounce: gpiod_set_debounce() first; if the chip refuses, every edge "
                   "restarts a timer or delayed work (mod_delayed_work) that reads the level "
                   "debounce_ms after the last edge",
    "held_step": "do not set EV_REP: the input core would repeat a held key",
    "quick_step": "keep the debounce to debounce_ms (5 ms by default) and report every change",
    "latency_step": "every press must give its key down, after the IRQ of its edge",
}


def step_check(name: str, fn: StepFn) -> Check:
    """Load the module, run the lab's step *fn* on it, unload."""
    def run(ctx: CheckContext, step: Step) -> None:
        board = ctx.live_board
        with ExitStack() as stack:
            bench = KeyBench(board, ctx.wiring(), stack)
            bench.load(step, ctx.module)
            fn(bench, step)
        board.modules.unload(ctx.module)

    return Check(name, run, f"{HINTS[fn.__name__]} ({HANDOUT})", 60.0)


def unload(ctx: CheckContext, step: Step) -> None:
    """Unload while a press's debounce is pending: nothing left, nothing runs after."""
    with ExitStack() as stack:
        unload_step(ctx.live_board, KeyBench(ctx.live_board, ctx.wiring(), stack), step,
                    ctx.module)


INTERFACE = needs_params("button", "code", "debounce_ms", hint=(
    "module_param(button, int, 0444); module_param(code, uint, 0444); "
    "module_param(debounce_ms, uint, 0444)"))
CHECKS: list[Check] = [
    *(step_check(name, fn) for name, fn in STEPS),
    Check(UNLOAD, unload, "exit: free_irq() first (no edge queues the debounce again), then "
          "cancel_delayed_work_sync() or del_timer_sync(), then input_unregister_device(), "
          f"then gpio_free() ({HANDOUT})", 60.0),
]
