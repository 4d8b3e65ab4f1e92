"""The vm board from the host: build for the VM's kernel, boot, run, collect."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pilab.kernel.build import build
from pilab.paths import cache_dir
from pilab.progress import say
from pilab.steps import FAILED, LabResult
from pilab.vmhost.kernels import DEFAULT, resolve
from pilab.vmhost.launch import run_in_vm


def prepare(kernel: str = DEFAULT) -> Path:
    """Kernel image cached and modules built for it; returns the vmlinuz."""
    chosen = resolve(kernel)
    say(f"vm kernel ({chosen.choice}): {chosen.release}")
    build(kernel=chosen)
    return chosen.vmlinuz


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
        code = run_in_vm(vmlinuz, argv, [scratch], cwd=scratch, out=sys.stderr.buffer,
                         model=model)
        done: list[LabResult] = []
        if results_file.exists():
            done = [LabResult.from_dict(item) for item in json.loads(results_file.read_text())]
        seen = {r.name for r in done}
        reason = f"the VM ended (exit code {code}) before this lab gave a result"
        return done + [LabResult(lab, "vm", FAILED, reason) for lab in labs if lab not in seen]
