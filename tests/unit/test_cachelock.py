"""Two pilabs filling one cache entry: the second waits; a killed first frees it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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


Start = Callable[[str, Path], "subprocess.Popen[str]"]


@pytest.fixture
def pilab() -> Iterator[Start]:
    """Starts a Python that runs code on a cache entry; whatever still runs is killed."""
    started: list[subprocess.Popen[str]] = []

    def start(code: str, entry: Path) -> subprocess.Popen[str]:
        started.append(subprocess.Popen([sys.executable, "-c", code, str(entry)], text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE))
        return started[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_second_pilab_waits_and_a_killed_first_frees_the_entry(tmp_path: Path,
                                                                 pilab: Start) -> None:
    entry = tmp_path / "kernels" / "6.1.0-1-amd64"
    holder = pilab(HOLD, entry)
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    waiter = pilab(TAKE, entry)
    assert waiter.stderr is not None
    assert "waiting for another pilab to finish" in waiter.stderr.readline()
    assert waiter.poll() is None  # still waiting: the holder has not let go
    holder.kill()  # a pilab killed mid-fill: the kernel drops its flock
    out, _ = waiter.communicate(timeout=60)
    assert out == "got\n" and waiter.returncode == 0


def test_an_entry_nobody_holds_is_taken_at_once(tmp_path: Path, pilab: Start) -> None:
    taker = pilab(TAKE, tmp_path / "build" / "6.1.0-1-amd64")
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


def test_fill_once_fills_an_entry_once_however_many_ask(tmp_path: Path,
                                                        pilab: Start) -> None:
    """The second asks while the first fills: it waits, then finds the entry made."""
    entry = tmp_path / "kernels" / "6.1.0-1-amd64"
    first = pilab(FILL, entry)
    assert first.stdout is not None and first.stdout.readline() == "filling\n"
    second = pilab(FILL, entry)
    assert second.stderr is not None
    assert "waiting for another pilab to finish" in second.stderr.readline()
    out, _ = first.communicate("go\n", timeout=60)
    assert out.splitlines() == ["filled", "ready"]
    out, _ = second.communicate(timeout=60)
    assert out.splitlines() == ["ready"]  # it did not fill again
    assert entry.read_text() == "-c\n"
