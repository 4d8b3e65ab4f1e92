"""The skeletons of 'pilab lab new', untouched: they load and unload cleanly.

tests/test_vm.py builds them on the host, into pilab's cache, before the VM
boots (skeleton_build.py). A skeleton does not do its lab yet, but a student
starts from it: it must take and give back what it uses, and never upset
the kernel (the autouse health gate reads the log after each test).
"""

from __future__ import annotations

import errno
import os
import platform
from pathlib import Path

import pytest
from skeleton_build import skeletons_build_dir

from pilab.boards.vm import VmGuestBoard
from pilab.errors import ModuleError
from pilab.kernel.modules import insmod, loaded, rmmod
from pilab.labs.kbleds import vt
from pilab.labs.vkbd.vinput import CLASS_DIR, export, find_input_device, unexport
from pilab.wiring import load_wiring


def built(name: str) -> Path:
    """A skeleton's .ko; tests/test_vm.py builds them for the default kernel only."""
    folder = skeletons_build_dir(platform.release())
    if not folder.exists():
        pytest.skip(f"skeletons are built for the default kernel, not {platform.release()}")
    path = folder / f"{name}.ko"
    if not path.exists():
        pytest.fail(f"{path} is missing: tests/test_vm.py builds the skeletons on the host")
    return path


@pytest.mark.parametrize("lab", ["intrpt", "bottomhalf", "bh_thread"])
def test_gpio_skeleton_loads_and_unloads(lab: str, vm_board: VmGuestBoard) -> None:
    wiring = load_wiring(lab)
    vm_board.setup(wiring)
    assert vm_board.chip is not None and wiring.led is not None
    insmod(built(lab), {"led": vm_board.gpio(wiring.led),
                        "buttons": [vm_board.gpio(b) for b in wiring.buttons]})
    try:
        assert loaded(lab)
    finally:
        rmmod(lab)
    assert not loaded(lab)


def test_gpio_skeleton_refuses_a_missing_line_and_keeps_nothing(vm_board: VmGuestBoard) -> None:
    wiring = load_wiring("intrpt")
    vm_board.setup(wiring)
    assert vm_board.chip is not None and wiring.led is not None
    beyond = vm_board.chip.base + vm_board.chip.ngpio + 1000
    with pytest.raises(ModuleError) as info:
        insmod(built("intrpt"), {"led": vm_board.gpio(wiring.led),
                                 "buttons": [vm_board.gpio(wiring.buttons[0]), beyond]})
    assert info.value.errno == errno.ENODEV
    assert not loaded("intrpt")
    # what it took before the refusal was given back: a good load works
    insmod(built("intrpt"), {"led": vm_board.gpio(wiring.led),
                             "buttons": [vm_board.gpio(b) for b in wiring.buttons]})
    rmmod("intrpt")


def test_vkbd_skeleton_exports_a_device_that_refuses_commands_for_now() -> None:
    """The given core works; vkbd_send() is the student's TODO, so writes are EINVAL."""
    insmod(built("vinput"))
    try:
        insmod(built("vkbd"))
        try:
            vid = export("vkbd")
            find_input_device("vkbd", f"vinput/vinput{vid}").close()
            fd = os.open(f"/dev/vinput{vid}", os.O_RDWR)
            try:
                with pytest.raises(OSError) as refused:
                    os.write(fd, b"+30\n")
                assert refused.value.errno == errno.EINVAL
                assert os.read(fd, 16) == b""
                unexport(vid)  # while open: the file then answers ENODEV
                with pytest.raises(OSError) as gone:
                    os.write(fd, b"+30\n")
                assert gone.value.errno == errno.ENODEV
            finally:
                os.close(fd)
            export("vkbd")  # left exported: rmmod vkbd must unexport it
        finally:
            rmmod("vkbd")
        assert not list(CLASS_DIR.glob("vinput[0-9]*"))
    finally:
        rmmod("vinput")
    assert not CLASS_DIR.exists()


def test_kbleds_skeleton_loads_with_the_console_open() -> None:
    with vt.held_open(vt.foreground_tty()):
        insmod(built("kbleds"))
        rmmod("kbleds")
    assert not loaded("kbleds")
