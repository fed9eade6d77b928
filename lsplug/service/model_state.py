"""One connected model: its health, its back-off, and which model version is in force.

The version decides whether a task's stored prediction is current, so it must be the same
string when a prediction is stored and when it is looked for, across restarts too. Model
servers may answer ``/setup`` with another string than ``/predict`` (or with none): the
version in force is the one ``/predict`` names, and an answer of ``/setup`` only says
that the model changed when it differs from the last one. What was learned is kept in
the store (see :attr:`ModelState.remembered`), so a restart starts from it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from lsplug.hooks.addresses import AddressPolicy
from lsplug.hooks.types import MLBackend

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0


@dataclass
class ModelState:
    """One connected model and what we know of its health and version."""

    name: str
    url: str
    kind: str
    backend: MLBackend
    connected: bool = False
    model_version: str | None = None
    is_training: bool = False
    error: str | None = None
    failures: int = 0
    retry_at: float = 0.0
    ready: bool = False  # set up for this project
    setup_answer: str | None = None  # the version /setup named last, in this process
    remembered: dict[str, Any] = field(default_factory=dict)  # {"setup", "version"} stored
    declined: set[tuple[str | None, int]] = field(default_factory=set)  # asked, no answer
    setup_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    policy: AddressPolicy | None = None  # the addresses its connections may reach

    def usable(self) -> bool:
        """Healthy, or unhealthy long enough ago to be tried again."""
        return self.connected or time.monotonic() >= self.retry_at

    def failed(self, error: str) -> None:
        """Mark unhealthy and back off (doubling, at most five minutes)."""
        self.connected, self.error = False, error
        self.failures += 1
        self.retry_at = time.monotonic() + min(MAX_BACKOFF, 2.0**self.failures)
        log.warning("model %s failed (%d in a row): %s", self.name, self.failures, error)

    def succeeded(self) -> None:
        """Mark healthy."""
        self.connected, self.error, self.failures = True, None, 0

    def set_up(self, answer: str | None) -> None:
        """Take the version ``/setup`` named: a new model only when it names a new one."""
        self.succeeded()
        self.ready = True
        if answer is None:
            if self.model_version is None:
                self.model_version = self.remembered.get("version")
            return
        if answer == self.setup_answer:
            return
        first = self.setup_answer is None
        self.setup_answer = answer
        if first and self.remembered.get("setup") == answer:
            self.model_version = self.remembered.get("version")
        else:
            self.model_version = answer

    def predicted(self, answer: str | None) -> None:
        """Take the version ``/predict`` named: the version its predictions are kept under."""
        self.succeeded()
        if answer is not None and answer != self.model_version:
            self.model_version = answer

    def memory(self) -> dict[str, Any]:
        """What to keep in the store so that a restart starts from this version."""
        return {"url": self.url, "setup": self.setup_answer, "version": self.model_version}

    def as_json(self) -> dict[str, Any]:
        """The model as `/api/models` shows it."""
        return {
            "name": self.name, "url": self.url, "kind": self.kind,
            "connected": self.connected, "model_version": self.model_version,
            "is_training": self.is_training, "error": self.error,
        }  # fmt: skip
