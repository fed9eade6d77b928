"""Domain errors: the service raises them, one middleware turns them into JSON answers."""

from __future__ import annotations

from typing import Any


class LsplugError(Exception):
    """A request the project cannot carry out; ``status`` is the HTTP status it maps to."""

    status = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body of the error answer."""
        return {"detail": self.detail, **self.extra}


class BadInput(LsplugError):
    """Malformed or invalid input: 400."""


class NotFound(LsplugError):
    """An unknown task, completion, model or project: 404."""

    status = 404


class Conflict(LsplugError):
    """A request that contradicts the project's state: 409."""

    status = 409


class Unprocessable(LsplugError):
    """Well-formed input the project cannot act on: 422."""

    status = 422


class TooLarge(LsplugError):
    """A body or file over a size limit: 413."""

    status = 413


class Unauthorized(LsplugError):
    """No valid sign-in where one is needed: 401."""

    status = 401


class Forbidden(LsplugError):
    """A signed-in person asking for what is not theirs, or a cross-site write: 403."""

    status = 403


class TooManyRequests(LsplugError):
    """Too many attempts (sign-in) in a short time: 429."""

    status = 429


class MethodNotAllowed(LsplugError):
    """A method a route takes only for some inputs (a GET that would change state): 405;
    the answer's ``Allow`` names the methods that do."""

    status = 405

    def __init__(self, detail: str, allowed: list[str], **extra: Any) -> None:
        super().__init__(detail, allowed=allowed, **extra)
        self.allowed = allowed


class DiskFull(LsplugError):
    """The disk (or the database's space) is full: 507. Nothing of the request was kept."""

    status = 507
