"""The intrpt lab's checks, for anyone's module (``pilab check intrpt``)."""

from pilab.check.interface import gpio_pins
from pilab.labs.common.checks import GPIO_ROBUSTNESS, behaviour_check

INTERFACE = gpio_pins
CHECKS = [
    behaviour_check("button 1's handler sets the LED, button 2's clears it; request_irq each "
                    "button's gpio_to_irq() number, with a rising (or both) edge trigger"),
    *GPIO_ROBUSTNESS,
]
