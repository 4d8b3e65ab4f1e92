"""Lab latency: how long from a button's edge to the LED, through five paths."""

from pilab.labs.latency.lab import LatencyLab as LAB

__all__ = ["LAB"]
