"""Lab latency: how long from a button's edge to the LED, through five paths."""

from pilab.labs.latency.lab import LatencyLab as LAB

# The kernel module it loads.
MODULES = ("latency",)

__all__ = ["LAB", "MODULES"]
