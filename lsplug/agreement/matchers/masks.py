"""Brush masks: the editor's RLE decoded to a mask, compared by intersection over union.

The editor packs an RGBA image (``height * width * 4`` bytes) with thi.ng's ``rle-pack``:
32 bits the number of words, 5 bits the word size minus one, four 4-bit count widths (each
minus one); then blocks until every word is read: 1 bit ``repeat``, 2 bits choosing a count
width, the count minus one; a repeat block holds one word for ``count`` words, another block
``count`` words one by one. Block headers are read one by one (a mask has few runs); the
words of the literal blocks, most of a mask's bits, are gathered with NumPy in one go. A
region's mask is the alpha channel above 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from lsplug.agreement.matchers.assign import Edge

_TEXT = bytes.maketrans(b"\x00\x01", b"01")


class Mask(NamedTuple):
    """A decoded mask: its image size, bounds of the painted pixels, flat pixels, their number."""

    size: tuple[int, int]
    bounds: tuple[int, int, int, int]  # first row, first column, last row, last column
    pixels: np.ndarray  # bool, height * width
    painted: int


class _Bits:
    """Unsigned numbers of given widths read one after another from a bit string."""

    def __init__(self, bits: np.ndarray) -> None:
        self.bits = bits
        self.text = bits.tobytes().translate(_TEXT).decode("ascii")
        self.pos = 0

    def read(self, width: int) -> int:
        end = self.pos + width
        if end > len(self.text):
            raise ValueError("the RLE ends before its last word")
        value = int(self.text[self.pos : end], 2)
        self.pos = end
        return value


def decode(rle: Sequence[int]) -> np.ndarray:
    """The words (bytes) an RLE packs; ``ValueError`` when it does not decode."""
    data = np.asarray(rle, dtype=np.int64)
    if data.ndim != 1 or (data.size and (data.min() < 0 or data.max() > 255)):
        raise ValueError("an RLE is a list of bytes")
    bits = _Bits(np.unpackbits(data.astype(np.uint8)))
    count, word = bits.read(32), bits.read(5) + 1
    if word > 8:
        raise ValueError(f"words of {word} bits are not image bytes")
    widths = [bits.read(4) + 1 for _ in range(4)]
    values, repeats, literals = _blocks(bits, count, word, widths)
    words = np.array(values, dtype=np.int64)
    if literals:
        starts = np.concatenate([p + np.arange(n) * word for p, n in literals])
        picked = bits.bits[starts[:, None] + np.arange(word)].astype(np.int64)
        words[words < 0] = picked @ (1 << np.arange(word - 1, -1, -1))
    return np.repeat(words, repeats).astype(np.uint8)


def _blocks(
    bits: _Bits, count: int, word: int, widths: list[int]
) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Each block's word (-1: a literal word, gathered later) and count, and literal spans."""
    values: list[int] = []
    repeats: list[int] = []
    literals: list[tuple[int, int]] = []
    done = 0
    while done < count:
        repeat = bits.read(1)
        n = bits.read(widths[bits.read(2)]) + 1
        if repeat:
            values.append(bits.read(word))
            repeats.append(n)
        else:
            if bits.pos + n * word > len(bits.text):
                raise ValueError("the RLE ends before its last word")
            literals.append((bits.pos, n))
            values += [-1] * n
            repeats += [1] * n
            bits.pos += n * word
        done += n
    if done != count:
        raise ValueError(f"the RLE holds {done} words, not the {count} it announces")
    return values, repeats, literals


def read(item: Mapping[str, Any]) -> Mask | None:
    """The mask of a brush item (``value.rle`` and the image size), or None."""
    value = item.get("value")
    if not isinstance(value, Mapping) or not isinstance(value.get("rle"), list):
        return None
    w, h = item.get("original_width"), item.get("original_height")
    if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
        return None
    try:
        words = decode(value["rle"])
    except (ValueError, TypeError, OverflowError):
        return None
    if words.size != w * h * 4:
        return None
    return of_pixels(words[3::4] > 0, w, h)


def of_pixels(pixels: np.ndarray, width: int, height: int) -> Mask | None:
    """A mask of flat boolean ``pixels`` (row after row), or None when nothing is painted."""
    grid = pixels.reshape(height, width)
    rows, cols = np.flatnonzero(grid.any(axis=1)), np.flatnonzero(grid.any(axis=0))
    if not rows.size:
        return None
    bounds = (int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1]))
    return Mask((width, height), bounds, pixels, int(np.count_nonzero(pixels)))


def key(mask: Mask) -> tuple[Any, ...]:
    """A sort key: size, bounds, painted pixels."""
    return (*mask.size, *mask.bounds, mask.painted)


def candidates(left: Sequence[Mask], right: Sequence[Mask], threshold: float) -> list[Edge]:
    """Pairs of masks of one image size whose painted pixels overlap enough."""
    edges: list[Edge] = []
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            if a.size != b.size or not _meet(a.bounds, b.bounds):
                continue
            inter = int(np.count_nonzero(a.pixels & b.pixels))
            ratio = inter / (a.painted + b.painted - inter)
            if ratio > 0 and ratio >= threshold:
                edges.append((i, j, ratio))
    return edges


def _meet(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
