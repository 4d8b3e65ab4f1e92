"""Model of kmods/gpio_keys.c: both edges restart a debounce, which reports the key."""

from __future__ import annotations

import errno
import threading
from typing import Any

from evdev import ecodes

from pilab.kernel.inputs import ModelInput
from pilab.labs.common.model import KernelModel, ModelKernel
from pilab.labs.gpio_keys.loglines import LOADED
from pilab.wiring import load_wiring

DEBOUNCE_MAX_MS = 1000


class GpioKeysModel(KernelModel):
    """What gpio_keys.ko does, on mock pins: the debounce is a threading.Timer."""

    name = "gpio_keys"

    def __init__(self, kernel: ModelKernel, button: int | None = None,
                 code: int = ecodes.KEY_ENTER, debounce_ms: int = 5, **extra: Any) -> None:
        super().__init__(kernel)
        button = load_wiring(self.name).buttons[0] if button is None else button
        if button < 0 or not 0 < code <= ecodes.KEY_MAX or not 0 <= debounce_ms <= \
                DEBOUNCE_MAX_MS:
            raise self.fail(errno.EINVAL, f"button {button}, code {code}, debounce_ms "
                            f"{debounce_ms}: out of range")
        self.code, self.delay = code, debounce_ms / 1000
        self.pin = self.request(button, f"{self.name}#button")
        self.node = f"model:{self.name}/input0"
        self.input = ModelInput(self.node, "pilab gpio_keys", [code])
        kernel.inputs[self.node] = self.input
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        self.pressed = False
        self.irq = self.watch(self.pin, button, self.on_edge, edges="both")
        self.printk(LOADED.body(button=button, irq=self.irq, code=code))

    def on_edge(self) -> None:
        """The hard IRQ handler: mod_delayed_work()."""
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
            self.timer = threading.Timer(self.delay, self.read)
            self.timer.start()

    def read(self) -> None:
        """The work: report the level if it changed."""
        level = bool(self.pin.state)
        if level != self.pressed:
            self.pressed = level
            self.input.report_key(self.code, int(level))

    def unload(self) -> None:
        """free_irq(), cancel_delayed_work_sync(), input_unregister_device(), gpio_free()."""
        self.release()
        with self.lock:
            timer, self.timer = self.timer, None
        if timer is not None:
            timer.cancel()
            timer.join()
        self.kernel.inputs.pop(self.node, None)
