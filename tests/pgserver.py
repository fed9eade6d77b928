"""A throw-away PostgreSQL server for tests: Debian's binaries, a temporary folder, one port.

``initdb`` refuses root, so the folder belongs to ``postgres`` and the commands run as it
when the tests run as root. Durability is off (``fsync=off``): a test server needs none.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lsplug.testing import free_port

_names = itertools.count()


def pg_bin() -> Path | None:
    """The folder of Debian's PostgreSQL programs (the newest), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PgServer:
    """``initdb`` + ``pg_ctl start`` in a temporary folder; :meth:`stop` removes it."""

    def __init__(self, durable: bool = False) -> None:
        binaries = pg_bin()
        if binaries is None:
            raise RuntimeError("PostgreSQL is not installed: run scripts/install_postgres.sh")
        self.bin = binaries
        self.dir = Path(tempfile.mkdtemp(prefix="lsplug-pg-"))
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-U", "postgres", "-A", "trust")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir}"
        options += " -c max_connections=300"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            "pg_ctl", "-D", str(self.dir / "data"), "-o", options, "-l",
            str(self.dir / "log"), "-w", "start",
        )  # fmt: skip

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def url(self, database: str = "postgres") -> str:
        """The URL of one database of this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database; its URL."""
        name = f"t{os.getpid()}_{next(_names)}"
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U",
             "postgres", "-c", f"CREATE DATABASE {name} TEMPLATE template0"],
            check=True, capture_output=True,
        )  # fmt: skip
        return self.url(name)

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole test session (a fresh database per test)."""
    server = PgServer()
    yield server
    server.stop()
