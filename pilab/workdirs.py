"""Working directories in the cache that a killed pilab does not leave behind.

A build's directory and a VM run's scratch directory are removed when pilab is
done with them, but a SIGKILL gives pilab no chance to. Each such directory is
named with its pilab's pid, and that pilab holds an flock on ``owners/PID`` in the
cache for as long as it lives (the kernel drops it when the process dies). Making
a new directory removes its siblings whose owner no longer holds its lock.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from pathlib import Path

from pilab.paths import cache_dir

OWNED = re.compile(r"-p(\d+)-[^-]+$")  # LABEL-pPID-RANDOM
_held: dict[int, int] = {}  # pid -> the fd that holds its owner lock (one per process)


def _owners() -> Path:
    return cache_dir() / "owners"


def _hold() -> None:
    """Hold this process's owner lock, once per process (a fork takes a new one)."""
    pid = os.getpid()
    while pid not in _held:
        _owners().mkdir(parents=True, exist_ok=True)
        fd = os.open(_owners() / str(pid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # a dead process's with our pid: ours now
        if os.fstat(fd).st_nlink:
            _held[pid] = fd
        else:  # a sweep removed it just before we locked it: make it again
            os.close(fd)


def _gone(pid: int) -> bool:
    """Has the pilab that made directories with *pid* in their name ended? Its owner
    file, if left, is removed (under its lock, which _hold() checks for)."""
    if pid == os.getpid():
        return False
    owner = _owners() / str(pid)
    try:
        fd = os.open(owner, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        owner.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)


def sweep(parent: Path) -> list[Path]:
    """Remove *parent*'s working directories whose pilab is gone; what was removed."""
    gone = []
    for path in sorted(parent.glob("*-p*-*")):
        match = OWNED.search(path.name)
        if match and path.is_dir() and _gone(int(match[1])):
            shutil.rmtree(path, ignore_errors=True)
            gone.append(path)
    return gone


def make(parent: Path, label: str) -> Path:
    """A new directory in *parent* named LABEL-pPID-RANDOM, after sweeping the dead's."""
    _hold()
    parent.mkdir(parents=True, exist_ok=True)
    sweep(parent)
    return Path(tempfile.mkdtemp(prefix=f"{label}-p{os.getpid()}-", dir=parent))
