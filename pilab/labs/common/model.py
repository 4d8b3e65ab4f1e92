"""What every module model shares: pins, IRQ numbers, log, load and unload."""

from __future__ import annotations

import errno
from collections.abc import Callable
from functools import partial
from typing import Any

from gpiozero import Factory
from gpiozero.pins import Pin

from pilab.errors import ModuleError
from pilab.kernel.inputs import ModelInput
from pilab.kernel.klog import ModelLog
from pilab.kernel.modules import describe_load_error
from pilab.kernel.trace import ModelTrace
from pilab.labs.common.loglines import loaded_line, unloaded_line
from pilab.wiring import guide_pins

IRQ_BASE = 200  # model IRQ numbers are IRQ_BASE + line


class ModelKernel:
    """The mock board's 'kernel': which models are loaded, which lines are held."""

    def __init__(self, factory: Factory, ngpio: int = 54) -> None:
        self.factory = factory
        self.ngpio = ngpio
        self.log = ModelLog()
        self.held: set[int] = set()
        self.irq_counts: dict[int, int] = {}
        self.irq_handlers: dict[int, list[str]] = {}  # irq -> the models' handler names
        self.trace = ModelTrace()
        self.inputs: dict[str, ModelInput] = {}  # node -> the input device a model registered


class KernelModel:
    """Base of module models: claims lines as gpio_request() would."""

    name = "model"

    def __init__(self, kernel: ModelKernel, **params: Any) -> None:
        self.kernel = kernel
        self._held: list[int] = []
        self._watched: list[tuple[Pin, int]] = []  # (pin, its IRQ)
        self._handlers: list[Callable[[float, int], None]] = []  # pins hold weak refs

    def printk(self, text: str) -> None:
        self.kernel.log.printk(f"{self.name}: {text}")

    def fail(self, code: int, text: str) -> ModuleError:
        """Log like pr_err and build the error insmod would report."""
        self.printk(text)
        self.release()
        return describe_load_error(self.name, code)

    def request(self, line: int, label: str) -> Pin:
        """gpio_request(): refuse invalid or busy lines."""
        if not 0 <= line < self.kernel.ngpio:
            raise self.fail(errno.ENODEV, f"{label}: no GPIO {line}")
        if line in self.kernel.held or self._claimed_by_userspace(line):
            raise self.fail(errno.EBUSY, f"{label}: GPIO {line} is busy")
        self.kernel.held.add(line)
        self._held.append(line)
        return self.kernel.factory.pin(line)

    def _claimed_by_userspace(self, line: int) -> bool:
        """Does a gpiozero device hold the line, as lgpio would hold a chardev line?"""
        reservations = getattr(self.kernel.factory, "_reservations", {})
        return any(
            info.name == f"GPIO{line}" and any(ref() is not None for ref in refs)
            for info, refs in reservations.items()
        )

    def watch(self, pin: Pin, line: int, handler: Callable[[], None],
              edges: str = "rising") -> int:
        """request_irq() on *edges* ("rising", "both"); returns the IRQ number."""
        irq = IRQ_BASE + line
        self.kernel.irq_counts.setdefault(irq, 0)

        trace = self.kernel.trace

        def on_edge(ticks: float, state: int) -> None:
            self.kernel.irq_counts[irq] += 1
            with trace.running_in("hardirq", "python3"):
                trace.emit("irq_handler_entry", irq=irq, name=f"{self.name}#GPIO{line}")
                handler()
                trace.emit("irq_handler_exit", irq=irq, ret="handled")

        pin.function = "input"
        pin.edges = edges
        pin.when_changed = on_edge
        self._watched.append((pin, irq))
        self._handlers.append(on_edge)
        self.kernel.irq_handlers[irq] = [self.name]
        return irq

    def release(self) -> None:
        """free_irq() and gpio_free() everything taken, in reverse."""
        for pin, irq in reversed(self._watched):
            pin.when_changed = None
            self.kernel.irq_handlers.pop(irq, None)
        self._watched.clear()
        for line in reversed(self._held):
            self.kernel.held.discard(line)
        self._held.clear()

    def unload(self) -> None:
        self.release()
        self.printk(unloaded_line(self.name).body())


class ButtonModel(KernelModel):
    """A button module: an LED output and two button inputs with rising-edge IRQs."""

    def __init__(self, kernel: ModelKernel, led: int | None = None, buttons: Any = None,
                 **extra: Any) -> None:
        """*led* and *buttons* default to the guide's pins, as our modules' do."""
        super().__init__(kernel)
        guide = guide_pins()
        led = guide.led if led is None else led
        buttons = guide.buttons if buttons is None else buttons
        self.check_params(led, list(buttons), **extra)
        self.led = self.request(led, f"{self.name}#led")
        self.led_line = led
        self.led.function = "output"
        self.led.state = 0
        self.irqs: list[int] = []
        for index, line in enumerate(buttons, 1):
            pin = self.request(line, f"{self.name}#button{index}")
            self.irqs.append(self.watch(pin, line, partial(self.on_press, index)))
        self.printk(loaded_line(self.name).body(
            led=led, button1=buttons[0], button2=buttons[1], irq1=self.irqs[0],
            irq2=self.irqs[1]))

    def check_params(self, led: int, buttons: list[int], **extra: Any) -> None:
        """Refuse what the module's init refuses, with -EINVAL, before taking anything."""
        if len(buttons) != 2:
            raise self.fail(errno.EINVAL, f"buttons: {len(buttons)} given, exactly 2 needed")
        if len({led, *buttons}) != 3:
            raise self.fail(errno.EINVAL, f"led {led} and buttons {buttons} must differ")

    def on_press(self, button: int) -> None:
        """The hard IRQ handler of *button* (1 or 2)."""
        raise NotImplementedError

    def set_led(self, button: int) -> str:
        """Button 1 turns the LED on, button 2 off; the word the log uses."""
        on = button == 1
        self.led.state = int(on)
        self.kernel.trace.emit("gpio_value", gpio=self.led_line, op="set", value=int(on))
        return "on" if on else "off"
