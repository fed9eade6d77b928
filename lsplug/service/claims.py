"""Predict calls under way, so that no task is sent to a model twice at the same time.

A caller claims the tasks it is about to predict before it looks in the store; a task
another caller has claimed is not sent again: the second caller waits for the first one's
call and reads its outcome. Claims are taken without an ``await`` in between (one event
loop), so two callers never own the same task. Each call runs as a task of its own: a
caller that is cancelled (a job stopped, a request dropped, a server shutting down) never
cuts a call in half, and :meth:`Claims.drain` lets the calls under way finish and store
their answers before the store closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

Key = tuple[str, int]  # (model name, task id)
log = logging.getLogger(__name__)


class Claims:
    """The predict calls under way in this process, by model and task."""

    def __init__(self) -> None:
        self._owners: dict[Key, asyncio.Task[set[int]]] = {}
        self._calls: set[asyncio.Task[set[int]]] = set()

    def taken(self, model: str, task_ids: Iterable[int]) -> dict[int, asyncio.Task[set[int]]]:
        """The calls under way that hold some of ``task_ids`` of ``model``, by task id."""
        held = ((t, self._owners.get((model, t))) for t in task_ids)
        return {t: call for t, call in held if call is not None}

    def run(
        self, model: str, task_ids: Iterable[int], call: Coroutine[Any, Any, set[int]]
    ) -> asyncio.Task[set[int]]:
        """Start ``call`` holding ``task_ids`` of ``model`` until it ends (stored or not);
        it returns the ids it stored a prediction for."""
        keys = [(model, t) for t in task_ids]
        task = asyncio.create_task(call, name=f"lsplug-predict-{model}")
        for key in keys:
            self._owners[key] = task
        self._calls.add(task)
        task.add_done_callback(lambda done: self._release(done, keys))
        return task

    def _release(self, task: asyncio.Task[set[int]], keys: list[Key]) -> None:
        self._calls.discard(task)
        for key in keys:
            if self._owners.get(key) is task:
                del self._owners[key]

    async def drain(self, seconds: float) -> None:
        """Let the calls under way finish (at most ``seconds``), then cancel what is left."""
        calls = list(self._calls)
        if not calls:
            return
        _, late = await asyncio.wait(calls, timeout=seconds)
        for task in late:
            task.cancel()
        await asyncio.gather(*calls, return_exceptions=True)


async def outcome(call: asyncio.Task[set[int]]) -> set[int]:
    """What a call stored, waited for without cancelling it when the waiter is cancelled;
    a call that failed stored nothing."""
    try:
        return await asyncio.shield(call)
    except asyncio.CancelledError:
        if call.cancelled():  # the call itself was cancelled (at shutdown), not the waiter
            return set()
        raise
    except Exception as exc:
        log.warning("a predict call failed: %s: %s", type(exc).__name__, exc)
        return set()
