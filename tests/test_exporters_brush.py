"""BRUSH_TO_NUMPY and BRUSH_TO_PNG: the editor's RLE decoded to one mask per region."""

from __future__ import annotations

import struct
import zlib

import pytest

from lsplug.builtin.brush_exporters import BRUSH_TO_NUMPY_EXPORTER, BRUSH_TO_PNG_EXPORTER
from lsplug.export import rle
from tests.exporting import run, summary, task, unzip

CONFIG = (
    '<View><Image name="img" value="$image"/><BrushLabels name="brush" toName="img">'
    '<Label value="Road"/></BrushLabels></View>'
)
W, H = 4, 3
MASK = bytes([0, 255, 255, 0, 0, 255, 0, 0, 255, 255, 255, 255])


def rgba(mask: bytes) -> bytes:
    return b"".join(bytes((0, 0, 0, v)) for v in mask)


def brush(code: list[int], w: int = W, h: int = H) -> dict:
    return {
        "id": "r",
        "from_name": "brush",
        "to_name": "img",
        "type": "brushlabels",
        "original_width": w,
        "original_height": h,
        "value": {"format": "rle", "rle": code, "brushlabels": ["Road"]},
    }


def test_a_hand_packed_rle_with_a_literal_and_a_run_decodes():
    # 5 words of 8 bits, count widths 3,4,5,6 bits; a literal of 2 words (widths[0]=3 bits:
    # count-1 = 1), then a run of 3 words of 9 (widths[1]=4 bits: count-1 = 2).
    bits = f"{5:032b}{7:05b}{2:04b}{3:04b}{4:04b}{5:04b}" + "0" + "00" + "001" + f"{1:08b}{2:08b}"
    bits += "1" + "01" + "0010" + f"{9:08b}"
    bits += "0" * (-len(bits) % 8)
    packed = int(bits, 2).to_bytes(len(bits) // 8, "big")
    assert rle.decode(packed) == bytes([1, 2, 9, 9, 9])


def test_an_rle_that_ends_early_is_an_error():
    with pytest.raises(rle.RLEError):
        rle.decode(rle.encode(b"\x01" * 10)[:-2])


async def test_numpy_masks_are_uint8_arrays_of_the_alpha_channel():
    tasks = [task(7, {"image": "a.png"}, [brush(rle.encode(rgba(MASK)))])]
    files = unzip(await run(BRUSH_TO_NUMPY_EXPORTER, CONFIG, tasks))
    (name,) = [n for n in files if n.startswith("masks/")]
    assert name == "masks/task-7-annotation-700-brush-Road-0.npy"
    data = files[name]
    assert data.startswith(b"\x93NUMPY\x01\x00")
    (header_len,) = struct.unpack("<H", data[8:10])
    header = data[10 : 10 + header_len].decode()
    assert "'descr': '|u1'" in header and "'shape': (3, 4)" in header
    assert (10 + header_len) % 64 == 0
    assert data[10 + header_len :] == MASK


async def test_png_masks_are_greyscale_rows_of_the_mask():
    tasks = [task(7, {"image": "a.png"}, [brush(rle.encode(rgba(MASK)))])]
    files = unzip(await run(BRUSH_TO_PNG_EXPORTER, CONFIG, tasks))
    png = files["masks/task-7-annotation-700-brush-Road-0.png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, colour) == (W, H, 8, 0)
    idat_len = struct.unpack(">I", png[33:37])[0]
    rows = zlib.decompress(png[41 : 41 + idat_len])
    assert rows == b"".join(b"\x00" + MASK[y * W : (y + 1) * W] for y in range(H))


async def test_a_region_that_does_not_decode_is_in_the_summary():
    tasks = [task(1, {"image": "a.png"}, [brush(rle.encode(rgba(MASK)), w=5), brush([1, 2])])]
    files = unzip(await run(BRUSH_TO_PNG_EXPORTER, CONFIG, tasks))
    assert not [n for n in files if n.startswith("masks/")]
    assert summary(files)["skipped_total"] == 2
