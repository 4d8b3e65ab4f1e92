"""Is this process inside the vm board's VM? Asked in one place only."""

from __future__ import annotations

import os
from collections.abc import Mapping

GUEST_ENV = "PILAB_GUEST"  # set by the vm board's launcher for the guest's command
EMULATE_ENV = "PILAB_EMULATE"  # inside the VM: the Pi model the guest pretends to be


def in_guest(env: Mapping[str, str] | None = None) -> bool:
    """True inside pilab's VM, where the vm board's guest side runs."""
    return (os.environ if env is None else env).get(GUEST_ENV) == "1"


def emulated_model() -> str | None:
    """Inside the VM, the Pi model (pi3/pi4/pi5) it emulates, if any."""
    return os.environ.get(EMULATE_ENV) or None if in_guest() else None
