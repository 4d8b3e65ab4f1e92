"""How pilab ends on a signal: SIGTERM and SIGHUP unwind like Ctrl-C.

Every signal that asks pilab to stop raises :class:`Stopped`, a
KeyboardInterrupt, so the ``finally`` blocks that unload modules and stop the
VM run for all of them alike; pilab then exits with 128 + the signal's number.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
# Held back while pilab stops the VM, so a second Ctrl-C cannot cut the stop short.
DEFERRED = {signal.SIGINT, *STOP_SIGNALS}


class Stopped(KeyboardInterrupt):
    """pilab was told to stop by a signal; cleanup runs as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


def stop_on_signals() -> None:
    """From now on SIGTERM and SIGHUP raise Stopped (a no-op off the main thread)."""
    if threading.current_thread() is threading.main_thread():
        for signum in STOP_SIGNALS:
            signal.signal(signum, _raise_stopped)


def signal_of(exc: KeyboardInterrupt) -> signal.Signals:
    """The signal behind *exc*: a plain KeyboardInterrupt is Ctrl-C's SIGINT."""
    return signal.Signals(exc.signum if isinstance(exc, Stopped) else signal.SIGINT)


def exit_code(exc: KeyboardInterrupt) -> int:
    """The shell's convention: 128 + the signal's number."""
    return 128 + signal_of(exc)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold back SIGINT, SIGTERM and SIGHUP for the block: they arrive after it."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
