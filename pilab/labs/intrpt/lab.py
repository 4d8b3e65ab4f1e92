"""Lab intrpt (guide 15.2): GPIO button interrupts switch an LED."""

from __future__ import annotations

import time
from contextlib import ExitStack

from pilab.boards.base import Board
from pilab.kernel.evidence import after_mark, describe, gpio_writes
from pilab.labs.common.buttons import load_button_module, unload_frees_irqs
from pilab.labs.common.lab import Lab
from pilab.report.timeline import drive_gpios, press_timeline
from pilab.steps import Step, StepRecorder


class IntrptLab(Lab):
    """Button 1 turns the LED on, button 2 turns it off, in a hard IRQ handler.

    The verdicts rest on what the kernel did: the LED line (through the sense
    jumper), the buttons' IRQ counts and handlers, and the kernel's trace of
    the LED write (in hard-IRQ context). The module's own log lines serve only
    to see a person's press in manual mode.
    """

    name = "intrpt"
    title = "GPIO button interrupts switch an LED"

    def run(self, board: Board, steps: StepRecorder) -> None:
        wiring = self.wiring()
        log = board.open_log()
        with ExitStack() as stack:
            irqs = load_button_module(board, steps, self.module, wiring, self.takes_pins)
            bench = self.bench(board, wiring, stack)

            led = board.gpio(wiring.led or 0)

            def press(step: Step, *buttons: int) -> None:
                """Press *buttons*; each must raise its IRQ, whose handler sets the LED."""
                before = [board.irq_count(irq) for irq in irqs]
                with board.open_trace() as trace:
                    trace.mark("pilab: press")
                    for button in buttons:
                        bench.press(button)
                        time.sleep(0.05)
                    bench.led_becomes(int(buttons[-1] == 1))
                    events = after_mark(trace.read(), "pilab: press")
                level = int(buttons[-1] == 1)
                writes = [w for w in gpio_writes(events, led) if w.value == level]
                step.note(led_writes=[f"{w.value} in {w.context} ({w.task})" for w in writes],
                          timeline=press_timeline(events, irqs, led, drive_gpios(board, wiring),
                                                  self.module))
                step.expect(any(w.context == "hardirq" for w in writes),
                            f"the LED was not set to {level} in a hard IRQ handler; the kernel's "
                            f"trace:\n{describe(events, irqs, [led], self.module)}")
                grew = [board.irq_count(irq) - b for irq, b in zip(irqs, before, strict=True)]
                step.note(irq_deltas=grew)
                for button in set(buttons):
                    step.expect(grew[button - 1] >= buttons.count(button),
                                f"button {button}'s IRQ {irqs[button - 1]} fired {grew[button - 1]}"
                                f" times for {buttons.count(button)} press(es)")

            with steps.step("button 1 turns the LED on") as step:
                step.expect(bench.led() == 0, "the LED was on before any press")
                press(step, 1)
                step.expect(bench.led_becomes(1), "the LED sense pin stayed low")
            with steps.step("button 2 turns the LED off") as step:
                press(step, 2)
                step.expect(bench.led_becomes(0), "the LED sense pin stayed high")
            with steps.step("button 1 twice leaves the LED on") as step:
                press(step, 1, 1)
                step.expect(bench.led_becomes(1), "the LED sense pin stayed low")
                time.sleep(0.2)
                step.expect(bench.led() == 1, "the LED went off again")
        unload_frees_irqs(board, steps, self.module, irqs)
        with steps.step("kernel healthy"):
            log.check_health()

