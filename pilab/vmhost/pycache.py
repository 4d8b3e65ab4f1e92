"""Bytecode for the guest: compiled on the host, read by the guest.

The guest sees the checkout and the virtualenv read-only and must not write
bytecode there, so without help it compiles every pilab module from source at
each boot, under TCG. Instead the host compiles them into a bytecode tree of its
own in the cache (``PYTHONPYCACHEPREFIX``), while the VM boots; the guest gets the
same prefix and only reads it. The prefix replaces ``__pycache__`` everywhere, so
the host also imports what the guest's commands import (the standard library and
the GPIO and input libraries included) to put their bytecode there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from pilab.paths import PACKAGE_DIR, cache_dir

PREFIX_ENV = "PYTHONPYCACHEPREFIX"
GUEST_IMPORTS = ("pilab.cli", "pilab.runner", "pilab.check.guest", "pilab.boards.vgpio",
                 "pilab.labs", "gpiozero", "evdev", "lgpio", "pytest")
_SCRIPT = f"""
import compileall, importlib, pkgutil, sys
compileall.compile_dir({str(PACKAGE_DIR)!r}, quiet=2)
for name in {GUEST_IMPORTS!r}:
    try:
        importlib.import_module(name)
    except Exception:
        pass
"""


def prefix() -> Path:
    """The bytecode tree, one per interpreter version."""
    return cache_dir() / "pycache" / sys.implementation.cache_tag


def compile_for_guest() -> threading.Thread:
    """Fill the bytecode tree in the background; the thread, to join or to forget."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env[PREFIX_ENV] = str(prefix())

    def run() -> None:
        subprocess.run([sys.executable, "-c", _SCRIPT], env=env, check=False,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=300)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread
