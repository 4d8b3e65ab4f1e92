"""The leash: a process tree started through it dies with pilab, even on SIGKILL.

No VM here: a shell whose children fork and even leave its session stands in
for vng, virtme-run and QEMU. Its processes are found by their run id.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from pilab.vmhost.leash import RUN_ID_ENV, namespace_prefix, run_members, start

# A tree like vng's: a child, a grandchild that escapes into its own session, and the shell.
TREE = ["sh", "-c", "sleep 300 & setsid sh -c 'sleep 301' & exec sleep 302"]
OWNER = """
import os, sys
from pathlib import Path
from pilab.vmhost.leash import start
start(sys.argv[1:], run_id=os.environ["PILAB_RUN_ID"], cwd=Path("/"), env=os.environ,
      stdout=None)
print("started", flush=True)
sys.stdin.read()
"""

needs_namespace = pytest.mark.skipif(
    namespace_prefix() is None, reason="no PID namespace here: the SIGKILL guarantee is off")


def _wait_for(predicate: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _run_id() -> str:
    return f"test-leash-{uuid.uuid4().hex[:8]}"


@needs_namespace
def test_stop_returns_only_when_the_whole_tree_is_gone() -> None:
    run_id = _run_id()
    tree = start(TREE, run_id=run_id, cwd=Path("/"), env=os.environ, stdout=None)
    assert _wait_for(lambda: len(run_members(run_id)) >= 5, 10), run_members(run_id)
    tree.stop()
    assert run_members(run_id) == {}


@needs_namespace
def test_a_sigkilled_owner_takes_its_tree_with_it() -> None:
    run_id = _run_id()
    owner = subprocess.Popen([sys.executable, "-c", OWNER, *TREE], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, RUN_ID_ENV: run_id})
    try:
        assert owner.stdout is not None and owner.stdout.readline() == "started\n"
        assert _wait_for(lambda: len(run_members(run_id)) >= 6, 10), run_members(run_id)
        owner.send_signal(signal.SIGKILL)
        owner.wait()
        assert _wait_for(lambda: not run_members(run_id), 5), run_members(run_id)
    finally:
        owner.kill()
        for pid in run_members(run_id):
            os.kill(pid, signal.SIGKILL)


def test_a_tree_that_ends_by_itself_passes_its_exit_code_through() -> None:
    tree = start(["sh", "-c", "exit 7"], run_id=_run_id(), cwd=Path("/"), env=os.environ,
                 stdout=None)
    assert tree.proc.wait(timeout=10) == 7
    tree.stop()
