"""The vm board for real: boot the distribution kernel in QEMU (slow: ~1 min a boot)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kernel_matrix import SERIES, choice_of, kernel_or_skip

from pilab.labs import LABS
from pilab.vmhost.kernels import DEFAULT, NEWEST, release_of
from pilab.vmhost.session import exec_in_vm

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.vm


@pytest.mark.parametrize("leg", [DEFAULT, SERIES])
def test_kernel_tests_pass_inside_the_vm(leg: str, capsys: pytest.CaptureFixture[str]) -> None:
    """tests/kernel/ against the real kernel, with vgpio taking real interrupts.

    On the distribution's default kernel and on the other series its archive
    offers (Debian 12: 6.1 and 6.12). The guest's pytest report streams
    straight to the terminal, so the log of a run shows every kernel test,
    and every lab, with the kernel release in its name.
    """
    choice = choice_of(leg)
    with capsys.disabled():
        code = exec_in_vm(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-v", "-rfE",
             "--durations=5", str(ROOT / "tests" / "kernel")], cwd=ROOT, kernel=choice
        )
    assert code == 0, f"kernel tests failed inside the VM ({choice}): see their output above"


def test_every_lab_passes_on_the_newest_kernel(capsys: pytest.CaptureFixture[str]) -> None:
    """pilab run all --board vm --kernel newest: Debian unstable's kernel, built in its chroot."""
    kernel_or_skip(NEWEST)  # makes the chroot, or skips saying why it cannot
    with capsys.disabled():
        proc = subprocess.run(
            [sys.executable, "-m", "pilab", "run", "all", "--board", "vm", "--kernel", NEWEST,
             "--json"], stdout=subprocess.PIPE, text=True, check=False, cwd=ROOT,
        )
    release = release_of(NEWEST)
    results = json.loads(proc.stdout) if proc.stdout.strip() else []
    with capsys.disabled():
        for result in results:
            print(f"{result['name']} on {release}: {result['status']}")
    assert proc.returncode == 0, f"pilab run all --kernel newest ({release}) exit {proc.returncode}"
    assert {r["name"] for r in results} == set(LABS)
    assert all(r["status"] == "passed" for r in results), results


def test_cli_runs_intrpt_on_the_vm_board_with_pi5_numbering() -> None:
    """The host side: build, boot, run in the guest, read the results back."""
    proc = subprocess.run(
        [sys.executable, "-m", "pilab", "run", "intrpt", "--board", "vm", "--model", "pi5",
         "--json"],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    assert [(r["name"], r["board"], r["status"]) for r in results] == [("intrpt", "vm", "passed")]
    assert all(step["status"] == "passed" for step in results[0]["steps"])
    load = next(s for s in results[0]["steps"] if s["name"] == "load the module")
    assert load["details"]["params"] == {"led": 571 + 4, "buttons": [571 + 17, 571 + 18]}
