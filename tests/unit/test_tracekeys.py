"""The vm board's boot switches on every tracepoint pilab records (pilab/vmhost/tracekeys.py),
and under TCG boots on one CPU, the others online for the command: both keep the
kernel's text patching off the races of QEMU's multi-threaded TCG."""

from pathlib import Path

import pytest

from pilab.vmhost.tracekeys import enabled_at_boot, pilab_events, trace_kernel_args
from pilab.vmhost.vng import KVM_ENV, ONLINE_CPUS, vng_command


def test_every_event_pilab_records_is_on_from_boot() -> None:
    missing = sorted(e for e in pilab_events() if not enabled_at_boot(e))
    assert not missing, f"enabling these at run time patches kernel text: {missing}"


def test_an_event_outside_the_boot_list_is_not_taken_for_enabled() -> None:
    assert enabled_at_boot("irq:softirq_raise")
    assert not enabled_at_boot("sched:sched_wakeup")


def test_the_vm_boots_with_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pilab.vmhost.vng._vng", lambda: "vng")
    cmd = vng_command(Path("/boot/vmlinuz"), "true", [])
    [word] = trace_kernel_args()
    assert cmd[cmd.index(word) - 1] == "--append"


@pytest.mark.parametrize(("kvm", "alone"), [("0", True), ("1", False)])
def test_under_tcg_the_kernel_boots_alone_and_the_command_runs_on_every_cpu(
        monkeypatch: pytest.MonkeyPatch, kvm: str, alone: bool) -> None:
    monkeypatch.setattr("pilab.vmhost.vng._vng", lambda: "vng")
    monkeypatch.setenv(KVM_ENV, kvm)
    cmd = vng_command(Path("/boot/vmlinuz"), "true", [])
    assert ("maxcpus=1" in cmd) == alone
    command = cmd[cmd.index("--exec") + 1]
    assert command == (f"{ONLINE_CPUS}; true" if alone else "true")
    one_cpu = vng_command(Path("/boot/vmlinuz"), "true", [], cpus=1)
    assert "maxcpus=1" not in one_cpu and one_cpu[-1] == "true"
