"""The streamed zip: read back by :mod:`zipfile`, zip64 past its limits, flat memory."""

from __future__ import annotations

import io
import zipfile

import pytest

from lsplug.export import zipstream
from lsplug.export.zipstream import ZIP_STORED, ZipStream


def written(zs: ZipStream, parts: list[bytes]) -> zipfile.ZipFile:
    """The zip made of what was taken so far and the end, opened by zipfile."""
    data = b"".join(parts) + b"".join(zs.finish())
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None  # every CRC checks
    return archive


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, ZIP_STORED])
def test_entries_read_back(compression: int) -> None:
    zs = ZipStream(compression)
    parts = []
    zs.add("a.txt", b"hello " * 1000)
    zs.add("dir/Zoë 東京.txt", "é".encode())
    zs.add("empty.txt", b"")
    parts.append(zs.take())
    with zs.open("streamed.json") as out:
        for i in range(100):
            out.write(b"%d," % i)
    zs.add("after.txt", b"x")
    archive = written(zs, parts)
    assert archive.namelist() == ["a.txt", "dir/Zoë 東京.txt", "empty.txt", "streamed.json",
                                  "after.txt"]  # fmt: skip
    assert archive.read("a.txt") == b"hello " * 1000
    assert archive.read("dir/Zoë 東京.txt") == "é".encode()
    assert archive.read("empty.txt") == b""
    assert archive.read("streamed.json") == b"".join(b"%d," % i for i in range(100))
    assert archive.read("after.txt") == b"x"


def test_more_than_65535_entries_use_zip64_end_records() -> None:
    zs = ZipStream()
    parts = []
    for i in range(70_000):
        zs.add(f"labels/{i}.txt", b"0 0.5 0.5 0.1 0.1\n")
        if zs.pending > 1 << 18:
            parts.append(zs.take())
    data = b"".join(parts) + b"".join(zs.finish())
    assert b"PK\x06\x06" in data[-200:]
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert len(names) == 70_000 and names[69_999] == "labels/69999.txt"
    assert archive.read("labels/69999.txt") == b"0 0.5 0.5 0.1 0.1\n"


def test_sizes_and_offsets_past_the_limit_go_into_zip64_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the limit lowered, every size and offset takes the zip64 path past 4 GiB would."""
    monkeypatch.setattr(zipstream, "ZIP64_LIMIT", 10)
    monkeypatch.setattr(zipstream, "ZIP_FILECOUNT_LIMIT", 1)
    zs = ZipStream()
    zs.add("a.txt", b"a" * 100)
    zs.add("b.txt", bytes(range(256)) * 10)
    with zs.open("c.txt") as out:
        out.write(b"c" * 1000)
    archive = written(zs, [])
    assert archive.read("a.txt") == b"a" * 100
    assert archive.read("b.txt") == bytes(range(256)) * 10
    assert archive.read("c.txt") == b"c" * 1000
    assert archive.getinfo("b.txt").header_offset > 10


def test_the_directory_spills_to_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipstream, "SPOOL_BYTES", 1000)
    monkeypatch.setattr(zipstream, "COPY_CHUNK", 333)
    zs = ZipStream()
    parts = []
    for i in range(500):
        zs.add(f"{i}.txt", str(i).encode())
    parts.append(zs.take())
    archive = written(zs, parts)
    assert [archive.read(f"{i}.txt") for i in range(500)] == [str(i).encode() for i in range(500)]


def test_no_entry_while_one_is_open() -> None:
    zs = ZipStream()
    zs.open("a")
    with pytest.raises(ValueError):
        zs.add("b", b"")
    zs.discard()
