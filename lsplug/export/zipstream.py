"""A zip written while it is sent: entries go out as they are made, memory stays flat.

:mod:`zipfile` writes to a stream that cannot seek: it then puts each entry's sizes and CRC
in a data descriptor after the entry's bytes, which every unzip tool reads. Entries whose
size is not known up front are written with zip64 sizes so that they may grow past 4 GB.
"""

from __future__ import annotations

import zipfile
from typing import IO


class _Pending:
    """A write-only, non-seekable stream keeping what was written until it is taken."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes, /) -> int:
        """Keep ``data`` until :meth:`take`."""
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the bytes wait for :meth:`take`."""

    def close(self) -> None:
        """Nothing to close: the zip's last bytes wait for :meth:`take`."""

    def take(self) -> bytes:
        """Everything written since the last take."""
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


class ZipStream:
    """Add entries, then :meth:`take` the bytes ready to send; :meth:`close` ends the zip."""

    def __init__(self, compression: int = zipfile.ZIP_DEFLATED) -> None:
        self._out = _Pending()
        self._zip = zipfile.ZipFile(self._out, "w", compression, compresslevel=1)

    @property
    def pending(self) -> int:
        """How many bytes wait to be taken."""
        return self._out.size

    def add(self, name: str, data: bytes) -> None:
        """One whole entry."""
        self._zip.writestr(name, data)

    def open(self, name: str) -> IO[bytes]:
        """An entry written bit by bit (zip64 sizes, as its size is not known yet)."""
        entry: IO[bytes] = self._zip.open(name, "w", force_zip64=True)
        return entry

    def take(self) -> bytes:
        """The zip's bytes made since the last take."""
        return self._out.take()

    def close(self) -> bytes:
        """The rest of the zip: its central directory."""
        self._zip.close()
        return self._out.take()
