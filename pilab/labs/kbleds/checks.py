"""The kbleds lab's checks, for anyone's module (``pilab check kbleds``)."""

from pilab.labs.common.checks import behaviour_check

CHECKS = [
    behaviour_check("a timer blinks the LEDs through the console's tty (KDSETLED); on unload, "
                    "stop the timer and restore the LEDs (RESTORE_LEDS)"),
]
