"""Build a submission with a Kbuild pilab writes, in a sandbox.

The submission's own Makefile or Kbuild is never run: a build file is a
program (``$(shell ...)``). The compiler runs under bubblewrap as an
unprivileged user with no network, seeing only /usr (the toolchain and the
kernel headers) and a scratch copy of the sources: an ``#include`` of a
host file outside that view fails. CPU time, memory and output are bounded.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pilab import workdirs
from pilab.check.submission import Submission
from pilab.errors import MissingDependency
from pilab.kernel.build import headers_dir
from pilab.paths import cache_dir

if TYPE_CHECKING:
    from pilab.vmhost.kernels import VmKernel

CPU_SECONDS = 120  # per build, compiler time
MEMORY_BYTES = 2 << 30  # address space of each process in the build
WALL_SECONDS = 300
OUTPUT_BYTES = 64 << 10  # what is kept of the build's output
SHOWN_ERRORS = 12  # compiler error lines shown in a report
SANDBOX_UID = 65534  # nobody, inside the sandbox's user namespace


@dataclass
class BuildResult:
    """What building a submission gave: modules, or the compiler's first errors."""

    ok: bool
    modules: dict[str, Path] = field(default_factory=dict)  # module name -> .ko
    output: str = ""  # bounded
    errors: list[str] = field(default_factory=list)
    directory: Path | None = None


def kbuild_text(submission: Submission) -> str:
    """The Kbuild pilab writes: one module per .c file, nothing else."""
    lines = ["# written by pilab check: the submission's build files are not used"]
    lines += [f"obj-m += {name}.o" for name in submission.modules]
    return "\n".join(lines) + "\n"


def sandbox_command(argv: list[str], workdir: Path, root: Path = Path("/"),
                    headers: Path | None = None) -> list[str]:
    """*argv* under bubblewrap: no network, an unprivileged user, /usr and *workdir* only.

    *root*: whose /usr (a chroot's, for a kernel its toolchain builds); *headers*: a
    Kbuild tree outside /usr (a series' headers unpacked in the cache), shown read-only.
    """
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise MissingDependency("bubblewrap is not installed: pilab builds submissions in it",
                                hint="apt-get install bubblewrap (scripts/install does it)")
    shown = ["--ro-bind", str(headers), str(headers)] if headers is not None else []
    return [
        bwrap, "--unshare-all", "--die-with-parent", "--new-session",
        "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--ro-bind", str(root / "usr"), "/usr",
        # Debian's awk, cc, ld... are /usr/bin links into /etc/alternatives: only that
        # directory of /etc is shown (Kbuild runs awk).
        "--ro-bind-try", str(root / "etc/alternatives"), "/etc/alternatives",
        *shown,
        "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        "--bind", str(workdir), str(workdir), "--chdir", str(workdir),
        "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", str(workdir),
        *argv,
    ]


def _limits() -> None:
    """Bound the build's processes (runs in the child before exec)."""
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 20, 64 << 20))


def first_errors(output: str, limit: int = SHOWN_ERRORS) -> list[str]:
    """The compiler's first error lines (and the notes right after them)."""
    lines = output.splitlines()
    picked: list[str] = []
    for index, line in enumerate(lines):
        if re.search(r"\berror\b|: undefined!|Error \d", line):
            picked.append(line.strip())
            picked += [n.strip() for n in lines[index + 1:index + 3] if "note:" in n]
        if len(picked) >= limit:
            break
    return picked[:limit] or [line.strip() for line in lines[-limit:]]


def build_submission(submission: Submission, release: str, extra: tuple[str, ...] = (),
                     kernel: VmKernel | None = None) -> BuildResult:
    """Copy, write our Kbuild and build in the sandbox; never raises for a compile error.

    *kernel*: a kernel whose headers are not installed (an archive series, a chroot's).
    """
    system, outside = Path("/"), None
    if kernel is not None and kernel.chroot is not None:
        system, headers = kernel.chroot.root, kernel.headers  # its own /usr and toolchain
    elif kernel is not None:
        headers = kernel.headers.resolve()
        if not headers.is_relative_to("/usr"):
            from pilab.vmhost.series import headers_root

            outside = headers_root(kernel.release)  # its -common tree and kbuild too
    else:
        headers = headers_dir(release).resolve()
    # Kbuild takes no space (nor make's specials) in M=: the name is only a label here.
    label = re.sub(r"[^A-Za-z0-9_.-]", "_", submission.name[:40])
    work = workdirs.make(cache_dir() / "submissions", label)
    os.chmod(work, 0o777)  # the sandbox's nobody writes the objects here
    submission.copy_to(work)
    (work / "Kbuild").write_text(kbuild_text(submission))
    make = ["make", "-C", str(headers), f"M={work}", f"-j{os.cpu_count() or 1}", *extra,
            "modules"]
    try:
        proc = subprocess.run(sandbox_command(make, work, system, outside), capture_output=True,
                              timeout=WALL_SECONDS, preexec_fn=_limits, check=False)
        output = (proc.stdout + proc.stderr)[:OUTPUT_BYTES].decode(errors="replace")
        code = proc.returncode
    except subprocess.TimeoutExpired as exc:
        output = ((exc.stdout or b"") + (exc.stderr or b""))[:OUTPUT_BYTES].decode(
            errors="replace") + f"\nthe build ran past {WALL_SECONDS}s and was stopped"
        code = -1
    if code != 0 and output.startswith("bwrap: "):  # the sandbox, not the code, failed
        shutil.rmtree(work, ignore_errors=True)
        raise MissingDependency(f"the build sandbox could not start: {output.strip()}",
                                hint="bubblewrap needs user namespaces (not in a chroot; in "
                                "Docker, a seccomp profile that allows them)")
    modules = {name: work / f"{name}.ko" for name in submission.modules}
    if code == 0 and all(path.exists() for path in modules.values()):
        return BuildResult(True, modules, output, [], work)
    return BuildResult(False, {}, output, first_errors(output), work)
