"""The vm board's boot switches on every tracepoint pilab records (pilab/vmhost/tracekeys.py),
and under TCG boots on one CPU, the others online for the command: both keep the
kernel's text patching off the races of QEMU's multi-threaded TCG. The guest's command
rides in a file, only its path on the kernel's command line."""

import shlex
import subprocess
from pathlib import Path

import pytest

from pilab.vmhost.tracekeys import enabled_at_boot, pilab_events, trace_kernel_args
from pilab.vmhost.vng import KVM_ENV, ONLINE_CPUS, exec_argument, vng_command


def test_every_event_pilab_records_is_on_from_boot() -> None:
    missing = sorted(e for e in pilab_events() if not enabled_at_boot(e))
    assert not missing, f"enabling these at run time patches kernel text: {missing}"


def test_an_event_outside_the_boot_list_is_not_taken_for_enabled() -> None:
    assert enabled_at_boot("irq:softirq_raise")
    assert not enabled_at_boot("sched:sched_wakeup")


def test_the_vm_boots_with_them(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("pilab.vmhost.vng._vng", lambda: "vng")
    cmd = vng_command(Path("/boot/vmlinuz"), "true", [tmp_path])
    [word] = trace_kernel_args()
    assert cmd[cmd.index(word) - 1] == "--append"


@pytest.mark.parametrize(("kvm", "alone"), [("0", True), ("1", False)])
def test_under_tcg_the_kernel_boots_alone_and_the_command_runs_on_every_cpu(
        monkeypatch: pytest.MonkeyPatch, kvm: str, alone: bool, tmp_path: Path) -> None:
    monkeypatch.setattr("pilab.vmhost.vng._vng", lambda: "vng")
    monkeypatch.setenv(KVM_ENV, kvm)
    cmd = vng_command(Path("/boot/vmlinuz"), "true", [tmp_path])
    assert ("maxcpus=1" in cmd) == alone
    assert guest_script(cmd) == (f"{ONLINE_CPUS}\ntrue\n" if alone else "true\n")
    one_cpu = vng_command(Path("/boot/vmlinuz"), "true", [tmp_path], cpus=1)
    assert "maxcpus=1" not in one_cpu and guest_script(one_cpu) == "true\n"


def guest_script(cmd: list[str]) -> str:
    """The file vng's --exec runs in the guest (the host's root is the guest's)."""
    argv = shlex.split(cmd[cmd.index("--exec") + 1])
    assert argv[0] == "sh" and len(argv) == 2, argv
    return Path(argv[1]).read_text()


@pytest.mark.parametrize(("online", "runs"), [("0-1", True), ("0", False)])
def test_the_command_does_not_run_with_a_cpu_left_offline(tmp_path: Path, online: str,
                                                          runs: bool) -> None:
    """ONLINE_CPUS against a stand-in for sysfs: *online* is what the kernel says after."""
    sysfs = tmp_path / "cpu"
    (sysfs / "cpu1").mkdir(parents=True)
    (sysfs / "cpu1" / "online").write_text("0\n")
    (sysfs / "present").write_text("0-1\n")
    (sysfs / "online").write_text(f"{online}\n")
    prefix = ONLINE_CPUS.replace("/sys/devices/system/cpu", str(sysfs))
    assert prefix != ONLINE_CPUS
    proc = subprocess.run(["sh", "-c", f"{prefix}\necho ran"], capture_output=True,
                          text=True, check=False)
    assert (proc.stdout == "ran\n") == runs
    assert (sysfs / "cpu1" / "online").read_text() == "1\n"
    if not runs:
        assert proc.returncode == 1
        assert "brought CPUs 0 of 0-1 online" in proc.stderr


def test_the_kernel_command_line_carries_a_path_not_the_command(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """x86 cuts the kernel's command line at 2048 bytes, and vng puts --exec on it."""
    monkeypatch.setattr("pilab.vmhost.vng._vng", lambda: "vng")
    command = "echo " + "a" * 5000
    cmd = vng_command(Path("/boot/vmlinuz"), command, [tmp_path, tmp_path / "other"])
    exec_arg = cmd[cmd.index("--exec") + 1]
    assert len(exec_arg) < len(str(tmp_path)) + 40
    assert guest_script(cmd).endswith(f"{command}\n")
    assert [p.name for p in tmp_path.iterdir()] == [Path(shlex.split(exec_arg)[1]).name]
    assert exec_argument("true", []) == "true"
    with pytest.raises(ValueError, match="needs a --rwdir"):
        exec_argument(command, [])
