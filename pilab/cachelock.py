"""One pilab at a time fills each cache entry: a kernel's files, a build, a chroot.

Two pilabs may share one cache (a teacher's two terminals, two graders, the
test suite's workers). Whoever fills an entry holds an flock on a lock file
beside it; the other waits, then finds the entry made. The kernel drops an
flock when its holder dies, so a killed pilab leaves nothing locked.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pilab.progress import say


@contextmanager
def filling(entry: Path) -> Iterator[None]:
    """Hold *entry*'s lock (``ENTRY.lock`` beside it) while the caller fills it."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    with entry.with_name(f"{entry.name}.lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another pilab to finish {entry} ...")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # closing the file drops the lock


def fill_once(entry: Path, ready: Callable[[], bool], fill: Callable[[], None]) -> None:
    """Fill *entry* with *fill* unless *ready*; asked again under the lock, as another
    pilab may have filled it while this one waited."""
    if ready():
        return
    with filling(entry):
        if not ready():
            fill()
