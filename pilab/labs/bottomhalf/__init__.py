"""Lab bottomhalf (guide 15.3): a top half switches the LED, a tasklet works."""

from pilab.labs.bottomhalf.lab import BottomhalfLab as LAB
from pilab.labs.bottomhalf.model import BottomhalfModel as MODEL

# The kernel module it loads.
MODULES = ("bottomhalf",)

__all__ = ["LAB", "MODEL", "MODULES"]
