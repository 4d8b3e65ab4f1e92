"""pilab.kernel.modules against the real kernel: exact errnos, in plain words."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from pilab.errors import ModuleError
from pilab.kernel.build import module_dir
from pilab.kernel.modules import ModuleStack, insmod, loaded, rmmod


def test_a_file_that_is_no_module_is_refused_in_words(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ko"
    junk.write_bytes(b"this is not an ELF file" * 10)
    with pytest.raises(ModuleError, match="built for another kernel") as info:
        insmod(junk)
    assert info.value.errno == errno.ENOEXEC


def test_unparsable_parameter_is_einval() -> None:
    with pytest.raises(ModuleError, match="parameter was refused") as info:
        insmod(module_dir() / "vgpio.ko", {"ngpio": "many"})
    assert info.value.errno == errno.EINVAL
    assert not loaded("vgpio")


def test_missing_dependency_is_enoent_in_words() -> None:
    """vkbd without vinput: its symbols are unknown."""
    assert not loaded("vinput")
    with pytest.raises(ModuleError, match="load its dependency first") as info:
        insmod(module_dir() / "vkbd.ko")
    assert info.value.errno == errno.ENOENT


def test_stack_unloads_in_reverse_even_when_a_load_fails() -> None:
    stack = ModuleStack(module_dir())
    stack.load("vinput")
    stack.load("vkbd")
    with pytest.raises(ModuleError):
        stack.load("vgpio", ngpio=0)  # refused: no lines
    stack.unload_all()
    assert not loaded("vkbd") and not loaded("vinput") and not loaded("vgpio")


def test_rmmod_in_use_module_names_the_errno() -> None:
    insmod(module_dir() / "vinput.ko")
    insmod(module_dir() / "vkbd.ko")
    try:
        with pytest.raises(ModuleError, match=r"EAGAIN|EBUSY"):
            rmmod("vinput", attempts=2)
    finally:
        rmmod("vkbd")
        rmmod("vinput")
