"""The vmlinux pilab boots instead of the vmlinuz: unpacked whole, or not at all."""

from __future__ import annotations

import lzma
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from pilab.vmhost.unpack import KEEP_PACKED, CannotUnpack, boot_image, unpack, vmlinux_path


def elf(note_type: int = 18, machine: int = 62) -> bytes:
    """A minimal x86-64 ELF whose one PT_NOTE holds a "Xen" note of *note_type*."""
    note = struct.pack("<III", 4, 4, note_type) + b"Xen\0" + struct.pack("<I", 0x1000000)
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<H", header, 18, machine)
    struct.pack_into("<Q", header, 32, 64)  # e_phoff
    struct.pack_into("<HH", header, 54, 56, 1)  # e_phentsize, e_phnum
    phdr = struct.pack("<IIQQQQQQ", 4, 0, 64 + 56, 0, 0, len(note), len(note), 4)
    return bytes(header) + phdr + note


def bzimage(compressed: bytes, size: int) -> bytes:
    """A bzImage whose header points at *compressed* plus Kbuild's size trailer."""
    payload = compressed + struct.pack("<I", size)
    image = bytearray(5 * 512)
    image[0x1F1] = 4  # setup sectors: the protected-mode part starts at 5 * 512
    image[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", image, 0x206, 0x20F)
    struct.pack_into("<II", image, 0x248, 16, len(payload))
    return bytes(image) + bytes(16) + payload + bytes(100)


def xz(data: bytes) -> bytes:
    return lzma.compress(data, format=lzma.FORMAT_XZ)


def test_an_xz_kernel_unpacks_to_its_elf() -> None:
    kernel = elf()
    assert unpack(bzimage(xz(kernel), len(kernel))) == kernel


def test_a_zstd_kernel_unpacks_to_its_elf() -> None:
    if shutil.which("zstd") is None:
        pytest.fail("no zstd: scripts/install installs it")
    kernel = elf()
    packed = subprocess.run(["zstd", "-q", "-c"], input=kernel, capture_output=True,
                            check=True).stdout
    assert unpack(bzimage(packed, len(kernel))) == kernel


@pytest.mark.parametrize(("image", "why"), [
    (bzimage(xz(elf()), len(elf()) + 1), "the image says"),
    (bzimage(xz(elf(note_type=17)), len(elf())), "no PVH entry note"),
    (bzimage(xz(elf(machine=183)), len(elf())), "no PVH entry note"),
    (bzimage(b"\x89LZO" + bytes(40), 100), "unknown compression"),
    (bytes(8192), "not a bzImage"),
])
def test_what_cannot_be_booted_bare_is_refused_with_the_reason(image: bytes, why: str) -> None:
    with pytest.raises(CannotUnpack, match=why):
        unpack(image)


def test_boot_image_keeps_the_vmlinuz_when_it_cannot_unpack(tmp_path: Path) -> None:
    vmlinuz = tmp_path / "vmlinuz-9.9.9"
    vmlinuz.write_bytes(bzimage(xz(elf(note_type=17)), len(elf())))
    assert boot_image(vmlinuz) == vmlinuz
    assert not vmlinux_path(vmlinuz).exists()


def test_boot_image_unpacks_once_beside_the_vmlinuz(tmp_path: Path) -> None:
    vmlinuz = tmp_path / "vmlinuz-9.9.9"
    vmlinuz.write_bytes(bzimage(xz(elf()), len(elf())))
    first = boot_image(vmlinuz)
    assert first == tmp_path / "vmlinux-9.9.9" and first.read_bytes() == elf()
    stamp = first.stat().st_mtime_ns
    assert boot_image(vmlinuz) == first and first.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_a_kernel_tree_marked_keep_packed_boots_its_vmlinuz(tmp_path: Path) -> None:
    (tmp_path / KEEP_PACKED).write_text("")
    boot = tmp_path / "usr" / "lib" / "modules" / "9.9.9"
    boot.mkdir(parents=True)
    vmlinuz = boot / "vmlinuz"
    vmlinuz.write_bytes(bzimage(xz(elf()), len(elf())))
    assert boot_image(vmlinuz) == vmlinuz
    assert not vmlinux_path(vmlinuz).exists()
