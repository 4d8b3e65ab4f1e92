"""The vm board from the host: build for the VM's kernel, boot, run, collect."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pilab import workdirs
from pilab.kernel.build import build
from pilab.kernel.klog import CRASH_LINE, crash_excerpt
from pilab.progress import say
from pilab.steps import FAILED, LabResult
from pilab.vmhost.kernels import DEFAULT, VmKernel, resolve
from pilab.vmhost.launch import Output, run_in_vm
from pilab.vmhost.warmstate import runs_dir

# A timestamped printk, or the early lines the kernel prints before timestamps (KASLR's,
# and a fault's before the console is up).
KERNEL_LINE = re.compile(rb"^(\[\s*\d+\.\d+\] |\w+ KASLR using |PANIC: early exception)")
KERNEL_KEPT, KERNEL_QUOTED = 80, 12  # kernel console lines kept; quoted by a failed run
VM_DIED = 255  # vng's exit code when QEMU ended without the command's own code


class KernelLinesAside:
    """The VM's output for *out*, but the kernel's console lines kept aside (the last
    KERNEL_KEPT): they say why a VM died, and are noise otherwise."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.kernel: deque[str] = deque(maxlen=KERNEL_KEPT)
        self._partial = b""

    def write(self, data: bytes) -> int:
        *lines, self._partial = (self._partial + data).split(b"\n")
        for line in lines:
            if KERNEL_LINE.match(line):
                self.kernel.append(line.decode(errors="replace").rstrip("\r"))
            else:
                self.out.write(line + b"\n")
        return len(data)

    def flush(self) -> None:
        self.out.flush()

    def finish(self) -> None:
        """The output's last line, should it have no newline."""
        if self._partial:
            self.write(b"\n")
        self.out.flush()

    def excerpt(self) -> list[str]:
        """KERNEL_QUOTED lines from the first sign of trouble (else the last ones)."""
        return crash_excerpt(list(self.kernel), KERNEL_QUOTED)

    def crashed(self) -> bool:
        """The kernel's console shows it going down (an Oops, a panic, the OOM killer)."""
        return any(CRASH_LINE.search(line) for line in self.kernel)


def prepare_kernel(kernel: str = DEFAULT) -> VmKernel:
    """The kernel a ``--kernel`` choice names, for every command that boots the VM: its
    image cached and the kit's modules built for it."""
    chosen = resolve(kernel)
    say(f"vm kernel ({chosen.choice}): {chosen.release}")
    build(kernel=chosen)
    return chosen


def prepare(kernel: str = DEFAULT) -> Path:
    """Kernel image cached and modules built for it; returns the vmlinuz."""
    return prepare_kernel(kernel).vmlinuz


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A fresh directory, the only place the guest may write to; removed after."""
    path = workdirs.make(runs_dir(), "run")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def exec_in_vm(argv: list[str], vmlinuz: Path | None = None, model: str | None = None,
               cwd: Path | None = None, kernel: str = DEFAULT, **launch: Any) -> int:
    """Run *argv* as root in a fresh VM; *model*: the Pi the guest emulates.

    The command's stdout goes to *out* (default: ours) untouched. The kernel's console
    is kept aside from its stderr: a VM that dies (exit code 255 or a signal's, or a
    console that shows a crash under a failed command) says why on stderr, in the
    console's words. *launch* goes to run_in_vm (out, watchdog, timeout).
    """
    vmlinuz = vmlinuz or prepare(kernel)
    console = KernelLinesAside(sys.stderr.buffer)
    with scratch_dir() as scratch:
        try:
            code = run_in_vm(vmlinuz, argv, [scratch], cwd=cwd or scratch, model=model,
                             boot_console=True, console=console, **launch)
        finally:
            console.finish()
    if code != 0 and (console.crashed() or code == VM_DIED or code < 0):
        say(f"the VM ended with exit code {code}; the kernel's console said:\n"
            + "\n".join(console.excerpt() or ["(nothing: it died before its first line)"]))
    return code


def run_labs_in_vm(labs: list[str], model: str | None, manual: bool = False,
                   kernel: str = DEFAULT) -> list[LabResult]:
    """Run the labs inside the VM; read back their results (always one per lab)."""
    vmlinuz = prepare(kernel)
    with scratch_dir() as scratch:
        results_file = scratch / "results.json"
        argv = [sys.executable, "-m", "pilab", "_guest", *labs, "--json-out", str(results_file)]
        if model:
            argv += ["--model", model]
        if manual:
            argv.append("--manual")
        # The guest's step lines are progress: stdout is the table or JSON.
        output = KernelLinesAside(sys.stderr.buffer)
        try:
            code = run_in_vm(vmlinuz, argv, [scratch], cwd=scratch, out=output, model=model,
                             boot_console=True)
        finally:
            output.finish()
        done: list[LabResult] = []
        if results_file.exists():
            done = [LabResult.from_dict(item) for item in json.loads(results_file.read_text())]
        seen = {r.name for r in done}
        reason = f"the VM ended (exit code {code}) before this lab gave a result"
        if output.kernel:
            reason += "; the kernel's console said:\n" + "\n".join(output.excerpt())
        return done + [LabResult(lab, "vm", FAILED, reason) for lab in labs if lab not in seen]
