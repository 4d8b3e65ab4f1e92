"""Lab intrpt (guide 15.2): GPIO button interrupts switch an LED."""

from __future__ import annotations

import re
import time
from contextlib import ExitStack

from pilab.boards.base import Board
from pilab.klog import LogCursor
from pilab.labs.base import Lab
from pilab.report import StepRecorder
from pilab.wiring import Wiring

LOADED = re.compile(r"led (\d+), buttons (\d+) (\d+), irqs (\d+) (\d+)")


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
        loaded = log.wait_for(f"{module}: " + LOADED.pattern)
        step.expect(bool(loaded), "no load line in the kernel log")
        found = LOADED.search(loaded[0].text)
        assert found is not None
        irqs = [int(found.group(4)), int(found.group(5))]
        step.note(irqs=irqs)
    return irqs


class IntrptLab(Lab):
    """Button 1 turns the LED on, button 2 turns it off, in a hard IRQ handler."""

    name = "intrpt"
    title = "GPIO button interrupts switch an LED"
    module = "intrpt"

    def run(self, board: Board, steps: StepRecorder) -> None:
        wiring = self.wiring()
        log = board.open_log()
        prefix = f"{self.module}: "
        with ExitStack() as stack:
            load_button_module(board, steps, log, self.module, wiring)
            bench = self.bench(board, wiring, stack, log, prefix + r"button {button} ->")
            with steps.step("button 1 turns the LED on") as step:
                step.expect(bench.led() == 0, "the LED was on before any press")
                bench.press(1)
                step.expect(bench.led_becomes(1), "the LED sense pin stayed low")
            with steps.step("button 2 turns the LED off") as step:
                bench.press(2)
                step.expect(bench.led_becomes(0), "the LED sense pin stayed high")
            with steps.step("button 1 twice leaves the LED on") as step:
                bench.press(1)
                time.sleep(0.05)
                bench.press(1)
                step.expect(bench.led_becomes(1), "the LED sense pin stayed low")
                time.sleep(0.2)
                step.expect(bench.led() == 1, "the LED went off again")
        with steps.step("unload; the log holds the module's lines; kernel healthy") as step:
            board.modules.unload(self.module)
            on = log.wait_for(prefix + r"button 1 -> LED on", count=3)
            off = log.wait_for(prefix + r"button 2 -> LED off", count=1)
            step.note(on_lines=len(on), off_lines=len(off))
            step.expect(len(on) == 3, f"{len(on)} 'button 1 -> LED on' lines, expected 3")
            step.expect(len(off) == 1, f"{len(off)} 'button 2 -> LED off' lines, expected 1")
            step.expect(bool(log.wait_for(prefix + "unloaded")), "no unload line")
            log.check_health()
