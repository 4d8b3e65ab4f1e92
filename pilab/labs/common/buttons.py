"""What the three button labs (intrpt, bottomhalf, bh_thread) share: loading their module."""

from __future__ import annotations

from pilab.boards.base import Board
from pilab.kernel.klog import LogCursor
from pilab.labs.common.loglines import loaded_line
from pilab.steps import StepRecorder
from pilab.wiring import Wiring


def module_params(board: Board, led: int, buttons: tuple[int, ...]) -> dict[str, object]:
    """led/buttons as the module takes them: global GPIO numbers."""
    return {"led": board.gpio(led), "buttons": [board.gpio(b) for b in buttons]}


def load_button_module(board: Board, steps: StepRecorder, log: LogCursor, module: str,
                       wiring: Wiring, **extra: object) -> list[int]:
    """The 'load the module' step of the button labs; the buttons' IRQ numbers."""
    with steps.step("load the module", required=True) as step:
        params = module_params(board, wiring.led or 0, wiring.buttons)
        params.update(extra)
        board.modules.load(module, **params)
        step.note(params=params)
        line = loaded_line(module)
        loaded = log.wait_for(line.pattern())
        step.expect(bool(loaded), "no load line in the kernel log")
        found = line.match(loaded[0].text)
        assert found is not None
        irqs = [int(found["irq1"]), int(found["irq2"])]
        step.note(irqs=irqs)
    return irqs
