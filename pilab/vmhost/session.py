"""The vm board from the host: build for the VM's kernel, boot, run, collect."""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pilab.kernel.build import build
from pilab.paths import cache_dir
from pilab.progress import say
from pilab.steps import FAILED, LabResult
from pilab.vmhost.kernels import DEFAULT, VmKernel, resolve
from pilab.vmhost.launch import Output, run_in_vm

# A timestamped printk, or the early KASLR line the kernel prints before timestamps.
KERNEL_LINE = re.compile(rb"^(\[\s*\d+\.\d+\] |\w+ KASLR using )")
KERNEL_KEPT, KERNEL_QUOTED = 80, 12  # kernel console lines kept; quoted by a failed run
TROUBLE = re.compile(r"Oops|BUG:|WARNING:|Kernel panic|general protection")


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

    def excerpt(self) -> list[str]:
        """KERNEL_QUOTED lines from the first sign of trouble (else the last ones)."""
        lines = list(self.kernel)
        first = next((i for i, line in enumerate(lines) if TROUBLE.search(line)), None)
        start = first if first is not None else max(0, len(lines) - KERNEL_QUOTED)
        return lines[start:start + KERNEL_QUOTED]


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
    runs = cache_dir() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def exec_in_vm(argv: list[str], vmlinuz: Path | None = None, model: str | None = None,
               cwd: Path | None = None, kernel: str = DEFAULT, **launch: Any) -> int:
    """Run *argv* as root in a fresh VM; *model*: the Pi the guest emulates.

    *launch* goes to run_in_vm (out, kernel_console, watchdog, timeout).
    """
    vmlinuz = vmlinuz or prepare(kernel)
    with scratch_dir() as scratch:
        return run_in_vm(vmlinuz, argv, [scratch], cwd=cwd or scratch, model=model, **launch)


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
        code = run_in_vm(vmlinuz, argv, [scratch], cwd=scratch, out=output, model=model,
                         boot_console=True)
        done: list[LabResult] = []
        if results_file.exists():
            done = [LabResult.from_dict(item) for item in json.loads(results_file.read_text())]
        seen = {r.name for r in done}
        reason = f"the VM ended (exit code {code}) before this lab gave a result"
        if output.kernel:
            reason += "; the kernel's console said:\n" + "\n".join(output.excerpt())
        return done + [LabResult(lab, "vm", FAILED, reason) for lab in labs if lab not in seen]
