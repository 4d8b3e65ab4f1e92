"""Progress lines for long steps (download, build, boot)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def say(message: str) -> None:
    """A progress line on stderr, so --json output on stdout stays clean."""
    print(f"pilab: {message}", file=sys.stderr, flush=True)


@contextmanager
def progress(what: str) -> Iterator[None]:
    """Announce a long step and how long it took."""
    say(f"{what} ...")
    start = time.monotonic()
    try:
        yield
    except BaseException:
        say(f"{what}: failed after {time.monotonic() - start:.1f}s")
        raise
    say(f"{what}: done in {time.monotonic() - start:.1f}s")
