"""The VM the labs run in has every CPU it was given online: the unload and bottom-half
checks are about two CPUs truly in parallel, and under TCG the kernel boots on one
(pilab/vmhost/vng.py) and the command's first step brings the others online."""

from pathlib import Path

CPU = Path("/sys/devices/system/cpu")


def test_every_cpu_of_the_vm_is_online_for_the_command() -> None:
    present = (CPU / "present").read_text().strip()
    assert present != "0", "the VM was given one CPU: the labs' unload checks need two"
    assert (CPU / "online").read_text().strip() == present
