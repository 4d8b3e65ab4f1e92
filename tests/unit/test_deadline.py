"""--deadline: no check starts that could end past it; those say why, and every check's
end is told to the host, which rewrites the results file then."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from pilab.check.context import CheckContext
from pilab.check.guest import MARK, run_jobs
from pilab.check.host import PENDING, CheckRun, Console, Deadline, Job, so_far
from pilab.check.suite import NOT_RUN, Check, CheckResult, out_of_time
from pilab.labs import entry


def _never(*_: object) -> None:
    raise AssertionError("a check past the deadline ran")


def test_a_check_fits_only_with_its_whole_bound() -> None:
    check = Check("slow", _never, seconds=90)
    assert out_of_time(check, deadline=1090.0, now=1000.0) is None
    late = out_of_time(check, deadline=1089.0, now=1000.0)
    assert late is not None and late.status == NOT_RUN
    assert late.reason == "the --deadline left 89s and this check may take 90s"
    assert Deadline(time.time() + 3600, 3600).late(check) is None
    assert Deadline(time.time() + 60, 60).late(check) is not None


def test_the_guest_starts_no_check_past_the_deadline(tmp_path: Path) -> None:
    """Past its deadline the guest's job runs nothing (no board is even made) and its
    results file says each check was not run, and why."""
    names = [c.name for c in entry("intrpt").checks]
    ctx = CheckContext(entry("intrpt"), tmp_path, ["intrpt"], {}, "vm", None)
    results_file = tmp_path / "progress.json"
    done = run_jobs({"s0": (ctx, names)}, results_file, in_vm=False,
                    deadline=time.time() - 1)
    assert [(r.name, r.status) for r in done["s0"]] == [(n, NOT_RUN) for n in names]
    saved = json.loads(results_file.read_text())
    assert [r["status"] for r in saved["results"]["s0"]] == [NOT_RUN] * len(names)
    assert all("--deadline" in r["reason"] for r in saved["results"]["s0"])


def test_the_host_hears_each_check_end() -> None:
    ended: list[str] = []
    console = Console(None, on_end=lambda: ended.append("end"))
    console.write(f"{MARK} start 60 behaviour\n{MARK} beat 0 -\nsome output\n".encode())
    assert ended == []
    console.write(f"{MARK} end 0 behaviour\n{MARK} hung 0 cycles\n".encode())
    assert ended == ["end", "end"]


def test_a_run_so_far_marks_the_pending_checks() -> None:
    names = [c.name for c in entry("intrpt").checks]
    run = CheckRun("intrpt", ["alice"], "6.1", "vm", [CheckResult("builds"),
                                                         CheckResult("interface")])
    job = Job(run, Path(), ["intrpt"], {}, None, None, todo=names[1:],
              results={names[0]: CheckResult(names[0])})
    now = so_far(job)
    assert [(r.name, r.status) for r in now.results] == [
        ("builds", "passed"), ("interface", "passed"), (names[0], "passed"),
        *[(n, NOT_RUN) for n in names[1:]]]
    assert {r.reason for r in now.results[3:]} == {PENDING}
    assert len(run.results) == 2, "the job's own run is left as it was"


def test_a_check_leaving_an_input_device_restarts_the_vm_before_the_next(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A module that leaked its input device crashes whoever reads it next (udev): the
    guest reboots before the next check, once, naming the device."""
    import pilab.check.guest as guest

    names = [c.name for c in entry("gpio_keys").checks][:3]
    ctx = CheckContext(entry("gpio_keys"), tmp_path, ["gpio_keys"], {}, "vm", None)
    devices, ran, restarts = {"input0"}, [], []

    def run_check(ctx: CheckContext, check: Check) -> CheckResult:
        ran.append(check.name)
        if check.name == names[0]:
            devices.add("input7")
        return CheckResult(check.name)

    monkeypatch.setattr(guest, "run_check", run_check)
    monkeypatch.setattr(guest, "input_devices", lambda: set(devices))
    monkeypatch.setattr(guest, "leftovers", lambda jobs: [])
    monkeypatch.setattr(guest, "_watchdog", lambda *args: None)
    monkeypatch.setattr(guest, "restart", lambda progress, left: restarts.append(
        (list(ran), left)))
    monkeypatch.setattr(guest.time, "sleep", lambda seconds: None)
    done = run_jobs({"s0": (ctx, names)}, tmp_path / "progress.json", in_vm=True)
    assert [r.name for r in done["s0"]] == names
    assert restarts == [([names[0]], ["input device input7"])]
