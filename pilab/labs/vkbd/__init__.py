"""Lab vkbd (guide 16): a virtual keyboard driven through /dev/vinputN (no model)."""

from pilab.labs.vkbd.lab import VkbdLab as LAB

# The kernel modules it loads, in load order; its own is last.
MODULES = ("vinput", "vkbd")

__all__ = ["LAB", "MODULES"]
