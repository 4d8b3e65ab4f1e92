"""The bottomhalf lab's checks, for anyone's module (``pilab check bottomhalf``)."""

from pilab.check.interface import gpio_pins
from pilab.labs.common.checks import GPIO_ROBUSTNESS, HALVES_ROBUSTNESS, behaviour_check

INTERFACE = gpio_pins
CHECKS = [
    behaviour_check("the top half (hard IRQ handler) switches the LED and schedules the bottom "
                    "half (tasklet_schedule, queue_work...), which does the slow work"),
    *HALVES_ROBUSTNESS,
    *GPIO_ROBUSTNESS,
]
