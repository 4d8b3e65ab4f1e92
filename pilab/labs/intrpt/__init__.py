"""Lab intrpt (guide 15.2): GPIO button interrupts switch an LED."""

from pilab.labs.intrpt.lab import IntrptLab as LAB
from pilab.labs.intrpt.model import IntrptModel as MODEL

# The kernel module it loads.
MODULES = ("intrpt",)

__all__ = ["LAB", "MODEL", "MODULES"]
