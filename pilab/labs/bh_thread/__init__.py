"""Lab bh_thread (guide 15.4): the top half wakes the IRQ's thread, which works."""

from pilab.labs.bh_thread.lab import BhThreadLab as LAB
from pilab.labs.bh_thread.model import BhThreadModel as MODEL

# The kernel module it loads.
MODULES = ("bh_thread",)

__all__ = ["LAB", "MODEL", "MODULES"]
