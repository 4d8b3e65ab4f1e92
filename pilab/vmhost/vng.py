"""The vng command that boots a kernel, and the guest environment every VM command gets.

virtme-ng boots the host's own userspace over a shared filesystem, so the
guest runs this very checkout and virtualenv; only --rwdir folders are
writable back to the host. launch.py runs a command through it, warm or cold;
the warm VM's supervisor (warm.py) boots its guest server through it.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import sys
from pathlib import Path

from pilab.errors import MissingDependency
from pilab.guest import EMULATE_ENV, GUEST_ENV, guest_path
from pilab.paths import CACHE_ENV, PACKAGE_DIR, cache_dir

KVM_ENV = "PILAB_VM_KVM"  # 1 forces KVM, 0 forces TCG; unset: use KVM if it works
MEMORY = "512M"  # every VM's memory, as vng's --memory takes it


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


# Under TCG the kernel boots on one CPU and the others come online just before
# the command. QEMU's multi-threaded TCG can let a vCPU run a stale translation
# of kernel text another vCPU has just patched (text_poke_bp's int3): Debian
# unstable's 7.2 died with "Oops: int3" in sched_clock_cpu 2 s into boot, when
# late init switched a static key (in CI, and here with the host's cores busy).
# Alone during boot, the one CPU cannot race itself; the labs still run on two
# CPUs truly in parallel (QEMU's single-threaded TCG would end that, and failed
# a correct slow bottom half's unload checks). A CPU left offline would take that
# parallelism without a word: the command then does not run, and says why.
TCG_BOOT_ARGS = ("maxcpus=1",)
ONLINE_CPUS = (
    "cpus=/sys/devices/system/cpu\n"
    "for cpu in $cpus/cpu[1-9]*/online; do echo 1 > \"$cpu\"; done\n"
    "if [ \"$(cat $cpus/online)\" != \"$(cat $cpus/present)\" ]; then\n"
    "    echo \"pilab: the VM brought CPUs $(cat $cpus/online) of $(cat $cpus/present)"
    " online\" >&2\n"
    "    exit 1\n"
    "fi")

# vng hands --exec to the guest on the kernel's command line (base64, virtme.exec=),
# which x86 cuts at 2048 bytes: a cut line hung the boot (Gradescope's install path
# is in it three times). So the command goes in a file the guest runs, and only that
# file's path is on the command line.
COMMAND_FILE = "pilab-command.sh"
INLINE_MAX = 256  # bytes of a command put on the kernel's command line as it is


def exec_argument(command: str, rwdirs: list[Path]) -> str:
    """vng's --exec for *command*: ``sh FILE``, FILE written in the first of *rwdirs*
    (the guest shares it), or *command* itself when there is none (then it must be short)."""
    if not rwdirs:
        if len(command) > INLINE_MAX:
            raise ValueError(f"a {len(command)}-byte VM command needs a --rwdir for its file")
        return command
    digest = hashlib.sha256(command.encode()).hexdigest()[:12]
    script = rwdirs[0] / f"{digest}-{COMMAND_FILE}"
    partial = script.with_name(f"{script.name}.{os.getpid()}")  # never seen half-written
    partial.write_text(command + "\n")
    partial.replace(script)
    return f"sh {shlex.quote(str(script))}"


# With kernel_console: the kernel's console (at warning level and above, which
# the guest sets) comes out with the guest's output, so an Oops is seen even
# when it takes the kernel down; an Oops panics, and a panic ends the VM.
CONSOLE_ARGS = ("loglevel=1", "panic_on_oops=1", "softlockup_panic=1")


def vng_command(vmlinuz: Path, command: str, rwdirs: list[Path], cpus: int = 2,
                kernel_console: bool = False, lean: bool = True,
                unpacked: bool = True, boot_console: bool = False,
                qemu_opts: list[str] | None = None) -> list[str]:
    """The vng command line that boots *vmlinuz* and runs *command*.

    *kernel_console*: the kernel's console at warning level, and an Oops panics (checks).
    *boot_console*: the console as vng leaves it (emergencies and the early boot lines),
    so a kernel that dies before the command ran says why (runs).
    *lean*: keep udev from loading drivers pilab never uses (see lean.py).
    *unpacked*: boot the vmlinux inside *vmlinuz* where it can (see unpack.py).
    *qemu_opts*: more QEMU arguments (vng hands them to a shell: each is quoted here).
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
    cmd = [_vng(), "--run", str(image), "--memory", MEMORY, "--cpus", str(cpus),
           "--force-9p"]
    boot_args: tuple[str, ...] = ()
    if not kvm_usable():
        cmd.append("--disable-kvm")
        if cpus > 1:
            boot_args, command = TCG_BOOT_ARGS, f"{ONLINE_CPUS}\n{command}"
    for arg in [*(lean_kernel_args() if lean else ()), *trace_kernel_args(), *boot_args]:
        cmd += ["--append", arg]
    if kernel_console or boot_console:
        cmd.append("--verbose")
    if kernel_console:
        for arg in CONSOLE_ARGS:
            cmd += ["--append", arg]
    for rwdir in rwdirs:
        cmd += ["--rwdir", str(rwdir)]
    if qemu_opts:
        cmd.append(f"--qemu-opts={shlex.join(qemu_opts)}")
    cmd += ["--exec", exec_argument(command, rwdirs)]
    return cmd


def host_path() -> str:
    """PATH for vng on the host: this venv's bin/ first, where pip put vng."""
    return f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"


def guest_env(model: str | None = None) -> dict[str, str]:
    """The environment of every command pilab runs in the guest, warm or cold."""
    # The checkout is read-only in the guest: no bytecode caches there.
    env = {GUEST_ENV: "1", "PYTHONDONTWRITEBYTECODE": "1", CACHE_ENV: str(cache_dir()),
           "PATH": guest_path()}
    if model:
        env[EMULATE_ENV] = model
    return env


def guest_command(argv: list[str], model: str | None = None) -> str:
    """*argv* as the shell command vng runs in the guest, with :func:`guest_env`."""
    return shlex.join(["env", *(f"{k}={v}" for k, v in guest_env(model).items()), *argv])


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
