"""Lab intrpt (guide 15.2): GPIO button interrupts switch an LED."""

from __future__ import annotations

import time
from contextlib import ExitStack

from pilab.boards.base import Board
from pilab.labs.common.buttons import load_button_module
from pilab.labs.common.lab import Lab
from pilab.labs.intrpt.loglines import PRESS, UNLOADED
from pilab.steps import StepRecorder


class IntrptLab(Lab):
    """Button 1 turns the LED on, button 2 turns it off, in a hard IRQ handler."""

    name = "intrpt"
    title = "GPIO button interrupts switch an LED"

    def run(self, board: Board, steps: StepRecorder) -> None:
        wiring = self.wiring()
        log = board.open_log()
        with ExitStack() as stack:
            load_button_module(board, steps, log, self.module, wiring)
            bench = self.bench(board, wiring, stack, log,
                               lambda button: PRESS.pattern(button=button))
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
            on = log.wait_for(PRESS.pattern(button=1, led="on"), count=3)
            off = log.wait_for(PRESS.pattern(button=2, led="off"), count=1)
            step.note(on_lines=len(on), off_lines=len(off))
            step.expect(len(on) == 3, f"{len(on)} 'button 1 -> LED on' lines, expected 3")
            step.expect(len(off) == 1, f"{len(off)} 'button 2 -> LED off' lines, expected 1")
            step.expect(bool(log.wait_for(UNLOADED.pattern())), "no unload line")
            log.check_health()
