"""Every pilab command the README shows is a command pilab takes, as written.

The commands are read from the README itself: its shell blocks, and the first
cell of its command tables. A command with a placeholder (``LAB``, ``[--w1]``) is
a form, not a command, and is left out. Each is parsed by pilab's own parser;
those that need no VM, no Pi and no root-only device are also run, from the
virtualenv's ``pilab`` with a bare PATH, as a new user would type them.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pilab.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
PILAB = Path(sys.executable).parent / "pilab"
PLACEHOLDER = re.compile(r"\b[A-Z]{3,}\b|[\[|]|\.\.\.")
BARE_PATH = "/usr/bin:/bin"


def readme_commands() -> list[str]:
    """The pilab commands the README shows, in order, without placeholders."""
    found: list[str] = []
    in_block = False
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            in_block = not in_block
        elif in_block and ".venv/bin/pilab " in line:
            command = line[line.index(".venv/bin/pilab "):].split(" #")[0].split(" > ")[0]
            found.append(command.removeprefix(".venv/bin/").strip())
        elif line.startswith("| `pilab "):
            found += re.findall(r"`(pilab [^`]*)`", line.split("|")[1])
    return [c for c in dict.fromkeys(found) if not PLACEHOLDER.search(c)]


def on_the_host(command: str) -> bool:
    """Runs here for real: no VM, no Pi (the VM's commands have vm tests of their own)."""
    words = shlex.split(command)
    return words[1] in ("doctor", "list", "lab", "autograder") or "--board mock" in command


COMMANDS = readme_commands()
ON_THE_HOST = [c for c in COMMANDS if on_the_host(c)]


def test_the_readme_shows_commands() -> None:
    assert len(COMMANDS) >= 15, COMMANDS
    assert {"pilab doctor", "pilab lab new intrpt ~/intrpt"} <= set(ON_THE_HOST), ON_THE_HOST


@pytest.mark.parametrize("command", COMMANDS)
def test_each_readme_command_parses_as_written(command: str) -> None:
    words = shlex.split(command)
    assert words[0] == "pilab"
    try:
        _parser().parse_args(words[1:])
    except SystemExit as exc:
        pytest.fail(f"{command!r} as the README writes it is refused (exit {exc.code})")


@pytest.mark.parametrize("command", ON_THE_HOST)
def test_readme_commands_run_as_written(command: str, tmp_path: Path) -> None:
    """From the venv's bin/, with a bare PATH and a home of its own (the skeleton's ~)."""
    words = [os.path.expanduser(w).replace(os.path.expanduser("~"), str(tmp_path))
             for w in shlex.split(command)]
    env = {"PATH": BARE_PATH, "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    for name in ("PILAB_CACHE_DIR",):
        if name in os.environ:
            env[name] = os.environ[name]
    done = subprocess.run([str(PILAB), *words[1:]], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    # doctor says 1 where something optional is missing; anything else must succeed.
    allowed = (0, 1) if words[1] == "doctor" else (0,)
    assert done.returncode in allowed, f"{command}: exit {done.returncode}\n{done.stderr[-2000:]}"
    if command.endswith("--json"):
        import json

        json.loads(done.stdout)
