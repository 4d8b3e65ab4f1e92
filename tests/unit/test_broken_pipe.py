"""A reader that leaves early (`pilab ... | head`) ends pilab quietly, as a shell tool."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("words", [["wiring", "show", "latency"],
                                   ["run", "intrpt", "--board", "mock"]])
def test_a_closed_pipe_is_no_traceback(words: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before pilab writes a byte
    try:
        done = subprocess.run([sys.executable, "-m", "pilab", *words], stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    finally:
        os.close(write)
    assert "Traceback" not in done.stderr
    assert done.returncode == 141, done.stderr
