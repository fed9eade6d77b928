"""Run the real server as a subprocess for whole-process tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsplug.testing import free_port

CHOICES_CONFIG = (
    '<View><Text name="text" value="$text"/>'
    '<Choices name="label" toName="text"><Choice value="A"/><Choice value="B"/></Choices></View>'
)
"""The label config of the whole-process tests: a text and a choice of A or B."""
CHOICES_RESULT = [
    {"id": "r1", "from_name": "label", "to_name": "text", "type": "choices",
     "value": {"choices": ["A"]}}
]  # fmt: skip
"""A completion's result on :data:`CHOICES_CONFIG`: choice A."""


def call(base: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """One HTTP request; the status and the decoded JSON answer (or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        exc.close()
        return exc.code, json.loads(raw) if raw else None


def wait_for(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except (OSError, urllib.error.URLError):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Server:
    """``lsplug start -c CONFIG`` on a free port; ``stop``/``kill`` end it."""

    def __init__(self, config: Path, *extra: str) -> None:
        self.config = config
        self.extra = extra
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = config.parent / f"server-{self.port}.log"

    def start(self) -> Server:
        args = [
            sys.executable,
            "-m",
            "lsplug",
            "start",
            "-c",
            str(self.config),
            "--port",
            str(self.port),
            *self.extra,
        ]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.config.parent,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        wait_for(self._healthy, what=f"the server to answer (log: {self.log})")
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the server exited: {self.log.read_text()[-2000:]}")
        return self.call("GET", "/api/health")[0] == 200

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return call(self.base, method, path, body)

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL if it lingers; the exit code."""
        return self._end(signal.SIGTERM)

    def kill(self) -> int | None:
        return self._end(signal.SIGKILL)

    def _end(self, sig: int) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(sig)
        try:  # a loaded 2-core CI machine can take a while to drain and close the store
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def restart(self) -> Server:
        self.stop()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        return self.start()
