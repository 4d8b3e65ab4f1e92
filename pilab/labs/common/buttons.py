"""What the three button labs (intrpt, bottomhalf, bh_thread) share: loading their module."""

from __future__ import annotations

from pilab.boards.base import Board
from pilab.steps import StepRecorder
from pilab.wiring import Wiring


def module_params(board: Board, led: int, buttons: tuple[int, ...]) -> dict[str, object]:
    """led/buttons as the module takes them: global GPIO numbers."""
    return {"led": board.gpio(led), "buttons": [board.gpio(b) for b in buttons]}


def load_button_module(board: Board, steps: StepRecorder, module: str, wiring: Wiring,
                       takes_pins: bool = True, **extra: object) -> list[int]:
    """The 'load the module' step of the button labs; the buttons' IRQ numbers.

    The IRQs are the kernel's own mapping of the button lines, and each must
    have a handler: evidence whoever wrote the module, whatever it logs.
    A module with the guide's fixed numbers (*takes_pins* False) gets no
    led/buttons parameters.
    """
    with steps.step("load the module; each button's IRQ has a handler", required=True) as step:
        params = module_params(board, wiring.led or 0, wiring.buttons) if takes_pins else {}
        params.update(extra)
        board.modules.load(module, **params)
        step.note(params=params)
        irqs: list[int] = []
        for index, line in enumerate(wiring.buttons, 1):
            irq = board.irq_of(line)
            step.expect(irq is not None and bool(board.irq_handlers(irq)),
                        f"button {index} (GPIO{line}) has no interrupt handler: request_irq() "
                        "was not called for its IRQ, or failed")
            assert irq is not None
            irqs.append(irq)
        step.note(irqs=irqs, handlers=[board.irq_handlers(irq) for irq in irqs])
    return irqs


def unload_frees_irqs(board: Board, steps: StepRecorder, module: str, irqs: list[int]) -> None:
    """The unload step of the button labs: no handler is left on the buttons' IRQs."""
    with steps.step("unload: both IRQs freed") as step:
        board.modules.unload(module)
        left = {irq: board.irq_handlers(irq) for irq in irqs if board.irq_handlers(irq)}
        step.expect(not left, f"handlers left after unload: {left}: free_irq() every IRQ "
                    "you requested, with the same dev_id")
