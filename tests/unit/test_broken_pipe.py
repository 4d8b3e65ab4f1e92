"""A reader that leaves early (`pilab ... | head`) ends pilab quietly, as a shell tool."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("unbuffered", ["", "1"])  # the error comes at print, or at exit
@pytest.mark.parametrize("words", [["list"], ["wiring", "show", "latency"],
                                   ["run", "intrpt", "--board", "mock"]])
def test_a_closed_pipe_is_no_traceback(words: list[str], unbuffered: str) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before pilab writes a byte
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    try:
        done = subprocess.run([sys.executable, "-m", "pilab", *words], stdout=write, env=env,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    finally:
        os.close(write)
    assert "Traceback" not in done.stderr
    assert done.returncode == 141, done.stderr
