"""The vm board from the host: build for the VM's kernel, boot, run, collect."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from pilab.build import KMOD_DIR, build
from pilab.report import FAILED, LabResult
from pilab.vm import run_in_vm
from pilab.vmkernel import ensure_image, headers_release

ROOT = KMOD_DIR.parent
WORK_DIR = ROOT / ".pilab"


def prepare() -> Path:
    """Kernel image cached and modules built for it; returns the vmlinuz."""
    release = headers_release()
    vmlinuz = ensure_image(release)
    build(release)
    return vmlinuz


def exec_in_vm(argv: list[str], vmlinuz: Path | None = None) -> int:
    """Run *argv* as root in a fresh VM, with the checkout's .pilab/ writable."""
    vmlinuz = vmlinuz or prepare()
    WORK_DIR.mkdir(exist_ok=True)
    return run_in_vm(vmlinuz, argv, [WORK_DIR], cwd=ROOT)


def run_labs_in_vm(labs: list[str], model: str | None, manual: bool = False) -> list[LabResult]:
    """Run the labs inside the VM on the vm board; read back their results."""
    vmlinuz = prepare()
    WORK_DIR.mkdir(exist_ok=True)
    out = Path(tempfile.mkdtemp(prefix="run-", dir=WORK_DIR))
    results_file = out / "results.json"
    argv = [sys.executable, "-m", "pilab", "_guest", *labs, "--json-out", str(results_file)]
    if model:
        argv += ["--model", model]
    if manual:
        argv.append("--manual")
    try:
        # The guest's step lines are progress: stdout is the table or JSON.
        code = run_in_vm(vmlinuz, argv, [out], cwd=ROOT, out=sys.stderr.buffer)
        if not results_file.exists():
            reason = f"the VM gave no results (exit code {code})"
            return [LabResult(lab, "vm", FAILED, reason) for lab in labs]
        data = json.loads(results_file.read_text())
        return [LabResult.from_dict(item) for item in data]
    finally:
        shutil.rmtree(out, ignore_errors=True)
        if WORK_DIR.exists() and not os.listdir(WORK_DIR):
            WORK_DIR.rmdir()
