"""Is this process inside the vm board's VM? Asked in one place only."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

GUEST_ENV = "PILAB_GUEST"  # set by the vm board's launcher for the guest's command
EMULATE_ENV = "PILAB_EMULATE"  # inside the VM: the Pi model the guest pretends to be
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NOT_FOUND = 127  # a command that cannot be run in the guest exits so, as a shell's does


def in_guest(env: Mapping[str, str] | None = None) -> bool:
    """True inside pilab's VM, where the vm board's guest side runs."""
    return (os.environ if env is None else env).get(GUEST_ENV) == "1"


def emulated_model() -> str | None:
    """Inside the VM, the Pi model (pi3/pi4/pi5) it emulates, if any."""
    return os.environ.get(EMULATE_ENV) or None if in_guest() else None


def guest_path() -> str:
    """The guest command's PATH: this Python's bin/ first (pilab and the other scripts of
    its virtualenv), then the system's, sbin included."""
    return f"{Path(sys.executable).parent}:{SYSTEM_PATH}"


def cannot_run(command: str, why: str, path: str) -> str:
    """The one error for a command the VM cannot run, wherever it is found out."""
    return f"pilab: error: {command}: {why} in the VM (its PATH is {path})"


def command_missing(command: str) -> str | None:
    """Why *command* cannot be run in the guest, which shares this machine's files (None:
    it can, or only the guest can tell: a relative path, from the guest's own cwd)."""
    if "/" not in command:
        found = shutil.which(command, path=guest_path())
        return None if found else cannot_run(command, "command not found", guest_path())
    if command.startswith("/") and not os.access(command, os.X_OK):
        return cannot_run(command, "not an executable file", guest_path())
    return None
