"""The warm VM: up, status, commands through it, a crash and the reboot after it, down.

Two boots in all (up, and the reboot after the crash), in a cache of its own (the
kernel images and builds are linked in), so a developer's own warm VM is left alone.
The tests run in file order and share the one warm VM. No timing is asserted:
``pilab bench vm`` measures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from warm_cache import ROOT, own_cache, pilab

from pilab.paths import CACHE_ENV, cache_dir
from pilab.vmhost.leash import run_members
from pilab.vmhost.vng import MEMORY
from pilab.vmhost.warmclient import COLD_ENV

pytestmark = pytest.mark.vm


def state(cache: Path) -> dict[str, object]:
    (path,) = (cache / "warm").glob("*.json")
    return dict(json.loads(path.read_text()))


@pytest.fixture(scope="module")
def cache() -> Iterator[Path]:
    """The module's warm VM: a killed pytest (its owner) takes it down too."""
    with own_cache(os.getpid()) as mine:
        yield mine


def test_status_shows_it_running(cache: Path) -> None:
    shown = pilab("vm", "status", cache=cache)
    assert shown.returncode == 0
    assert "running" in shown.stdout and "not running" not in shown.stdout
    assert f"guest {MEMORY}" in shown.stdout and "QEMU RSS" in shown.stdout
    assert "stops after 20m" in shown.stdout


def test_a_second_up_says_one_runs(cache: Path) -> None:
    again = pilab("vm", "up", cache=cache)
    assert again.returncode != 0
    assert "already running" in again.stderr


def test_run_goes_through_the_warm_vm(cache: Path) -> None:
    done = pilab("run", "intrpt", "--board", "vm", cache=cache)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "using the warm VM" in done.stderr
    assert "booting" not in done.stderr  # no cold boot


def test_check_goes_through_the_warm_vm(cache: Path) -> None:
    done = pilab("check", "intrpt", cache=cache)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "using the warm VM" in done.stderr
    assert "tip:" not in done.stderr  # the tip to start one is for cold checks
    score = done.stdout.strip().splitlines()[-1]
    passed, total = score.removeprefix("Total: ").split("/")
    assert passed == total, done.stdout


def test_a_second_command_waits_its_turn_and_says_so(cache: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if k != COLD_ENV}, CACHE_ENV: str(cache)}
    first = subprocess.Popen([sys.executable, "-m", "pilab", "vm", "--", "sleep", "8"],
                             cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stderr is not None
        said = ""
        while "using the warm VM" not in said:  # the guest has the first command
            said = first.stderr.readline()
            assert said, "the first command ended before the warm VM took it"
        second = pilab("vm", "--", "echo", "second", cache=cache)
    finally:
        first.wait(timeout=120)
    assert first.returncode == 0 and second.returncode == 0
    assert "busy with another command" in second.stderr
    assert "second" in second.stdout


def test_an_edit_to_pilab_runs_in_a_fresh_python(cache: Path) -> None:
    """The server imported pilab at boot: after an edit, in-process would run the old code."""
    edited = ROOT / "pilab" / "__init__.py"
    before = edited.stat()
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    try:
        stale = pilab("vm", "--", sys.executable, "-m", "pilab", "--version", cache=cache)
    finally:
        os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert stale.returncode == 0 and "pilab " in stale.stdout, stale.stderr
    assert "code changed since the warm VM started" in stale.stderr
    again = pilab("vm", "--", sys.executable, "-m", "pilab", "--version", cache=cache)
    assert again.returncode == 0 and "code changed" not in again.stderr


def test_a_crash_in_a_check_fails_only_that_check(cache: Path, tmp_path: Path) -> None:
    """A submission whose IRQ handler hits BUG(): behaviour fails, the checks after it run."""
    source = (ROOT / "kmods" / "intrpt.c").read_text()
    line = "\tbool on = b->nr == 1;\n"
    assert line in source
    (tmp_path / "intrpt.c").write_text(source.replace(line, line + "\n\tBUG_ON(on);\n", 1))
    shutil.copy(ROOT / "kmods" / "lab_pins.h", tmp_path)
    before = state(cache)
    done = pilab("check", "intrpt", str(tmp_path), "--json", cache=cache)
    assert "using the warm VM" in done.stderr
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["behaviour"]["status"] == "failed", checks["behaviour"]
    assert "crashed" in checks["behaviour"]["reason"]
    assert any("button_isr" in line for line in checks["behaviour"]["log"])  # the culprit
    # Checks that press no button ran in the VM booted again after the crash, and passed.
    for name in ("bad pins are refused cleanly", "a busy pin fails the load cleanly"):
        assert checks[name]["status"] == "passed", checks[name]
    assert int(str(state(cache)["crashes"])) > int(str(before["crashes"]))


def test_a_crash_is_reported_and_the_vm_comes_back(cache: Path) -> None:
    before = state(cache)
    crash = pilab("vm", "--", "sh", "-c", "echo c > /proc/sysrq-trigger; sleep 60", cache=cache)
    assert crash.returncode != 0
    assert "the warm VM crashed" in crash.stderr, crash.stderr
    assert "sysrq" in (crash.stdout + crash.stderr).lower()  # the console's last words
    after = pilab("vm", "--", "sh", "-c", "echo back", cache=cache)
    assert after.returncode == 0, after.stderr
    assert "back" in after.stdout
    now = state(cache)
    assert now["crashes"] == int(str(before["crashes"])) + 1
    assert now["boots"] == int(str(before["boots"])) + 1
    assert now["run_id"] != before["run_id"]


def test_down_leaves_nothing(cache: Path) -> None:
    last = state(cache)
    down = pilab("vm", "down", cache=cache, timeout=120)
    assert down.returncode == 0, down.stderr
    assert run_members(str(last["run_id"])) == {}
    deadline = time.monotonic() + 10
    while Path(f"/proc/{last['pid']}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(f"/proc/{last['pid']}").exists()
    assert not list((cache / "warm").glob("*.lock"))
    assert not list((cache / "warm").glob("*.json"))
    assert not list((cache / "warm").glob("*.sock"))
    assert "not running" in pilab("vm", "status", cache=cache).stdout


def test_the_vm_ends_with_its_owner() -> None:
    """pilab vm up --owner PID: the process that must leave nothing running ends, the VM
    and its supervisor go too, without a pilab vm down."""
    owner = subprocess.Popen(["sleep", "600"])
    try:
        with own_cache(owner.pid) as mine:
            last = state(mine)
            owner.kill()
            owner.wait()
            deadline = time.monotonic() + 60
            while Path(f"/proc/{last['pid']}").exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not Path(f"/proc/{last['pid']}").exists(), "the supervisor outlived its owner"
            assert run_members(str(last["run_id"])) == {}
            assert not list((mine / "warm").glob("*.json"))
    finally:
        owner.kill()
        owner.wait()


def test_an_owner_that_is_not_running_is_refused() -> None:
    done = pilab("vm", "up", "--owner", "999999999", cache=cache_dir())
    assert done.returncode != 0
    assert "--owner 999999999: no process has that pid" in done.stderr
