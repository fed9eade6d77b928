"""The editor's brush RLE: decode it to a mask, and encode one (for tests and tools).

The editor packs an RGBA image (``height * width * 4`` bytes) with thi.ng's ``rle-pack``.
The bit stream, most significant bit first: 32 bits the number of words, 5 bits the word
size minus one, four times 4 bits the widths (minus one) of the run counts. Then blocks
until every word is read: 1 bit ``repeat``, 2 bits choosing one of the four count widths,
the count minus one in that width; a repeat block is one word written ``count`` times,
otherwise ``count`` words follow one by one. The mask of a region is the alpha channel.
"""

from __future__ import annotations

from collections.abc import Sequence


class RLEError(ValueError):
    """An RLE that does not decode to the size it claims."""


class _Bits:
    """Reads unsigned numbers of a given width from a bit string."""

    def __init__(self, data: bytes) -> None:
        self.value = int.from_bytes(data, "big")
        self.left = len(data) * 8

    def read(self, width: int) -> int:
        """The next ``width`` bits as a number."""
        if width > self.left:
            raise RLEError("the RLE ends before its last word")
        self.left -= width
        return (self.value >> self.left) & ((1 << width) - 1)


def decode(rle: Sequence[int] | bytes, expect: int | None = None) -> bytes:
    """The words an RLE packs, as bytes (words of up to 8 bits).

    With ``expect``, an RLE announcing another number of words is refused before anything
    is unpacked (a few bytes of RLE can announce gigabytes).
    """
    bits = _Bits(bytes(rle))
    count, word = bits.read(32), bits.read(5) + 1
    if expect is not None and count != expect:
        raise RLEError(f"the RLE announces {count} bytes, not the {expect} of its image")
    if word > 8:
        raise RLEError(f"words of {word} bits are not image bytes")
    widths = [bits.read(4) + 1 for _ in range(4)]
    out = bytearray()
    while len(out) < count:
        repeat = bits.read(1)
        n = bits.read(widths[bits.read(2)]) + 1
        if repeat:
            out += bytes((bits.read(word),)) * n
        else:
            out += bytes(bits.read(word) for _ in range(n))
    if len(out) != count:
        raise RLEError(f"the RLE holds {len(out)} words, not the {count} it announces")
    return bytes(out)


def mask(rle: Sequence[int] | bytes, width: int, height: int) -> bytes:
    """A region's mask, ``height`` rows of ``width`` bytes: the alpha of the RGBA it packs."""
    rgba = decode(rle, width * height * 4)
    if len(rgba) != width * height * 4:
        raise RLEError(f"the RLE holds {len(rgba)} bytes, not {width}x{height}x4")
    return rgba[3::4]


def encode(words: bytes) -> list[int]:
    """Pack ``words`` (bytes) as the editor does, runs of up to 256 words of 8 bits."""
    out, acc, size = bytearray(), 0, 0

    def put(value: int, width: int) -> None:
        nonlocal acc, size
        acc, size = (acc << width) | value, size + width
        while size >= 8:
            size -= 8
            out.append((acc >> size) & 0xFF)
            acc &= (1 << size) - 1

    put(len(words), 32)
    put(7, 5)
    for _ in range(4):
        put(7, 4)  # every count is 8 bits wide
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and j - i < 256 and words[j] == words[i]:
            j += 1
        for value, width in ((1, 1), (0, 2), (j - i - 1, 8), (words[i], 8)):
            put(value, width)
        i = j
    if size:
        put(0, 8 - size)
    return list(out)
