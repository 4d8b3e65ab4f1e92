"""No VM outlives pilab: SIGTERM, SIGHUP and SIGKILL at boot and mid-lab leave nothing running.

Every run gets its own PILAB_RUN_ID; its processes (pilab, unshare, vng, virtme-run, QEMU)
are found by that id in /proc/<pid>/environ, never by name: other VMs may be running here.
The seconds from the signal to the last process gone are printed, not asserted, apart from
the five-second bound the brief sets for "nothing left".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pilab.vmhost.launch import TIMEOUT_ENV
from pilab.vmhost.leash import RUN_ID_ENV, run_members

ROOT = Path(__file__).resolve().parent.parent
GONE_WITHIN = 5.0  # seconds from the signal until no process of the run is left
BOOT_WAIT = 600.0  # generous: a build may be needed, and the host is shared
SIGNALS = [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL]

pytestmark = pytest.mark.vm


def _stat(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name; [] once the pid is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _start_time(pid: int) -> str:
    fields = _stat(pid)
    return fields[19] if fields else ""


def _alive(pid: int, start: str) -> bool:
    """The same process (same start time) is there and not a zombie."""
    fields = _stat(pid)
    return bool(fields) and fields[19] == start and fields[0] not in "ZX"


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


class PilabRun:
    """``python -m pilab ARGS`` with a run id of its own; its stderr collected as it comes."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.run_id = f"test-lifetime-{uuid.uuid4().hex[:8]}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pilab", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={**os.environ, **(env or {}), RUN_ID_ENV: self.run_id},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\r\n"))

    def members(self) -> dict[int, str]:
        return run_members(self.run_id)

    def has_qemu(self) -> bool:
        return any(name.startswith("qemu-system") for name in self.members().values())

    def wait_until(self, predicate: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + BOOT_WAIT
        while not predicate():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(self.lines[-30:])
                pytest.fail(f"pilab ended or took too long before {what}:\n{tail}")
            time.sleep(0.1)

    def running(self, seen: dict[int, str]) -> dict[int, str]:
        """The run's processes not yet dead: those *seen* so far (added to) and any new one.

        A dying process loses its environment before it is gone, so once seen a process
        is followed by its pid and start time until it is a zombie or has vanished.
        """
        for pid in self.members():
            seen.setdefault(pid, _start_time(pid))
        return {pid: start for pid, start in seen.items() if _alive(pid, start)}

    def signal_and_time(self, sig: signal.Signals) -> float:
        """Send *sig* to pilab; the seconds until no process of the run is left."""
        seen: dict[int, str] = {}
        assert len(self.running(seen)) >= 5, seen  # pilab, unshare, vng, virtme-run, QEMU
        start = time.monotonic()
        self.proc.send_signal(sig)
        while self.running(seen) and time.monotonic() - start < GONE_WITHIN:
            time.sleep(0.01)
        gone = time.monotonic() - start
        left = {pid: _comm(pid) for pid in self.running(seen)}
        assert not left, f"{sig.name}: still running after {GONE_WITHIN}s: {left}"
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        return gone

    def cleanup(self) -> None:
        self.proc.kill()  # a SIGKILL to pilab: the leash takes the rest with it
        self.proc.wait()
        for pid in self.members():  # if the leash failed, this test's run only
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def runs() -> Iterator[list[PilabRun]]:
    started: list[PilabRun] = []
    yield started
    for run in started:
        run.cleanup()


def _report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n  {text}")


def _check_ending(run: PilabRun, sig: signal.Signals) -> None:
    if sig == signal.SIGKILL:
        assert run.proc.returncode == -signal.SIGKILL
        return
    assert run.proc.returncode == 128 + sig, "\n".join(run.lines[-20:])
    assert run.lines[-1] == (f"pilab: stopped by {sig.name}: the VM of run {run.run_id} "
                             "(vng and QEMU) was stopped")


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_a_signal_at_boot_leaves_no_vm(sig: signal.Signals, runs: list[PilabRun],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    run = PilabRun("vm", "--", "sleep", "600")
    runs.append(run)
    run.wait_until(run.has_qemu, "QEMU started")
    time.sleep(3)  # QEMU is booting the kernel now
    gone = run.signal_and_time(sig)
    _report(capsys, f"{sig.name} at boot: last process gone after {gone:.2f}s")
    _check_ending(run, sig)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_a_signal_mid_lab_leaves_no_vm(sig: signal.Signals, runs: list[PilabRun],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Also: after the kills before it, a new run boots and reaches its lab."""
    run = PilabRun("run", "intrpt", "--board", "vm")
    runs.append(run)
    run.wait_until(lambda: any(line.startswith("== intrpt on vm") for line in run.lines),
                   "the guest began the lab")
    assert run.has_qemu()
    gone = run.signal_and_time(sig)
    _report(capsys, f"{sig.name} mid-lab: last process gone after {gone:.2f}s")
    _check_ending(run, sig)


def test_a_hung_guest_is_stopped_at_the_wall_clock_bound(runs: list[PilabRun]) -> None:
    run = PilabRun("vm", "--", "sleep", "600", env={TIMEOUT_ENV: "20"})
    runs.append(run)
    run.wait_until(run.has_qemu, "QEMU started")
    run.proc.wait(timeout=BOOT_WAIT)
    run._reader.join(timeout=10)
    assert run.proc.returncode == 3, "\n".join(run.lines[-20:])
    assert "ran past its wall-clock bound of 20s and was stopped" in "\n".join(run.lines)
    assert run.members() == {}
