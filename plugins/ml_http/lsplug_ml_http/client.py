"""One connection to a Label Studio ML backend server (both protocol generations).

Every call has the project's timeout; an answer that is not what the protocol says raises
:class:`ModelError` with what was wrong, so the core can mark the model unhealthy.

A model server set through the API must not lead lsplug inside the network: every
connection resolves through the context's address policy (``MLContext.addresses``), no
redirect is followed (a 3xx is an error naming the status), and an error quotes at most
:data:`EXCERPT` printable characters of what the server answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import aiohttp
import orjson

from lsplug.hooks import MLContext, ModelHealth, Prediction, refusal_in

OPTIONAL_ROUTES_MISSING = (404, 405)
EXCERPT = 200  # characters of a server's answer an error may quote


class ModelError(Exception):
    """A model server that is down, slow, or answers what the protocol does not allow."""


class HttpModel:
    """An ML backend reached over HTTP; created by the core for each configured model."""

    def __init__(self, name: str, url: str, settings: Mapping[str, Any], ctx: MLContext) -> None:
        self.name = name
        self.url = url.rstrip("/")
        self._ctx = ctx
        self._settings = dict(settings)
        self._session: aiohttp.ClientSession | None = None
        self.model_version: str | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(total=self._ctx.timeout)
            policy = self._ctx.addresses
            connector = aiohttp.TCPConnector(
                resolver=policy.resolver("ml_backend") if policy is not None else None
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=timeout, raise_for_status=False
            )
        return self._session

    async def _call(
        self, method: str, path: str, body: Any = None, optional: bool = False, **kw: Any
    ) -> Any:
        """One request; the decoded JSON answer, or None for a missing optional route."""
        data = body if body is None or isinstance(body, AsyncIterator) else orjson.dumps(body)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            if self._ctx.addresses is not None:  # aiohttp resolves no literal address
                self._ctx.addresses.check_url(self.url + path, "ml_backend")
            async with self._http().request(
                method, self.url + path, data=data, headers=headers, allow_redirects=False, **kw
            ) as resp:
                if optional and resp.status in OPTIONAL_ROUTES_MISSING:
                    return None
                if 300 <= resp.status < 400:
                    raise ModelError(f"{path} answered {resp.status}, a redirect (not followed)")
                if resp.status >= 400:  # only the start of an error answer is read
                    start = await _start_of(resp, EXCERPT * 4)
                    raise ModelError(f"{path} answered {resp.status}: {_excerpt(start)}")
                raw = await resp.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ModelError(f"{path}: {_failure(exc)}") from None
        try:
            return orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError:
            raise ModelError(
                f"{path} answered something that is not JSON: {_excerpt(raw)}"
            ) from None

    async def _up(self) -> None:
        answer = await self._call("GET", "/health")
        if not isinstance(answer, dict) or str(answer.get("status", "")).upper() != "UP":
            raise ModelError(f"/health answered {answer!r}, not status UP")

    async def health(self) -> ModelHealth:
        """``GET /health``: connected when it answers ``{"status": "UP"}``."""
        await self._up()
        training = await self.is_training()
        return ModelHealth(connected=True, model_version=self.model_version, is_training=training)

    async def setup(self) -> ModelHealth:
        """``POST /setup`` introduces the project; its answer names the model version."""
        await self._up()
        body = {
            "project": self._ctx.project_id,
            "schema": self._ctx.label_config(),
            "hostname": self._settings.get("hostname", ""),
            "access_token": "",
            "model_version": self.model_version,
        }
        answer = await self._call("POST", "/setup", body, optional=True)
        if isinstance(answer, dict) and answer.get("model_version") is not None:
            self.model_version = str(answer["model_version"])
        return ModelHealth(connected=True, model_version=self.model_version)

    async def is_training(self) -> bool:
        """``GET /is_training``: optional, and informative only (label-studio-ml 1.0.9
        answers 500 for a project it has not set up), so no answer means not training."""
        try:
            answer = await self._call(
                "GET", "/is_training", optional=True, params={"project": self._ctx.project_id}
            )
        except ModelError:
            return False
        return bool(isinstance(answer, dict) and answer.get("is_training"))

    async def predict(self, tasks: Sequence[Mapping[str, Any]]) -> list[Prediction | None]:
        """``POST /predict`` for a batch; one prediction (or None) per task, in order."""
        body = {
            "tasks": list(tasks),
            "project": self._ctx.project_id,
            "label_config": self._ctx.label_config(),
            "params": {},
        }
        answer = await self._call("POST", "/predict", body)
        results = answer.get("results") if isinstance(answer, dict) else answer
        if not isinstance(results, list) or len(results) != len(tasks):
            got = len(results) if isinstance(results, list) else type(results).__name__
            raise ModelError(f"/predict answered {got} results for {len(tasks)} tasks")
        version = answer.get("model_version") if isinstance(answer, dict) else None
        if version is not None:
            self.model_version = str(version)
        return [_prediction(r, self.model_version) for r in results]

    async def train(
        self, completed: Callable[[], AsyncIterator[Mapping[str, Any]]]
    ) -> Mapping[str, Any]:
        """``POST /train`` with every completed task, streamed under both generations' keys."""
        body = _train_body(self._ctx.project_id, self._ctx.label_config(), completed)
        answer = await self._call("POST", "/train", body)
        return answer if isinstance(answer, dict) else {"answer": answer}

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


def _prediction(item: Any, version: str | None) -> Prediction | None:
    if not isinstance(item, dict) or not isinstance(item.get("result"), list):
        return None
    score = item.get("score")
    score = float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None
    item_version = item.get("model_version")
    return Prediction(
        result=item["result"],
        score=score,
        model_version=str(item_version) if item_version is not None else version,
    )


async def _train_body(
    project: str, label_config: str, completed: Callable[[], AsyncIterator[Mapping[str, Any]]]
) -> AsyncIterator[bytes]:
    """The training body, produced piece by piece as it is sent (0.8 servers read
    ``completions``, label-studio-ml 1.x ``annotations``: both are there)."""
    yield b'{"project":' + orjson.dumps(project)
    yield b',"label_config":' + orjson.dumps(label_config)
    for key in (b"completions", b"annotations"):
        yield b',"' + key + b'":['
        first = True
        async for task in completed():
            yield (b"" if first else b",") + orjson.dumps(task)
            first = False
        yield b"]"
    yield b',"params":{}}'


async def _start_of(resp: aiohttp.ClientResponse, size: int) -> bytes:
    """At most ``size`` bytes from the start of an answer (the rest is never read)."""
    chunks: list[bytes] = []
    left = size
    while left > 0 and (chunk := await resp.content.read(left)):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _excerpt(raw: bytes) -> str:
    """The start of an answer for an error: printable characters only, at most
    :data:`EXCERPT` of them."""
    text = raw[: EXCERPT * 4].decode("utf-8", "replace")
    shown = "".join(c if c.isprintable() else " " for c in text[:EXCERPT])
    return shown + ("..." if len(text) > EXCERPT or len(raw) >= EXCERPT * 4 else "")


def _failure(exc: BaseException) -> str:
    """A connection failure in a few words: the address policy's reason when it refused."""
    refused = refusal_in(exc)
    if refused is not None:
        return str(refused)
    return _excerpt(f"{type(exc).__name__} {exc}".strip().encode())
