"""The latency lab's checks, for anyone's module (``pilab check latency``).

One check per kernel path, each proven by where the kernel's trace shows the
LED written (the hard handler, a tasklet, the button IRQ's thread), then the
order of the medians over the paths that passed. A module that ignores
``path=`` and always toggles in the hard handler fails the tasklet and thread
checks and keeps the others.
"""

from __future__ import annotations

from contextlib import suppress

from pilab.check.context import CheckContext
from pilab.check.interface import needs_params
from pilab.check.suite import Check
from pilab.labs.common.checks import held_lines, refused
from pilab.labs.latency.lab import KERNEL_PATHS, ORDER, LatencyLab, step_name
from pilab.labs.latency.where import HANDOUT
from pilab.steps import FAILED, SKIPPED, LabAborted, LabResult, Step, StepRecorder
from pilab.wiring import guide_pins


def _lab(ctx: CheckContext) -> LatencyLab:
    lab = LatencyLab()
    lab.module = ctx.module
    return lab


def _report(step: Step, result: LabResult, judged: list[Step]) -> None:
    """Note *result*'s steps on the check's *step*; fail it with the first of *judged*
    that failed."""
    step.note(steps=[f"{s.status.upper()} {s.name}" + (f": {s.reason}" if s.reason else "")
                     for s in result.steps])
    bad = [s for s in judged if s.status == FAILED]
    if bad:
        step.traceback = bad[0].traceback
        step.expect(False, bad[0].reason if len(result.steps) == 1
                    else f"{bad[0].name}: {bad[0].reason}")


# The calls each path is made of, for a failed check's hint (its reason says what was wrong).
CALLS = {
    "hardirq": "request_irq(irq, handler, IRQF_TRIGGER_RISING, ...); the handler calls "
               "gpio_set_value()",
    "tasklet": "tasklet_setup() in init, tasklet_schedule() in the hard handler, "
               "gpio_set_value() in the tasklet's function, tasklet_kill() after free_irq()",
    "thread": "request_threaded_irq(irq, handler or NULL, thread_fn, IRQF_TRIGGER_RISING | "
              "IRQF_ONESHOT, ...); thread_fn calls gpio_set_value()",
}


def path_check(path: str) -> Check:
    """Load the module with path=*path*, press, and see each answer written where it says."""
    def run(ctx: CheckContext, step: Step) -> None:
        result = LabResult(ctx.lab, ctx.board_name)
        with suppress(LabAborted):
            _lab(ctx).measure_paths(ctx.live_board, StepRecorder(result, out=None), (path,))
        step.note(**result.steps[0].details)
        _report(step, result, result.steps)

    return Check(step_name(path), run, f"{CALLS[path]} ({HANDOUT})", 60.0)


def order(ctx: CheckContext, step: Step) -> None:
    """The lab's own run, all five paths: judged on the programs' steps, the order of
    the medians and the kernel's health. The kernel paths' steps are their own checks;
    a path that failed its step is left out of the order, not counted twice."""
    lab = _lab(ctx)
    result = LabResult(ctx.lab, ctx.board_name)
    with suppress(LabAborted):
        lab.run(ctx.live_board, StepRecorder(result, out=None))
    step.note(lab_result=result.to_dict())
    kernel = {step_name(path) for path in KERNEL_PATHS}
    _report(step, result, [s for s in result.steps if s.name not in kernel])
    ordered = next((s for s in result.steps if s.name == ORDER), None)
    step.expect(ordered is not None and ordered.status != SKIPPED,
                f"{ORDER}: {ordered.reason if ordered else 'not reached'}: none of the "
                "module's paths can be put in order (see the hardirq, tasklet and thread "
                "checks)")


def unknown_path(ctx: CheckContext, step: Step) -> None:
    """path=nowhere is refused with an error, and the refused load holds no line."""
    board = ctx.live_board
    led, buttons = guide_pins()
    params = {"led": board.gpio(led), "button": board.gpio(buttons[0]), "path": "nowhere"}
    step.expect(refused(ctx, params), f"it loaded with {params}")
    held = held_lines(ctx)
    step.expect(not held, f"after refusing path=nowhere, lines are still held: {held}: check "
                "the parameters before taking anything")


INTERFACE = needs_params("led", "button", "path", hint=(
    "module_param(led, int, 0444); module_param(button, int, 0444); "
    "module_param(path, charp, 0444)"))
PATH_CHECKS: list[Check] = [path_check(path) for path in KERNEL_PATHS]
CHECKS: list[Check] = [
    *PATH_CHECKS,
    Check(ORDER, order, "every path must toggle the LED at each rising edge of the button "
          f"(led, button and path parameters, {HANDOUT}); a path left out of the order failed "
          "its own check", 150.0),
    Check("an unknown path is refused cleanly", unknown_path,
          "compare path with hardirq, tasklet and thread (match_string) before requesting "
          "anything, and return -EINVAL", 60.0),
]
