"""Lab gpio_keys (guide 15 + 16): a GPIO button that types, debounced, through evdev."""

from pilab.labs.gpio_keys.lab import GpioKeysLab as LAB
from pilab.labs.gpio_keys.model import GpioKeysModel as MODEL

# The kernel module it loads.
MODULES = ("gpio_keys",)

__all__ = ["LAB", "MODEL", "MODULES"]
