"""The bh_thread lab's checks, for anyone's module (``pilab check bh_thread``)."""

from pilab.check.interface import gpio_pins
from pilab.labs.common.checks import GPIO_ROBUSTNESS, HALVES_ROBUSTNESS, behaviour_check

INTERFACE = gpio_pins
CHECKS = [
    behaviour_check("request_threaded_irq(): the top half returns IRQ_WAKE_THREAD, the thread "
                    "function switches the LED and may sleep"),
    *HALVES_ROBUSTNESS,
    *GPIO_ROBUSTNESS,
]
