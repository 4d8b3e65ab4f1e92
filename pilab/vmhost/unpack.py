"""The kernel's own vmlinux, unpacked once from the distribution's vmlinuz, for QEMU to boot.

A bzImage first decompresses itself (Debian's: xz for 6.1, zstd from 6.12 on):
under TCG that is 2.5 to 3.5 s of every boot, before the kernel prints a line.
An x86 kernel built with CONFIG_PVH (Debian's are) carries an ELF note with a
32-bit entry point that QEMU boots directly, with the same command line and
initramfs. So pilab unpacks the vmlinux once per kernel, next to its vmlinuz,
and boots that. Where it cannot (no PVH note, a compression it cannot undo, a
read-only cache), it boots the vmlinuz as before: slower, never wrong.
"""

from __future__ import annotations

import lzma
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

PVH_ENTRY_NOTE = 18  # XEN_ELFNOTE_PHYS32_ENTRY, in a note owned by "Xen"
# In a kernel's cache tree: boot its vmlinuz, never the unpacked vmlinux (see newest.py).
KEEP_PACKED = "pilab-boot-vmlinuz"
PT_NOTE = 4
ELF64_X86_64 = (b"\x7fELF\x02\x01", 62)  # ident (64-bit, little-endian), e_machine


class CannotUnpack(Exception):
    """This vmlinuz cannot be booted as a bare vmlinux: the reason."""


def _payload(image: bytes) -> bytes:
    """The compressed kernel inside a bzImage (boot protocol 2.08 and later)."""
    if image[0x202:0x206] != b"HdrS" or struct.unpack_from("<H", image, 0x206)[0] < 0x208:
        raise CannotUnpack("not a bzImage of boot protocol 2.08 or later")
    setup_sectors = image[0x1F1] or 4
    offset, length = struct.unpack_from("<II", image, 0x248)
    start = (setup_sectors + 1) * 512 + offset
    return image[start:start + length]


def _xz(data: bytes) -> bytes:
    return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)


def _zstd(data: bytes) -> bytes:
    if shutil.which("zstd") is None:
        raise CannotUnpack("no zstd program (apt-get install zstd)")
    proc = subprocess.run(["zstd", "-dcq"], input=data, capture_output=True, check=False)
    if proc.returncode != 0:
        raise CannotUnpack(f"zstd: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def _gzip(data: bytes) -> bytes:
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)


DECOMPRESSORS = {b"\xfd7zXZ\x00": _xz, b"\x28\xb5\x2f\xfd": _zstd, b"\x1f\x8b\x08": _gzip}


def unpack(image: bytes) -> bytes:
    """The vmlinux ELF inside *image*, checked whole and bootable through PVH."""
    payload = _payload(image)
    # Kbuild appends the unpacked size (le32) to the compressed stream.
    stream, size = payload[:-4], struct.unpack("<I", payload[-4:])[0]
    for magic, decompress in DECOMPRESSORS.items():
        if stream.startswith(magic):
            try:
                elf = decompress(stream)
            except (lzma.LZMAError, zlib.error) as exc:
                raise CannotUnpack(f"the kernel does not decompress: {exc}") from None
            break
    else:
        raise CannotUnpack(f"unknown compression (magic {stream[:4].hex()})")
    if len(elf) != size:
        raise CannotUnpack(f"unpacked {len(elf)} bytes, the image says {size}")
    if not has_pvh_entry(elf):
        raise CannotUnpack("the vmlinux has no PVH entry note (a kernel without CONFIG_PVH)")
    return elf


def has_pvh_entry(elf: bytes) -> bool:
    """Is *elf* an x86-64 ELF with Xen's PHYS32_ENTRY note (what QEMU's PVH boot needs)?"""
    ident, machine = ELF64_X86_64
    if elf[:6] != ident or struct.unpack_from("<H", elf, 18)[0] != machine:
        return False
    phoff, = struct.unpack_from("<Q", elf, 32)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    for index in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", elf, phoff + index * phentsize)
        if p_type != PT_NOTE:
            continue
        at, end = p_offset, p_offset + p_filesz
        while at + 12 <= end:
            namesz, descsz, kind = struct.unpack_from("<III", elf, at)
            name = elf[at + 12:at + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and kind == PVH_ENTRY_NOTE:
                return True
            at += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def vmlinux_path(vmlinuz: Path) -> Path:
    """Where the unpacked kernel lives: beside the vmlinuz, so vng finds its modules."""
    return vmlinuz.with_name(vmlinuz.name.replace("vmlinuz", "vmlinux", 1))


def boot_image(vmlinuz: Path) -> Path:
    """The kernel image to hand QEMU: the unpacked vmlinux where it can be had."""
    if any((folder / KEEP_PACKED).exists() for folder in vmlinuz.parents):
        return vmlinuz
    target = vmlinux_path(vmlinuz)
    try:
        if target.exists() and target.stat().st_mtime >= vmlinuz.stat().st_mtime:
            return target
        elf = unpack(vmlinuz.read_bytes())
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        partial.write_bytes(elf)
        partial.replace(target)
    except (CannotUnpack, OSError, struct.error):
        return vmlinuz
    return target
