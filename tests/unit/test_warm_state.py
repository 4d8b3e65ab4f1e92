"""The warm VM's bookkeeping, without a VM: durations, locks, and when a run may use it."""

from __future__ import annotations

import argparse
import fcntl
from pathlib import Path

import pytest

from pilab.paths import CACHE_ENV
from pilab.vmhost import warmstate
from pilab.vmhost.lean import lean_kernel_args
from pilab.vmhost.warmcli import idle_seconds
from pilab.vmhost.warmclient import COLD_ENV, warm_tip, warm_vm_for

RELEASE = "6.1.0-99-amd64"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    monkeypatch.delenv(COLD_ENV, raising=False)
    return tmp_path


def _held_state(vmlinuz: Path) -> tuple[object, warmstate.WarmState]:
    """A lock held as a supervisor holds it, and the state it would write."""
    path = warmstate.lock_path(RELEASE)
    path.parent.mkdir(parents=True)
    lock = open(path, "a")  # noqa: SIM115 - held for the test's length
    fcntl.flock(lock, fcntl.LOCK_EX)
    state = warmstate.WarmState(pid=1, release=RELEASE, vmlinuz=str(vmlinuz), run_id="r",
                                started=0, booted=0, idle=60, ready=True)
    state.save()
    return lock, state


@pytest.mark.parametrize(("text", "seconds"), [("30m", 1800), ("2h", 7200), ("90s", 90),
                                               ("5", 300), ("1.5m", 90)])
def test_idle_durations(text: str, seconds: float) -> None:
    assert idle_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-3m", "10x", "m"])
def test_bad_idle_durations_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        idle_seconds(text)


def test_no_lock_means_no_warm_vm_and_a_stale_state_goes(cache: Path) -> None:
    state = warmstate.state_path(RELEASE)
    state.parent.mkdir(parents=True)
    state.write_text("{}")
    assert warmstate.read_state(RELEASE) is None
    assert not state.exists()


def test_a_held_lock_is_a_warm_vm_that_runs_share_dirs_may_use(cache: Path) -> None:
    vmlinuz = cache / f"vmlinuz-{RELEASE}"
    lock, _ = _held_state(vmlinuz)
    scratch = warmstate.runs_dir() / "run-x"
    scratch.mkdir(parents=True)
    assert warm_vm_for(vmlinuz, [scratch]) is not None
    assert warm_vm_for(vmlinuz, [cache / "elsewhere"]) is None  # the guest cannot see it
    assert warm_vm_for(cache / "vmlinuz-other", [scratch]) is None
    lock.close()  # type: ignore[attr-defined]
    assert warm_vm_for(vmlinuz, [scratch]) is None


def test_cold_env_bypasses_the_warm_vm(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vmlinuz = cache / f"vmlinuz-{RELEASE}"
    lock, _ = _held_state(vmlinuz)
    monkeypatch.setenv(COLD_ENV, "1")
    assert warm_vm_for(vmlinuz, [warmstate.runs_dir()]) is None
    lock.close()  # type: ignore[attr-defined]


def test_lean_args_never_keep_what_the_labs_load() -> None:
    (arg,) = lean_kernel_args()
    names = set(arg.removeprefix("modprobe.blacklist=").split(","))
    assert not names & {"evdev", "uinput", "vgpio", "vinput", "vkbd", "intrpt", "gpio_sim",
                        "9p", "9pnet_virtio", "virtio_console", "overlay"}


def test_the_code_stamp_sees_an_edit_and_a_new_module(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    first = warmstate.code_stamp(package)
    assert warmstate.code_stamp(package) == first
    (package / "a.py").write_text("x = 22\n")
    edited = warmstate.code_stamp(package)
    assert edited != first
    (package / "b.py").write_text("")
    assert warmstate.code_stamp(package) not in (first, edited)


def test_a_cold_check_tips_the_warm_vm_unless_one_runs_or_boots_are_forced(
        cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tip = warm_tip(RELEASE)
    assert tip is not None and "'pilab vm up'" in tip and RELEASE in tip
    tip = warm_tip(RELEASE, "6.12")  # the kernel the check was asked for, not the default
    assert tip is not None and "'pilab vm up --kernel 6.12'" in tip
    assert "'pilab vm down --kernel 6.12'" in tip
    monkeypatch.setenv(COLD_ENV, "1")
    assert warm_tip(RELEASE) is None
    monkeypatch.delenv(COLD_ENV)
    _lock, _ = _held_state(cache / "vmlinuz")  # held until the test ends
    assert warm_tip(RELEASE) is None
