"""Run a command in the warm VM instead of booting one (see warm.py and serve.py).

:func:`warm_vm_for` says whether a warm VM for this kernel is up and can see the
command's directories; :meth:`WarmVm.run` hands it the command over the supervisor's
socket, streams its output and returns its exit code, as a cold run would. The
supervisor runs one command at a time: a second waits for the first, and says so.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

from pilab.errors import VmError
from pilab.progress import say
from pilab.vmhost.warmstate import (
    LISTENING_FD_ENV,
    WarmState,
    ago,
    client_socket,
    code_stamp,
    read_state,
    release_of_image,
    runs_dir,
)
from pilab.warmproto import Channel, Closed, Kind, fields

if TYPE_CHECKING:
    from pilab.vmhost.launch import Output

COLD_ENV = "PILAB_VM_COLD"  # 1: boot a fresh VM even while a warm one is up
WATCH = 0.5  # seconds between the watchdog's looks while a command runs
STOP_WAIT = 60.0  # for the supervisor to report the stopped VM
CANCEL_WAIT = 10.0  # for a cancelled command's exit


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


def warm_tip(release: str, kernel: str = "default") -> str | None:
    """After a command that booted *release* (chosen as *kernel*): how to skip the next
    boot (None while one runs, or where boots are forced)."""
    if os.environ.get(COLD_ENV) == "1" or read_state(release) is not None:
        return None
    option = "" if kernel == "default" else f" --kernel {kernel}"
    return (f"tip: 'pilab vm up{option}' keeps a VM booted on {release}: the next check "
            f"then takes seconds, not a boot ('pilab vm down{option}' when you are done)")


def connect(release: str) -> Channel:
    """A connection to the supervisor of the warm VM for *release*."""
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.connect(str(client_socket(release)))
    except OSError as exc:
        sock.close()
        raise VmError(f"the warm VM for {release} does not answer ({exc})",
                      hint="pilab vm status shows it; pilab vm down; pilab vm up") from None
    return Channel(sock.detach())


class WarmVm:
    """A running warm VM, as a client sees it."""

    def __init__(self, state: WarmState) -> None:
        self.state = state

    def run(self, argv: list[str], env: Mapping[str, str], cwd: Path, out: Output,
            watchdog: Callable[[], str | None] | None, timeout: float,
            console: Output | None = None) -> int:
        """Run *argv* in the warm VM; its exit code (a crash: QEMU's, as a cold boot gives).
        A crash's console lines go to *console* (default: *out*)."""
        fresh = self.state.code != code_stamp()
        if fresh:
            say("pilab's code changed since the warm VM started: this command starts a "
                "fresh Python in it (pilab vm down; pilab vm up makes it quick again)")
        channel = connect(self.state.release)
        try:
            channel.send(Kind.RUN, {"argv": argv, "env": dict(env), "cwd": str(cwd),
                                    "fresh": fresh})
            return self._follow(channel, out, watchdog, timeout, console or out)
        except Closed:
            raise VmError(f"the warm VM for {self.state.release} stopped during the command",
                          hint="pilab vm up starts it again; without it pilab boots a VM") \
                from None
        finally:
            os.close(channel.fd)

    def _follow(self, channel: Channel, out: Output, watchdog: Callable[[], str | None] | None,
                timeout: float, console: Output) -> int:
        deadline: float | None = None  # the bound runs from the command's start in the guest
        try:
            while True:
                got = channel.recv(timeout=WATCH)
                if got is not None:
                    kind, payload = got
                    if kind == Kind.OUTPUT:
                        out.write(payload)
                        out.flush()
                    elif kind == Kind.WAITING:
                        say(fields(payload)["reason"])
                    elif kind == Kind.STARTED:
                        deadline = time.monotonic() + timeout
                        info = fields(payload)
                        say(f"using the warm VM ({info['release']}, up "
                            f"{ago(time.time() - info['booted'])}, supervisor pid "
                            f"{info['pid']}): no boot")
                    elif kind == Kind.EXIT:
                        return int(fields(payload)["code"])
                    elif kind == Kind.CRASHED:
                        crash = fields(payload)
                        console.write(str(crash["console"]).encode())
                        console.flush()
                        say("the warm VM crashed: its supervisor boots it again")
                        return int(crash["code"])
                    continue
                if deadline is None:
                    continue  # still queued: the supervisor says why
                reason = watchdog() if watchdog is not None else None
                if reason or time.monotonic() > deadline:
                    say(f"stopping the warm VM: {reason or 'past its wall-clock bound'}")
                    self._restart(channel)
                    if reason:
                        return -signal.SIGKILL
                    raise VmError(f"the command ran past its wall-clock bound of {timeout:g}s "
                                  "in the warm VM, which was started again")
        except KeyboardInterrupt:
            with contextlib.suppress(Closed):
                channel.send(Kind.CANCEL)
                end = time.monotonic() + CANCEL_WAIT
                while time.monotonic() < end:
                    got = channel.recv(timeout=end - time.monotonic())
                    if got is None or got[0] in (Kind.EXIT, Kind.CRASHED):
                        break
            raise

    def _restart(self, channel: Channel) -> None:
        """Have the supervisor stop the VM (and boot it again); wait until it did."""
        channel.send(Kind.RESTART)
        end = time.monotonic() + STOP_WAIT
        while time.monotonic() < end:
            got = channel.recv(timeout=end - time.monotonic())
            if got is None or got[0] == Kind.CRASHED:
                return


def start_supervisor(args: list[str], out: IO[bytes] | int,
                     env: Mapping[str, str] | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """``python -m pilab.vmhost.warm ARGS`` in a session of its own, its output to *out*;
    and the read end of its pipe for :func:`wait_ready`."""
    listening, tell = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pilab.vmhost.warm", *args],
            env={**(os.environ if env is None else env), LISTENING_FD_ENV: str(tell)},
            pass_fds=(tell,), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    except BaseException:
        os.close(listening)
        raise
    finally:
        os.close(tell)
    return proc, listening


def wait_ready(release: str, listening: int, alive: Callable[[], bool], timeout: float) -> bool:
    """Until the warm VM for *release* has a ready guest (True), *alive* turns false or
    *timeout* passes (False). Nothing is polled: the supervisor's pipe (*listening*, from
    :func:`start_supervisor`, closed here) says when its socket takes clients, and the
    supervisor answers READY on it."""
    end = time.monotonic() + timeout
    try:
        told, _, _ = select.select([listening], [], [], timeout)
        if not told or os.read(listening, 1) != b"1":  # too slow, or ended before listening
            return False
    finally:
        os.close(listening)
    channel = connect(release)
    try:
        channel.send(Kind.WAIT_READY)
        while time.monotonic() < end and alive():
            got = channel.recv(timeout=WATCH)
            if got is not None and got[0] == Kind.READY:
                return True
        return False
    except Closed:
        return False
    finally:
        os.close(channel.fd)
