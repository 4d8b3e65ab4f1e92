"""Lab vkbd (guide 16): a virtual keyboard driven through /dev/vinputN (no model)."""

from pilab.labs.vkbd.lab import VkbdLab as LAB

__all__ = ["LAB"]
