"""The latency lab's checks, for anyone's module (``pilab check latency``)."""

from __future__ import annotations

from pilab.check.context import FIXED_BUTTONS, FIXED_LED, CheckContext
from pilab.check.interface import needs_params
from pilab.check.suite import Check
from pilab.labs.common.checks import behaviour_check, held_lines, refused
from pilab.steps import Step


def unknown_path(ctx: CheckContext, step: Step) -> None:
    """path=nowhere is refused with an error, and the refused load holds no line."""
    board = ctx.live_board
    params = {"led": board.gpio(FIXED_LED), "button": board.gpio(FIXED_BUTTONS[0]),
              "path": "nowhere"}
    step.expect(refused(ctx, params), f"it loaded with {params}")
    held = held_lines(ctx)
    step.expect(not held, f"after refusing path=nowhere, lines are still held: {held}: check "
                "the parameters before taking anything")


INTERFACE = needs_params("led", "button", "path", hint=(
    "module_param(led, int, 0444); module_param(button, int, 0444); "
    "module_param(path, charp, 0444)"))
CHECKS = [
    behaviour_check("led, button and path parameters; path=hardirq toggles the LED in the "
                    "IRQ handler, path=tasklet in a tasklet it schedules, path=thread in the "
                    "IRQ's thread (request_threaded_irq, IRQF_ONESHOT); rising edge", 150.0),
    Check("an unknown path is refused cleanly", unknown_path,
          "compare path with hardirq, tasklet and thread (match_string) before requesting "
          "anything, and return -EINVAL", 60.0),
]
