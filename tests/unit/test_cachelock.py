"""Two pilabs filling one cache entry: the second waits; a killed first frees it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HOLD = """
import sys
from pathlib import Path
from pilab.cachelock import filling
with filling(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()
"""
TAKE = """
import sys
from pathlib import Path
from pilab.cachelock import filling
with filling(Path(sys.argv[1])):
    print("got", flush=True)
"""


def python(code: str, entry: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", code, str(entry)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def test_a_second_pilab_waits_and_a_killed_first_frees_the_entry(tmp_path: Path) -> None:
    entry = tmp_path / "kernels" / "6.1.0-1-amd64"
    holder = python(HOLD, entry)
    waiter = None
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        waiter = python(TAKE, entry)
        assert waiter.stderr is not None
        assert "waiting for another pilab to finish" in waiter.stderr.readline()
        assert waiter.poll() is None  # still waiting: the holder has not let go
        holder.kill()  # a pilab killed mid-fill: the kernel drops its flock
        out, _ = waiter.communicate(timeout=60)
        assert out == "got\n" and waiter.returncode == 0
    finally:
        for proc in (holder, waiter):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()


def test_an_entry_nobody_holds_is_taken_at_once(tmp_path: Path) -> None:
    taker = python(TAKE, tmp_path / "build" / "6.1.0-1-amd64")
    out, err = taker.communicate(timeout=60)
    assert out == "got\n" and "waiting" not in err


FILL = """
import sys
from pathlib import Path
from pilab.cachelock import fill_once
entry = Path(sys.argv[1])

def fill() -> None:
    print("filling", flush=True)
    sys.stdin.readline()  # until the test lets it finish
    entry.write_text(sys.argv[0] + "\\n")
    print("filled", flush=True)

fill_once(entry, entry.exists, fill)
print("ready", flush=True)
"""


def test_fill_once_fills_an_entry_once_however_many_ask(tmp_path: Path) -> None:
    """The second asks while the first fills: it waits, then finds the entry made."""
    entry = tmp_path / "kernels" / "6.1.0-1-amd64"
    first = python(FILL, entry)
    second = None
    try:
        assert first.stdout is not None and first.stdout.readline() == "filling\n"
        second = python(FILL, entry)
        assert second.stderr is not None
        assert "waiting for another pilab to finish" in second.stderr.readline()
        out, _ = first.communicate("go\n", timeout=60)
        assert out.splitlines() == ["filled", "ready"]
        out, _ = second.communicate(timeout=60)
        assert out.splitlines() == ["ready"]  # it did not fill again
        assert entry.read_text() == "-c\n"
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
