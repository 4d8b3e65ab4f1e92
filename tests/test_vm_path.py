"""`pilab vm -- CMD` finds CMD as a shell would: the README's own command, with a clean PATH.

The guest's PATH puts this virtualenv's bin/ first, so bare ``pilab`` (and the
venv's other scripts) run in the guest however pilab itself was started. A command
the guest has not got is ``pilab: error: ...`` with exit code 127, said before a boot.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CLEAN_PATH = "/usr/bin:/bin"  # no virtualenv on it


def readme_command(start: str) -> list[str]:
    """The README's command that begins with *start*, exactly as written there."""
    found = re.findall(rf"`({re.escape(start)}[^`]*)`", (ROOT / "README.md").read_text())
    assert found, f"the README names no command starting {start!r}"
    return shlex.split(found[0])


def pilab_clean_path(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """*argv* (pilab ...) from the venv's bin/ with a PATH that does not hold it."""
    assert argv[0] == "pilab"
    return subprocess.run([str(VENV_BIN / "pilab"), *argv[1:]], capture_output=True, text=True,
                          check=False, cwd=ROOT, env={**os.environ, "PATH": CLEAN_PATH})


@pytest.mark.vm
def test_the_readme_pi5_doctor_command_runs() -> None:
    argv = readme_command("pilab vm --model pi5 -- pilab doctor")
    proc = pilab_clean_path(argv)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert "Raspberry Pi 5" in report["board"] and report["emulated_by"] == "vm", report
    missing = [check for check in report["checks"] if not check["ok"]]
    print("doctor in the emulated Pi 5 misses:", missing)
    assert proc.returncode == (1 if missing else 0), "doctor's own exit code, through the VM"


@pytest.mark.parametrize("model", [[], ["--model", "pi5"]])
def test_a_command_the_guest_has_not_got_is_an_error_before_a_boot(model: list[str]) -> None:
    proc = pilab_clean_path(["pilab", "vm", *model, "--", "no-such-command-pilab"])
    assert proc.returncode == 127, proc.stderr
    said = "pilab: error: no-such-command-pilab: command not found in the VM"
    assert proc.stderr.startswith(said), proc.stderr
    assert "Traceback" not in proc.stderr and "booting" not in proc.stderr


@pytest.mark.vm
def test_a_long_command_runs_whole() -> None:
    """vng carries the guest's command on the kernel's command line, which x86 cuts at
    2048 bytes (a cut one hung the boot, the VM idle): a command of any length runs,
    every byte and quote of it."""
    word = "it's \"$HOME\" `x` " + "a" * 3000
    proc = subprocess.run([str(VENV_BIN / "pilab"), "vm", "--", "echo", word],
                          capture_output=True, text=True, check=False, cwd=ROOT,
                          env={**os.environ, "PATH": CLEAN_PATH}, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == word + "\n"
