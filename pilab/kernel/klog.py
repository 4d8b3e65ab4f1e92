"""The kernel log, read from /dev/kmsg with a cursor, and its health gate."""

from __future__ import annotations

import errno
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pilab.errors import KernelUnhealthy, MissingDependency

# What a healthy kernel never prints: splats, crashes and corruption reports.
UNHEALTHY = re.compile(
    r"WARNING:|BUG:|Oops|general protection|refcount_t|list_(add|del) corruption"
    r"|list corruption|UBSAN:|KASAN:|kernel NULL pointer"
)

# The first sign, in a console line, of a kernel going down: a splat, a panic, the
# OOM killer, a fault QEMU reports. A crash excerpt starts there.
CRASH_LINE = re.compile(
    r"Oops|BUG:|WARNING:|Kernel panic|RIP:|general protection|Out of memory|oom-kill"
    r"|triple fault|watchdog: BUG|PANIC: early exception"
)


def crash_excerpt(lines: Sequence[str], count: int) -> list[str]:
    """*count* of *lines* from the first sign of a crash in them, else the last *count*."""
    first = next((i for i, line in enumerate(lines) if CRASH_LINE.search(line)), None)
    start = first if first is not None else max(0, len(lines) - count)
    return list(lines[start:start + count])


@dataclass(frozen=True)
class Record:
    """One kernel log record: sequence number, time in microseconds, text."""

    seq: int
    usec: int
    level: int
    text: str

    @property
    def seconds(self) -> float:
        return self.usec / 1e6


def parse_record(raw: str) -> Record | None:
    """Parse one /dev/kmsg record: ``pri,seq,usec,flags[,...];text``."""
    header, sep, rest = raw.partition(";")
    if not sep:
        return None
    fields = header.split(",")
    if len(fields) < 3:
        return None
    try:
        pri, seq, usec = int(fields[0]), int(fields[1]), int(fields[2])
    except ValueError:
        return None
    text = rest.split("\n", 1)[0]  # continuation lines (" KEY=value") dropped
    text = re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), text)
    return Record(seq, usec, pri & 7, text)


def problems(records: Iterable[Record]) -> list[str]:
    """The records that fail the health gate."""
    return [r.text for r in records if UNHEALTHY.search(r.text)]


MAX_RECORDS = 5000  # kept in memory; a flood beyond that keeps only its latest lines
POLL_RECORDS = 5000  # read by one poll(), however fast the kernel logs


class LogCursor:
    """Records seen since a lab began, with the lab's queries on them.

    At most MAX_RECORDS are kept, however much a module logs; every record is
    still counted (``seen``) and searched for trouble (``trouble``).
    """

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.seen = 0
        self.trouble: list[str] = []

    def keep(self, new: list[Record]) -> None:
        """Add *new* records, bounded, noting any that fail the health gate."""
        self.seen += len(new)
        self.trouble += problems(new)[:10]
        self.records.extend(new)
        if len(self.records) > MAX_RECORDS:
            del self.records[:-MAX_RECORDS]

    def poll(self) -> list[Record]:
        """Fetch records that arrived since the last poll."""
        return []

    def lines(self, prefix: str = "") -> list[Record]:
        """Records so far whose text starts with *prefix* (e.g. ``intrpt: ``)."""
        self.poll()
        return [r for r in self.records if r.text.startswith(prefix)]

    def wait_for(self, pattern: str, timeout: float = 2.0, count: int = 1) -> list[Record]:
        """Wait until *count* records match the regex *pattern*; return them."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            found = [r for r in self.records if regex.search(r.text)]
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            time.sleep(0.02)

    def check_health(self) -> None:
        """Raise KernelUnhealthy if any record so far fails the gate."""
        self.poll()
        bad = self.trouble or problems(self.records)
        if bad:
            raise KernelUnhealthy("kernel log: " + " | ".join(bad[:3]))

    def close(self) -> None:
        """Release the log."""


class KernelLog(LogCursor):
    """A cursor on /dev/kmsg that sees only records made after it opened."""

    def __init__(self, path: str = "/dev/kmsg") -> None:
        super().__init__()
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            raise MissingDependency(f"{path} does not exist: is this Linux?") from None
        except PermissionError:
            raise MissingDependency(
                f"cannot read {path}", hint="run as root, or: sysctl kernel.dmesg_restrict=0"
            ) from None
        os.lseek(self._fd, 0, os.SEEK_END)
        self._last_seq: int | None = None

    def poll(self) -> list[Record]:
        """Read what arrived since the last poll, at most POLL_RECORDS; keep it in ``records``.

        The bound keeps a flood from holding the caller in here for ever. Records
        the kernel overwrote before they were read still count in ``seen``: the
        gap in sequence numbers says how many.
        """
        new: list[Record] = []
        missed = 0
        for _ in range(POLL_RECORDS):
            try:
                raw = os.read(self._fd, 8192)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.EPIPE:  # overwritten before we read it
                    continue
                raise
            if not raw:
                break
            record = parse_record(raw.decode("utf-8", "replace"))
            if record is not None:
                if self._last_seq is not None and record.seq > self._last_seq + 1:
                    missed += record.seq - self._last_seq - 1
                self._last_seq = record.seq
                new.append(record)
        self.keep(new)
        self.seen += missed
        return new

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1



class ModelLog(LogCursor):
    """A log that Python models of the modules write to (the mock board)."""

    def __init__(self) -> None:
        super().__init__()
        self._seq = 0
        self._start = time.monotonic()

    def printk(self, text: str, level: int = 6) -> None:
        """Append a record, as the module's pr_info would."""
        usec = int((time.monotonic() - self._start) * 1e6)
        self.records.append(Record(self._seq, usec, level, text))
        self._seq += 1
