"""Boot the distribution kernel in QEMU with virtme-ng and run a command in it.

virtme-ng boots the host's own userspace over a shared filesystem, so the
guest runs this very checkout and virtualenv; only --rwdir folders are
writable back to the host.
"""

from __future__ import annotations

import math
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pilab.errors import ConfigError, MissingDependency, VmError
from pilab.guest import EMULATE_ENV, GUEST_ENV, guest_path
from pilab.paths import CACHE_ENV, PACKAGE_DIR, cache_dir
from pilab.progress import progress, say
from pilab.vmhost.leash import new_run_id, start


class Output(Protocol):
    """Where the VM's output goes: a binary stream, or anything that takes bytes."""

    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


KVM_ENV = "PILAB_VM_KVM"  # 1 forces KVM, 0 forces TCG; unset: use KVM if it works
TIMEOUT_ENV = "PILAB_VM_TIMEOUT"  # the wall-clock bound of one VM run, in seconds
DEFAULT_TIMEOUT = 1800.0  # a full kernel-test run under TCG on a busy host takes minutes


def kvm_usable() -> bool:
    """KVM only where /dev/kvm opens and the CPU shows vmx/svm.

    A nested host can expose /dev/kvm without virtualisation extensions; QEMU
    then hangs in KVM instead of falling back to TCG.
    """
    forced = os.environ.get(KVM_ENV)
    if forced in ("0", "1"):
        return forced == "1"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " vmx" in flags or " svm" in flags


def _vng() -> str:
    here = Path(sys.executable).parent / "vng"
    found = str(here) if here.exists() else shutil.which("vng")
    if not found:
        raise MissingDependency("virtme-ng (vng) is not installed",
                                hint="pip install 'pilab[vm]' (the README's setup does it)")
    if not shutil.which("qemu-system-x86_64") and not shutil.which("qemu-system-aarch64"):
        raise MissingDependency("QEMU is not installed", hint="apt-get install qemu-system-x86")
    return found


# With kernel_console: the kernel's console (at warning level and above, which
# the guest sets) comes out with the guest's output, so an Oops is seen even
# when it takes the kernel down; an Oops panics, and a panic ends the VM.
CONSOLE_ARGS = ("loglevel=1", "panic_on_oops=1", "softlockup_panic=1")


def vng_command(vmlinuz: Path, command: str, rwdirs: list[Path], cpus: int = 2,
                kernel_console: bool = False, lean: bool = True,
                unpacked: bool = True, boot_console: bool = False) -> list[str]:
    """The vng command line that boots *vmlinuz* and runs *command*.

    *kernel_console*: the kernel's console at warning level, and an Oops panics (checks).
    *boot_console*: the console as vng leaves it (emergencies and the early boot lines),
    so a kernel that dies before the command ran says why (runs).
    *lean*: keep udev from loading drivers pilab never uses (see lean.py).
    *unpacked*: boot the vmlinux inside *vmlinuz* where it can (see unpack.py).
    """
    from pilab.vmhost.lean import lean_kernel_args
    from pilab.vmhost.tracekeys import trace_kernel_args
    from pilab.vmhost.unpack import boot_image

    # 9p, never virtio-fs: QEMU itself then refuses every write to the shared
    # host root (readonly=on), whatever the guest kernel does. virtio-fs would
    # leave that to the guest's read-only mount whenever the installed
    # virtiofsd lacks --readonly (Debian 12's does), and a module is the guest
    # kernel: it could remount and write to the host as the user running pilab.
    image = boot_image(vmlinuz) if unpacked else vmlinuz
    cmd = [_vng(), "--run", str(image), "--memory", "1G", "--cpus", str(cpus),
           "--force-9p"]
    if not kvm_usable():
        cmd.append("--disable-kvm")
    for arg in [*(lean_kernel_args() if lean else ()), *trace_kernel_args()]:
        cmd += ["--append", arg]
    if kernel_console or boot_console:
        cmd.append("--verbose")
    if kernel_console:
        for arg in CONSOLE_ARGS:
            cmd += ["--append", arg]
    for rwdir in rwdirs:
        cmd += ["--rwdir", str(rwdir)]
    cmd += ["--exec", command]
    return cmd


def compile_package() -> None:
    """Write pilab's bytecode next to its sources, where it is missing or stale.

    The guest reads the checkout read-only over 9p and would compile every pilab
    module under TCG at each boot: 1.5 s of a guest command's 10 s of imports
    here (three runs each way). Python does this itself unless told not to
    (PYTHONDONTWRITEBYTECODE); compileall writes all the same. An unwritable
    package (a wheel installed by another user) is left as it is.
    """
    import compileall

    compileall.compile_dir(str(PACKAGE_DIR), quiet=2, workers=1)


def _relay(proc: subprocess.Popen[bytes], out: Output, muted: threading.Event) -> None:
    """Copy the VM's output to *out* as it comes, until *muted* (pilab is stopping it)."""
    assert proc.stdout is not None
    for line in iter(proc.stdout.readline, b""):
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
) -> int:
    """Boot, run *argv* inside as root with the guest marker set, return its exit code.

    The guest's output streams to *out* (default: our stdout). The run is bounded by *timeout*
    seconds (default: :func:`vm_timeout`). However pilab ends (the command's end, an error,
    a signal, the bound, or a SIGKILL to pilab) vng and QEMU end with it: see leash.py.
    *watchdog*, polled twice a second, may stop the VM early by returning a reason
    (said on stderr); the exit code is then -SIGKILL.
    """
    timeout = timeout if timeout is not None else vm_timeout()
    compile_package()
    # The checkout is read-only in the guest: no bytecode caches there.
    guest_env = {GUEST_ENV: "1", "PYTHONDONTWRITEBYTECODE": "1", CACHE_ENV: str(cache_dir()),
                 "PATH": guest_path()}  # the venv's bin/ first: bare 'pilab' works
    if model:
        guest_env[EMULATE_ENV] = model
    from pilab.vmhost.warmclient import warm_vm_for

    warm = warm_vm_for(vmlinuz, rwdirs)  # pilab vm up: no boot
    if warm is not None:
        return warm.run(argv, guest_env, cwd, out or sys.stdout.buffer, watchdog, timeout)
    command = shlex.join(["env", *(f"{k}={v}" for k, v in guest_env.items()), *argv])
    cmd = vng_command(vmlinuz, command, rwdirs, kernel_console=kernel_console,
                      boot_console=boot_console)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    accel = "KVM" if "--disable-kvm" not in cmd else "TCG, no KVM: about a minute to boot"
    run_id = new_run_id()
    with progress(f"booting {vmlinuz.name} in QEMU ({accel})"):
        # Through a pipe: QEMU reopens a file given as its stdout and truncates it.
        vm = start(cmd, run_id=run_id, cwd=cwd, env=env, stdout=subprocess.PIPE)
        muted = threading.Event()  # a killed tree's last words (unshare's) are noise
        try:
            relay = threading.Thread(target=_relay,
                                     args=(vm.proc, out or sys.stdout.buffer, muted), daemon=True)
            relay.start()
            deadline = time.monotonic() + timeout
            while True:
                try:
                    code = vm.proc.wait(timeout=min(0.5, max(0.01, deadline - time.monotonic())))
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
