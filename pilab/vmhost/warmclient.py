"""Run a command in the warm VM instead of booting one (see warm.py and serve.py).

:func:`warm_vm_for` says whether a warm VM for this kernel is up and can see the
command's directories; :meth:`WarmVm.run` hands it the command, streams its output
and returns its exit code, as a cold run would. One command at a time: a second
waits for the first, and says so.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pilab.errors import VmError
from pilab.progress import say
from pilab.vmhost.warmstate import (
    WarmState,
    ago,
    code_stamp,
    console_path,
    read_state,
    release_of_image,
    runs_dir,
    share_dir,
    touch_used,
)

if TYPE_CHECKING:
    from pilab.vmhost.launch import Output

COLD_ENV = "PILAB_VM_COLD"  # 1: boot a fresh VM even while a warm one is up
POLL = 0.05
READY_WAIT = 900.0  # a reboot after a crash, under TCG on a busy host
STOP_WAIT = 60.0  # for the supervisor to report the stopped VM


def warm_vm_for(vmlinuz: Path, rwdirs: list[Path]) -> WarmVm | None:
    """The warm VM running *vmlinuz*, if there is one and it shares every dir in *rwdirs*."""
    if os.environ.get(COLD_ENV) == "1":
        return None
    state = read_state(release_of_image(vmlinuz))
    if state is None or Path(state.vmlinuz) != vmlinuz:
        return None
    runs = runs_dir().resolve()
    if not all(d.resolve().is_relative_to(runs) for d in rwdirs):
        return None
    return WarmVm(state)


def warm_tip(release: str) -> str | None:
    """After a command that booted a VM: how to skip the next boot (None while one runs,
    or where boots are forced)."""
    if os.environ.get(COLD_ENV) == "1" or read_state(release) is not None:
        return None
    return (f"tip: 'pilab vm up' keeps a VM booted on {release}: the next check then takes "
            "seconds, not a boot ('pilab vm down' when you are done)")


@contextlib.contextmanager
def _turn(share: Path) -> Iterator[None]:
    """One command at a time in the warm VM; a second one waits and says so."""
    with open(share / "client.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("the warm VM is busy with another command: waiting for it to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


class WarmVm:
    """A running warm VM, as a client sees it."""

    def __init__(self, state: WarmState) -> None:
        self.state = state
        self.share = share_dir(state.release)

    def _fresh(self) -> WarmState:
        state = read_state(self.state.release)
        if state is None:
            raise VmError(f"the warm VM for {self.state.release} stopped",
                          hint="pilab vm up starts it again; without it pilab boots a VM")
        self.state = state
        return state

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WAIT
        if not self._fresh().ready:
            say("the warm VM is booting (after a crash?): waiting for it")
        while not self._fresh().ready:
            if time.monotonic() > deadline:
                raise VmError("the warm VM did not come up", hint="pilab vm down; pilab vm up")
            time.sleep(0.5)

    def run(self, argv: list[str], env: Mapping[str, str], cwd: Path, out: Output,
            watchdog: Callable[[], str | None] | None, timeout: float) -> int:
        """Run *argv* in the warm VM; its exit code (a crash: QEMU's, as a cold boot gives)."""
        with _turn(self.share):
            self._wait_ready()
            uptime = ago(time.time() - self.state.booted)
            say(f"using the warm VM ({self.state.release}, up {uptime}, "
                f"supervisor pid {self.state.pid}): no boot")
            fresh = self.state.code != code_stamp()
            if fresh:
                say("pilab's code changed since the warm VM started: this command starts a "
                    "fresh Python in it (pilab vm down; pilab vm up makes it quick again)")
            request = self.share / f"req-{uuid.uuid4().hex[:12]}"
            request.mkdir()
            try:
                spec = {"argv": argv, "env": dict(env), "cwd": str(cwd), "fresh": fresh}
                (request / "request.tmp").write_text(json.dumps(spec))
                touch_used(self.state.release)
                console = console_path(self.state.release)
                console_from = console.stat().st_size if console.exists() else 0
                (request / "request.tmp").rename(request / "request.json")
                return self._follow(request, out, watchdog, timeout, console_from)
            finally:
                touch_used(self.state.release)
                shutil.rmtree(request, ignore_errors=True)

    def _follow(self, request: Path, out: Output, watchdog: Callable[[], str | None] | None,
                timeout: float, console_from: int) -> int:
        deadline = time.monotonic() + timeout
        sent = 0
        try:
            while True:
                sent += _copy_new(request / "output", sent, out)
                if (request / "exit").exists():
                    _copy_new(request / "output", sent, out)
                    return int((request / "exit").read_text())
                if (request / "crashed").exists():
                    _copy_new(request / "output", sent, out)
                    _copy_new(console_path(self.state.release), console_from, out)
                    say("the warm VM crashed: its supervisor boots it again")
                    return int((request / "crashed").read_text())
                reason = watchdog() if watchdog is not None else None
                if reason or time.monotonic() > deadline:
                    say(f"stopping the warm VM: {reason or 'past its wall-clock bound'}")
                    self._restart(request)
                    if reason:
                        return -signal.SIGKILL
                    raise VmError(f"the command ran past its wall-clock bound of {timeout:g}s "
                                  "in the warm VM, which was started again")
                self._fresh()
                time.sleep(POLL)
        except KeyboardInterrupt:
            (request / "cancel").touch()
            end = time.monotonic() + 10
            while not (request / "exit").exists() and time.monotonic() < end:
                time.sleep(POLL)
            raise

    def _restart(self, request: Path) -> None:
        """Have the supervisor stop the VM (and boot it again); wait until it did."""
        os.kill(self.state.pid, signal.SIGUSR1)
        end = time.monotonic() + STOP_WAIT
        while not (request / "crashed").exists() and time.monotonic() < end:
            time.sleep(POLL)


def _copy_new(path: Path, offset: int, out: Output) -> int:
    """Write what *path* has past *offset* to *out*; how many bytes that was."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return 0
    if data:
        out.write(data)
        out.flush()
    return len(data)
