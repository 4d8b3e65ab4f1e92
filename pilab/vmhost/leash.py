"""Start a process tree that cannot outlive pilab, and stop all of it.

The command runs as the init of a PID namespace of its own, under
``unshare --pid --fork --kill-child``: when unshare dies the kernel kills that
init, and when a namespace's init dies the kernel kills everything in the
namespace. unshare itself gets SIGKILL from the kernel the moment pilab dies
(PR_SET_PDEATHSIG), so even ``kill -9`` on pilab leaves no vng or QEMU behind.
Root needs nothing more; another user gets a user namespace that maps them to
themselves. Where neither works (no util-linux, user namespaces disabled) the
tree runs in a session of its own: every ending pilab sees still stops it, but
a SIGKILL to pilab would leave it running, and pilab says so.

Every process of a tree has PILAB_RUN_ID in its environment: the run's
identity in /proc, for tests and for people. The VM launcher and a long-lived
(warm) VM both start through :func:`start`.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import IO

from pilab.progress import say
from pilab.signals import deferred

RUN_ID_ENV = "PILAB_RUN_ID"
PR_SET_PDEATHSIG = 1
STOP_WAIT = 10.0  # seconds for the kernel to tear a namespace down


def new_run_id() -> str:
    """A fresh run identity; a caller may choose it by setting PILAB_RUN_ID."""
    return os.environ.get(RUN_ID_ENV) or f"pilab-{uuid.uuid4().hex[:12]}"


def run_members(run_id: str) -> dict[int, str]:
    """The live processes of run *run_id* (pid: command name), found by their environment."""
    mark = f"{RUN_ID_ENV}={run_id}".encode()
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if mark in (proc / "environ").read_bytes().split(b"\0"):
                found[int(proc.name)] = (proc / "comm").read_text().strip()
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


@functools.cache
def namespace_prefix() -> tuple[str, ...] | None:
    """The unshare command that gives a tree its own PID namespace, if one works here."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    prefix = [unshare, "--pid", "--fork", "--kill-child"]
    if os.geteuid() != 0:
        prefix += [f"--map-user={os.getuid()}", f"--map-group={os.getgid()}"]
    try:
        probe = subprocess.run([*prefix, "--", "true"], capture_output=True, timeout=10,
                               check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return tuple(prefix) if probe.returncode == 0 else None


def _die_with(parent: int) -> Callable[[], None]:
    """A preexec_fn: the child gets SIGKILL when *parent* (this pilab) dies."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # pilab died before the leash was on
            os._exit(1)

    return arm


class Leashed:
    """A running tree started by :func:`start`."""

    def __init__(self, proc: subprocess.Popen[bytes], run_id: str, contained: bool) -> None:
        self.proc = proc
        self.run_id = run_id
        self.contained = contained

    def _init_pid(self) -> int | None:
        """The namespace's init: unshare's only child."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            found = children.read_text().split()
        except OSError:
            return None
        return int(found[0]) if found else None

    def stop(self) -> None:
        """Kill the whole tree and wait until the kernel has removed it."""
        with deferred():
            if self.proc.returncode is not None:
                return  # ended and reaped: its namespace went with it
            init = self._init_pid() if self.contained else None
            if init is not None:
                # unshare exits once its namespace is empty: then nothing is left.
                with suppress(ProcessLookupError):
                    os.kill(init, signal.SIGKILL)
                with suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=STOP_WAIT)
            if self.proc.returncode is None:  # not reaped: the group's id is still ours
                with suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start(cmd: list[str], *, run_id: str, cwd: Path, env: Mapping[str, str],
          stdout: IO[bytes] | int | None, stderr: int = subprocess.STDOUT) -> Leashed:
    """Start *cmd* so that neither it nor anything it starts outlives pilab.

    The kernel's parent-death signal follows the starting *thread*: start from the
    main thread, or from one that lives as long as the tree should.
    """
    prefix = namespace_prefix()
    if prefix is None:
        say("no PID namespace here (util-linux unshare, or user namespaces, missing): "
            "if pilab is killed with SIGKILL the VM may keep running")
    proc = subprocess.Popen(
        [*(prefix or ()), *cmd], cwd=cwd, env={**env, RUN_ID_ENV: run_id},
        stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
        start_new_session=True, preexec_fn=_die_with(os.getpid()),
    )
    return Leashed(proc, run_id, contained=prefix is not None)
