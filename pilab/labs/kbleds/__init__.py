"""Lab kbleds (guide 10.4): blink the keyboard LEDs (no model)."""

from pilab.labs.kbleds.lab import KbledsLab as LAB

# The kernel module it loads.
MODULES = ("kbleds",)

__all__ = ["LAB", "MODULES"]
