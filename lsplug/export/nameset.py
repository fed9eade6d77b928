"""A set of strings whose memory stays flat: at most so many in memory, the rest in a file.

An export of a million images must not keep a million file names in memory (about 100 bytes
each in a Python ``set``) to make each name unique in its zip. :class:`NameSet` keeps up to
:data:`MEMORY_NAMES` in a ``set``; when that is full they are written to a temporary SQLite
file as one more sorted run, and the set starts again. Exports of up to
:data:`MEMORY_NAMES` images never touch the disk.

Two things keep exports as fast as they were with a plain ``set``:

- Each run is added at the end of the file's B-tree (its key starts with the run number), in
  one statement: the file's pages are written once, never read back to insert between them.
- A Bloom filter of a fixed size (:data:`BLOOM_BITS`) answers "new" for nearly every new name
  without asking SQLite (false positives: about 1 in 1,000 at a million names, 1 in 15 at ten
  million). Asking SQLite about every name was slow in a server: each call lets go of the
  GIL, which the thread reading the next tasks then keeps until its time slice ends.

Asking SQLite costs one index search per run (ten runs at a million names). A name found
in the file goes back into memory, so that a name met again and again (``image.jpg`` in
every folder) is looked up once per run written, not once per task.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Collection
from pathlib import Path

import orjson

MEMORY_NAMES = 100_000
"""Names kept in memory (about 10 MB) before they are written to the temporary file."""
BLOOM_BITS = 1 << 26
"""Bits of the Bloom filter of the names in the file (8 MiB, two bits a name; a power of 2)."""
CACHE_KIB = 2048
"""The temporary file's SQLite page cache, in KiB."""


class NameSet:
    """Strings seen so far; :meth:`add` says whether a string is new."""

    def __init__(self, memory_names: int | None = None) -> None:
        self._memory: set[str] = set()
        self._limit = MEMORY_NAMES if memory_names is None else memory_names
        self._file: NameFile | None = None

    def add(self, key: str) -> bool:
        """Add ``key``: True if it was not in the set yet."""
        if key in self._memory:
            return False
        if len(self._memory) >= self._limit:
            first = self._file is None
            self._file = self._file or NameFile()
            # Names added since the file was made were marked in its filter as they came.
            self._file.write(self._memory, mark=first)
            self._memory = set()
        new = self._file is None or self._file.mark(key)
        self._memory.add(key)
        return new

    @property
    def on_disk(self) -> bool:
        """Whether some names have been written to the temporary file."""
        return self._file is not None

    def close(self) -> None:
        """Forget every name and delete the temporary file."""
        self._memory = set()
        if self._file is not None:
            self._file.close()
            self._file = None


class NameFile:
    """Strings in sorted runs in a temporary SQLite file, behind a Bloom filter in memory."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="lsplug-names-")
        self._db = sqlite3.connect(Path(self._folder.name) / "names.sqlite3", isolation_level=None)
        # A scratch file: no journal, no syncs, no other connection.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE",
                       f"cache_size=-{CACHE_KIB}", "temp_store=FILE"):  # fmt: skip
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(
            "CREATE TABLE seen (run INTEGER, key TEXT, PRIMARY KEY (run, key)) WITHOUT ROWID"
        )
        self._db.execute("BEGIN")  # never committed: the file is thrown away
        self._bloom = bytearray(max(BLOOM_BITS // 8, 1))
        self._mask = len(self._bloom) * 8 - 1
        self._shift = self._mask.bit_length()  # a key's second bit: its hash's next bits
        self._runs = 0

    def mark(self, key: str) -> bool:
        """Mark ``key`` in the filter; whether it is new to the file (SQLite is asked only
        when the filter had it already)."""
        h, mask = hash(key), self._mask
        a, b = h & mask, (h >> self._shift) & mask
        bloom = self._bloom
        if bloom[a >> 3] >> (a & 7) & 1 and bloom[b >> 3] >> (b & 7) & 1:
            return not self._holds(key)
        bloom[a >> 3] |= 1 << (a & 7)
        bloom[b >> 3] |= 1 << (b & 7)
        return True

    def _holds(self, key: str) -> bool:
        """Whether SQLite has ``key`` in some run: one index look-up per run."""
        if not self._runs:
            return False
        runs = ",".join(map(str, range(self._runs)))
        query = f"SELECT 1 FROM seen WHERE run IN ({runs}) AND key=? LIMIT 1"
        return self._db.execute(query, (key,)).fetchone() is not None

    def write(self, keys: Collection[str], mark: bool) -> None:
        """Add ``keys`` as one more run (``mark``: also mark them in the filter)."""
        for key in keys if mark else ():
            self.mark(key)
        # One statement for them all: one SQLite call, so the GIL is let go of only once.
        text = orjson.dumps(sorted(keys)).decode()
        self._db.execute("INSERT INTO seen SELECT ?, value FROM json_each(?)", (self._runs, text))
        self._runs += 1

    def close(self) -> None:
        """Delete the file."""
        self._db.close()
        self._folder.cleanup()
