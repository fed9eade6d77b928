"""A zip written while it is sent: entries go out as they are made, memory stays flat.

The zip is written here rather than by :mod:`zipfile`, which keeps a ``ZipInfo`` per entry
until it writes the central directory (about 2 kB each: 210 MB at 100,000 images). Each
entry's central directory record is written as soon as the entry is, as bytes, into a
temporary file (kept in memory up to :data:`SPOOL_BYTES`), and copied out at the end: memory
does not grow with the number of entries.

A whole entry (:meth:`ZipStream.add`) has its sizes and CRC in its local header. An entry
written bit by bit (:meth:`ZipStream.open`) puts them in a data descriptor after its bytes,
with zip64 sizes so that it may grow past 4 GB. Sizes, offsets and entry counts past the
classic zip limits use zip64 records, as :mod:`zipfile` does (its limits: 2 GiB - 1 and
65,535 entries), so every unzip tool reads what :mod:`zipfile` would have written.
"""

from __future__ import annotations

import io
import struct
import tempfile
import time
import zlib
from collections.abc import Iterator
from typing import IO

ZIP_STORED = 0
ZIP_DEFLATED = 8
ZIP64_LIMIT = (1 << 31) - 1
"""Past this, a size or offset goes into a zip64 record (:mod:`zipfile`'s limit)."""
ZIP_FILECOUNT_LIMIT = (1 << 16) - 1
SPOOL_BYTES = 4 << 20
"""The central directory stays in memory up to this, then goes to a temporary file."""
COPY_CHUNK = 1 << 20

LOCAL = struct.Struct("<4s2B4HL2L2H")
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
END = struct.Struct("<4s4H2LH")
END64 = struct.Struct("<4sQ2H2L4Q")
LOCATOR64 = struct.Struct("<4sLQL")
DESCRIPTOR64 = struct.Struct("<4sLQQ")
FLAG_DESCRIPTOR = 0x08
FLAG_UTF8 = 0x800
MAX = 0xFFFFFFFF
CREATE_SYSTEM = 3  # unix: the external attributes are a file mode
EXTERNAL_ATTR = 0o600 << 16  # what zipfile gives an entry written from bytes


def _zip64_extra(*values: int) -> bytes:
    return struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values)


def _dos_time(now: float) -> tuple[int, int]:
    t = time.localtime(now)
    date = (max(t.tm_year, 1980) - 1980) << 9 | t.tm_mon << 5 | t.tm_mday
    return t.tm_hour << 11 | t.tm_min << 5 | t.tm_sec // 2, date


class _Pending:
    """A write-only stream keeping what was written until it is taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.position = 0

    def write(self, data: bytes, /) -> int:
        """Keep ``data`` until :meth:`take`."""
        self.parts.append(bytes(data))
        self.size += len(data)
        self.position += len(data)
        return len(data)

    def take(self) -> bytes:
        """Everything written since the last take."""
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


class _Entry:
    """An entry being written bit by bit; its data descriptor is written on close."""

    def __init__(self, zs: ZipStream, name: bytes, flags: int, offset: int) -> None:
        self._zs, self._name, self._flags, self._offset = zs, name, flags, offset
        self._deflate = zs._compressor()
        self._crc = self._size = self._csize = 0
        self.closed = False

    def write(self, data: bytes, /) -> int:
        """Compress and send ``data``."""
        self._crc = zlib.crc32(data, self._crc)
        self._size += len(data)
        out = self._deflate.compress(data) if self._deflate is not None else bytes(data)
        self._csize += len(out)
        if out:
            self._zs._out.write(out)
        return len(data)

    def close(self) -> None:
        """End the entry: the rest of its bytes, its data descriptor, its directory record."""
        if self.closed:
            return
        self.closed = True
        if self._deflate is not None:
            out = self._deflate.flush()
            self._csize += len(out)
            self._zs._out.write(out)
        self._zs._out.write(DESCRIPTOR64.pack(b"PK\x07\x08", self._crc, self._csize, self._size))
        self._zs._record(
            self._name, self._flags, self._crc, self._csize, self._size, self._offset, True
        )
        self._zs._open_entry = None

    def __enter__(self) -> _Entry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ZipStream:
    """Add entries, then :meth:`take` the bytes ready to send; :meth:`finish` ends the zip."""

    def __init__(self, compression: int = ZIP_DEFLATED, compresslevel: int = 1) -> None:
        if compression not in (ZIP_STORED, ZIP_DEFLATED):
            raise ValueError(f"compression {compression}: only stored (0) and deflated (8)")
        self._out = _Pending()
        self._method, self._level = compression, compresslevel
        self._time, self._date = _dos_time(time.time())
        self._directory: IO[bytes] = io.BytesIO()
        self._directory_size = 0
        self._count = 0
        self._open_entry: _Entry | None = None
        self._finished = False

    @property
    def pending(self) -> int:
        """How many bytes wait to be taken."""
        return self._out.size

    def _compressor(self) -> zlib._Compress | None:
        if self._method == ZIP_STORED:
            return None
        return zlib.compressobj(self._level, zlib.DEFLATED, -15)

    def _check(self) -> None:
        if self._finished:
            raise ValueError("the zip is finished")
        if self._open_entry is not None:
            raise ValueError("an entry opened with open() is still being written")

    @staticmethod
    def _name(name: str) -> tuple[bytes, int]:
        try:
            return name.encode("ascii"), 0
        except UnicodeEncodeError:
            return name.encode("utf-8"), FLAG_UTF8

    def add(self, name: str, data: bytes) -> None:
        """One whole entry."""
        self._check()
        encoded, flags = self._name(name)
        crc = zlib.crc32(data)
        if self._method == ZIP_STORED:
            body = bytes(data)
        else:
            deflate = zlib.compressobj(self._level, zlib.DEFLATED, -15)
            body = deflate.compress(data) + deflate.flush()
        offset = self._out.position
        size, csize = len(data), len(body)
        if size > ZIP64_LIMIT or csize > ZIP64_LIMIT:
            extra, version, fields = _zip64_extra(size, csize), 45, (MAX, MAX)
        else:
            extra, version, fields = b"", 20, (csize, size)
        self._out.write(LOCAL.pack(
            b"PK\x03\x04", version, 0, flags, self._method, self._time, self._date, crc,
            *fields, len(encoded), len(extra),
        ))  # fmt: skip
        self._out.write(encoded + extra)
        self._out.write(body)
        self._record(encoded, flags, crc, csize, size, offset, False)

    def open(self, name: str) -> IO[bytes]:
        """An entry written bit by bit (zip64 sizes, as its size is not known yet)."""
        self._check()
        encoded, flags = self._name(name)
        flags |= FLAG_DESCRIPTOR
        offset = self._out.position
        extra = _zip64_extra(0, 0)
        self._out.write(LOCAL.pack(
            b"PK\x03\x04", 45, 0, flags, self._method, self._time, self._date, 0,
            MAX, MAX, len(encoded), len(extra),
        ))  # fmt: skip
        self._out.write(encoded + extra)
        entry = _Entry(self, encoded, flags, offset)
        self._open_entry = entry
        return entry  # type: ignore[return-value]

    def _record(
        self, name: bytes, flags: int, crc: int, csize: int, size: int, offset: int, zip64: bool
    ) -> None:
        """The entry's central directory record, into the spooled directory."""
        big = [v for v in (size, csize, offset) if v > ZIP64_LIMIT]
        extra = b""
        fields = [csize, size, offset]
        if big:
            # zip64 extra: the sizes and offset that do not fit, in this order.
            wide = [size] if size > ZIP64_LIMIT else []
            wide += [csize] if csize > ZIP64_LIMIT else []
            wide += [offset] if offset > ZIP64_LIMIT else []
            extra = _zip64_extra(*wide)
            fields = [MAX if v > ZIP64_LIMIT else v for v in fields]
        version = 45 if big or zip64 else 20
        record = CENTRAL.pack(
            b"PK\x01\x02", version, CREATE_SYSTEM, version, 0, flags, self._method,
            self._time, self._date, crc, fields[0], fields[1], len(name), len(extra), 0, 0, 0,
            EXTERNAL_ATTR, fields[2],
        ) + name + extra  # fmt: skip
        self._directory.write(record)
        self._directory_size += len(record)
        self._count += 1
        if self._directory_size > SPOOL_BYTES and isinstance(self._directory, io.BytesIO):
            spilled = tempfile.TemporaryFile()  # noqa: SIM115 (closed by discard)
            spilled.write(self._directory.getbuffer())
            self._directory.close()
            self._directory = spilled

    def take(self) -> bytes:
        """The zip's bytes made since the last take."""
        return self._out.take()

    def finish(self) -> Iterator[bytes]:
        """The rest of the zip, in chunks: what is pending, the central directory, its end."""
        self._check()
        self._finished = True
        yield self._out.take()
        start, size, count = self._out.position, self._directory_size, self._count
        self._directory.seek(0)
        while chunk := self._directory.read(COPY_CHUNK):
            yield chunk
        self.discard()
        tail = b""
        if count > ZIP_FILECOUNT_LIMIT or start > ZIP64_LIMIT or size > ZIP64_LIMIT:
            end64 = start + size
            tail += END64.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, start)
            tail += LOCATOR64.pack(b"PK\x06\x07", 0, end64, 1)
            count, size, start = min(count, 0xFFFF), min(size, MAX), min(start, MAX)
        yield tail + END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0)

    def discard(self) -> None:
        """Free the central directory's memory or temporary file (a zip given up, or done)."""
        self._finished = True
        self._directory.close()

    def close(self) -> bytes:
        """The rest of the zip as one piece (small zips; streams use :meth:`finish`)."""
        return b"".join(self.finish())
