"""Where pilab keeps things: its cache, and the sources it carries as package data."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "PILAB_CACHE_DIR"  # also passed into the VM, so the guest finds the builds
PACKAGE_DIR = Path(__file__).resolve().parent
# kmods/ travels inside the package (a link in the checkout, files in a wheel).
KMOD_SOURCES = PACKAGE_DIR / "kmods"
LABS_DIR = PACKAGE_DIR / "labs"


def cache_dir() -> Path:
    """pilab's cache: kernel images, module builds, chroots."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pilab"


def build_dir(release: str) -> Path:
    """Where the modules for kernel *release* are built: never in the sources."""
    return cache_dir() / "build" / release
