"""A warm VM (pilab vm up) in a cache of its own, for tests that run pilab through one.

The cache links the kernel images and builds of pilab's own cache, so nothing is
fetched or built twice, and a developer's own warm VM is left alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pilab.paths import CACHE_ENV, cache_dir
from pilab.vmhost.warmclient import COLD_ENV

ROOT = Path(__file__).resolve().parent.parent
SHARED = ("kernels", "build", "chroots")  # big, and the same for every cache


def pilab(*argv: str, cache: Path, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """``python -m pilab ARGV`` with *cache* as pilab's cache, free to use its warm VM."""
    env = {k: v for k, v in os.environ.items() if k != COLD_ENV}
    return subprocess.run([sys.executable, "-m", "pilab", *argv], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout, check=False,
                          env={**env, CACHE_ENV: str(cache)})


@contextmanager
def own_cache(owner: int, idle: str = "20m") -> Iterator[Path]:
    """A cache of its own with a warm VM up, owned by process *owner*; brought down after."""
    real = cache_dir()
    mine = real.parent / f"pilab-warmtest-{uuid.uuid4().hex[:8]}"
    mine.mkdir()
    for name in SHARED:
        (real / name).mkdir(parents=True, exist_ok=True)
        (mine / name).symlink_to(real / name)
    try:
        keep_up(mine, owner, idle)
        yield mine
    finally:
        pilab("vm", "down", cache=mine, timeout=120)
        shutil.rmtree(mine, ignore_errors=True)


def keep_up(cache: Path, owner: int, idle: str) -> None:
    """A warm VM up in *cache*: the one running, or a new one if it stopped for idleness
    while slower tests ran (its owner *owner*, stopping after *idle* without a command)."""
    up = pilab("vm", "up", "--idle", idle, "--owner", str(owner), cache=cache)
    assert up.returncode == 0 or "is already running" in up.stderr, up.stderr
    used = pilab("vm", "--", "true", cache=cache)  # its idle time starts again now
    assert used.returncode == 0 and "using the warm VM" in used.stderr, used.stderr
