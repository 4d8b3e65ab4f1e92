"""Run a command in the vm board's VM: the warm VM's if one is up, else a fresh boot.

The vng command itself and the guest's environment are in vng.py; the warm VM's
client in warmclient.py. A cold run is bounded, watched and leashed here.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

from pilab.errors import ConfigError, VmError
from pilab.progress import progress, say
from pilab.vmhost.leash import new_run_id, start
from pilab.vmhost.vng import compile_package, guest_command, guest_env, host_path, vng_command


class Output(Protocol):
    """Where the VM's output goes: a binary stream, or anything that takes bytes."""

    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


TIMEOUT_ENV = "PILAB_VM_TIMEOUT"  # the wall-clock bound of one VM run, in seconds
DEFAULT_TIMEOUT = 1800.0  # a full kernel-test run under TCG on a busy host takes minutes


def _relay(stream: IO[bytes] | None, out: Output, muted: threading.Event) -> None:
    """Copy one of the VM's output streams to *out* as it comes, until *muted* (pilab is
    stopping it)."""
    assert stream is not None
    for line in iter(stream.readline, b""):
        if not muted.is_set():
            out.write(line)
            out.flush()


def vm_timeout() -> float:
    """The wall-clock bound of one VM run, in seconds: PILAB_VM_TIMEOUT or the default."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds",
                          hint=f"e.g. {TIMEOUT_ENV}=600, or unset it for {DEFAULT_TIMEOUT:.0f}")
    return value


def run_in_vm(
    vmlinuz: Path,
    argv: list[str],
    rwdirs: list[Path],
    cwd: Path,
    timeout: float | None = None,
    out: Output | None = None,
    model: str | None = None,
    kernel_console: bool = False,
    watchdog: Callable[[], str | None] | None = None,
    boot_console: bool = False,
    console: Output | None = None,
) -> int:
    """Boot, run *argv* inside as root with the guest marker set, return its exit code.

    The guest's output streams to *out* (default: our stdout). The run is bounded by *timeout*
    seconds (default: :func:`vm_timeout`). However pilab ends (the command's end, an error,
    a signal, the bound, or a SIGKILL to pilab) vng and QEMU end with it: see leash.py.
    *watchdog*, polled twice a second, may stop the VM early by returning a reason
    (said on stderr); the exit code is then -SIGKILL. *console*: where QEMU's stderr
    goes (the kernel's console, and the command's stderr), apart from *out*; a warm VM's
    crash report goes there too. Without it, both go to *out*.
    """
    timeout = timeout if timeout is not None else vm_timeout()
    compile_package()
    from pilab.vmhost.warmclient import warm_vm_for

    warm = warm_vm_for(vmlinuz, rwdirs)  # pilab vm up: no boot
    if warm is not None:
        return warm.run(argv, guest_env(model), cwd, out or sys.stdout.buffer, watchdog,
                        timeout, console=console)
    cmd = vng_command(vmlinuz, guest_command(argv, model), rwdirs,
                      kernel_console=kernel_console, boot_console=boot_console)
    env = dict(os.environ, PATH=host_path())
    accel = "KVM" if "--disable-kvm" not in cmd else "TCG, no KVM: about a minute to boot"
    run_id = new_run_id()
    with progress(f"booting {vmlinuz.name} in QEMU ({accel})"):
        # Through a pipe: QEMU reopens a file given as its stdout and truncates it.
        vm = start(cmd, run_id=run_id, cwd=cwd, env=env, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT if console is None else subprocess.PIPE)
        muted = threading.Event()  # a killed tree's last words (unshare's) are noise
        try:
            relays = [threading.Thread(target=_relay, daemon=True,
                                       args=(vm.proc.stdout, out or sys.stdout.buffer, muted))]
            if console is not None:
                relays.append(threading.Thread(target=_relay, daemon=True,
                                               args=(vm.proc.stderr, console, muted)))
            for relay in relays:
                relay.start()
            deadline = time.monotonic() + timeout
            while True:
                try:
                    code = vm.proc.wait(timeout=min(0.5, max(0.01, deadline - time.monotonic())))
                    for relay in relays:
                        relay.join()
                    return code
                except subprocess.TimeoutExpired:
                    if time.monotonic() >= deadline:
                        raise
                reason = watchdog() if watchdog is not None else None
                if reason:
                    say(f"stopping the VM: {reason}")
                    muted.set()
                    vm.stop()
                    for relay in relays:
                        relay.join(timeout=5)
                    return -signal.SIGKILL
        except subprocess.TimeoutExpired:
            muted.set()
            raise VmError(f"the VM ran past its wall-clock bound of {timeout:g}s and was "
                          f"stopped (run {run_id})",
                          hint=f"a hung guest? {TIMEOUT_ENV} sets the bound in seconds") from None
        except BaseException as exc:
            muted.set()
            exc.add_note(f"the VM of run {run_id} (vng and QEMU) was stopped")
            raise
        finally:
            vm.stop()
