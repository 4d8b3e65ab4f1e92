"""A tiny PNG reader for tests: the pixels of the first rows of an 8-bit RGB(A) PNG."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> None:
    """Undo one row's PNG filter in place."""
    if kind == 2:
        line[:] = bytes((x + y) & 0xFF for x, y in zip(line, prev, strict=True))
        return
    for i in range(len(line) if kind else 0):
        a = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + a) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (a + prev[i]) // 2) & 0xFF
        else:
            line[i] = (line[i] + _paeth(a, prev[i], prev[i - bpp] if i >= bpp else 0)) & 0xFF


def png_rows(path: Path, rows: int) -> tuple[int, int, list[list[tuple[int, ...]]]]:
    """(width, height, pixels of the first *rows* rows) of a non-interlaced 8-bit PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is no PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, "only 8-bit RGB(A) PNGs"
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw = zlib.decompressobj().decompress(idat, (stride + 1) * min(rows, height))
    previous = bytearray(stride)
    pixels = []
    for y in range(min(rows, height)):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) *
                                                          (stride + 1)])
        _unfilter(kind, line, previous, bpp)
        pixels.append([tuple(line[x:x + bpp][:3]) for x in range(0, stride, bpp)])
        previous = line
    return width, height, pixels
