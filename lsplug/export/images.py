"""Masks as files without NumPy or Pillow: ``.npy`` arrays and greyscale PNG images.

NumPy stays optional: the ``.npy`` format is a short header then the raw array, which
``numpy.load`` reads as a ``uint8`` array of shape ``(height, width)``.
"""

from __future__ import annotations

import struct
import zlib


def npy(mask: bytes, width: int, height: int) -> bytes:
    """A ``uint8`` array of shape ``(height, width)`` in the ``.npy`` format (version 1.0)."""
    header = f"{{'descr': '|u1', 'fortran_order': False, 'shape': ({height}, {width}), }}"
    # magic (6) + version (2) + length (2) + header + newline: a multiple of 64 bytes
    pad = -(10 + len(header) + 1) % 64
    text = (header + " " * pad + "\n").encode("latin-1")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + mask


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC of type and data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(mask: bytes, width: int, height: int) -> bytes:
    """An 8-bit greyscale PNG of ``height`` rows of ``width`` bytes."""
    rows = b"".join(b"\x00" + mask[y * width : (y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", header),
        _chunk(b"IDAT", zlib.compress(rows, 6)),
        _chunk(b"IEND", b""),
    ))  # fmt: skip
