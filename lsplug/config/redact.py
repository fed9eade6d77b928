"""Hiding secrets wherever settings or messages are shown: setting names that hold secrets,
and credentials inside URLs (a password in ``user:password@host``, secret-looking query
parameters such as ``token=`` or ``X-Amz-Signature=``).

One module, used by every answer that shows settings (`GET /api/project`, `/api/models`,
storage settings) and by the log records (:func:`redact_log_records`), so a PostgreSQL
password in ``store.url`` or a token in a model server's URL is never shown back. It lives
beside the config schema because the effective config is shown through it (:func:`redacted`).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, cast
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from lsplug.config.schema import Config

MASK = "********"
# Parts of setting names that hold secrets ("data_key" or "key_prefix" do not).
SECRET_WORDS = ("secret", "password", "token", "access_key", "private_key", "credential", "api_key")
# Query parameters whose value is a secret: these names exactly, or ending so, or X-Amz-*.
SECRET_PARAMS = frozenset({"key", "sig", "pass", "pwd", "passwd", "auth", "apikey", "code"})
SECRET_PARAM_ENDINGS = (
    "token", "secret", "password", "signature", "credential", "apikey", "api_key", "api-key",
    "access_key", "private_key", "secret_key",
)  # fmt: skip
SECRET_PARAM_STARTS = ("x-amz-", "x-goog-")
NOT_SECRET_SETTINGS = frozenset({"label_config"})
URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")


def is_secret_param(name: str) -> bool:
    """Whether a query parameter's value is a secret (``token``, ``sig``, ``X-Amz-*``...)."""
    lowered = unquote_plus(name).lower()
    return (
        lowered in SECRET_PARAMS
        or lowered.endswith(SECRET_PARAM_ENDINGS)
        or lowered.startswith(SECRET_PARAM_STARTS)
    )


def redact_url(url: str) -> str:
    """``url`` with its password and secret query values replaced by :data:`MASK`; the
    scheme, user name, host, port, path and other parameters kept as written."""
    try:
        parts = urlsplit(url)
        netloc = _masked_netloc(parts.netloc)
    except ValueError:  # not a URL that parses ("http://[::1"): mask what looks secret
        return _masked_unparsed(url)
    query = _masked_query(parts.query)
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _masked_netloc(netloc: str) -> str:
    userinfo, at, host = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return netloc
    user = userinfo.split(":", 1)[0]
    return f"{user}:{MASK}@{host}"


def _masked_query(query: str) -> str:
    if not query:
        return query
    pairs = []
    for pair in query.split("&"):
        name, eq, _ = pair.partition("=")
        pairs.append(f"{name}={MASK}" if eq and is_secret_param(name) else pair)
    return "&".join(pairs)


def _masked_unparsed(url: str) -> str:
    head, sep, tail = url.partition("?")
    scheme, slashes, rest = head.partition("://")
    if slashes:
        userinfo, at, host = rest.rpartition("@")
        if at and ":" in userinfo:
            head = f"{scheme}://{userinfo.split(':', 1)[0]}:{MASK}@{host}"
    return head + sep + _masked_query(tail)


def redact_text(text: str) -> str:
    """``text`` (a message, an error) with every URL in it passed through :func:`redact_url`."""
    if "://" not in text:
        return text
    return URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def redact_settings(value: Any, key: str = "") -> Any:
    """Settings as they may be shown: values of secret-named keys masked, credentials inside
    every URL masked (lists and mappings are walked; the label config is left alone)."""
    if isinstance(value, dict):
        return {k: redact_settings(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_settings(v, key) for v in value]
    if key in NOT_SECRET_SETTINGS:
        return value
    if value and any(word in key.lower() for word in SECRET_WORDS):
        return MASK
    return redact_text(value) if isinstance(value, str) else value


class _RedactedRecord(logging.LogRecord):
    """A log record whose message never shows credentials inside URLs."""

    def getMessage(self) -> str:
        return redact_text(super().getMessage())


def redact_log_records() -> None:
    """Make every log record of the process mask credentials inside URLs (idempotent)."""
    factory = logging.getLogRecordFactory()
    if factory is logging.LogRecord:
        logging.setLogRecordFactory(_RedactedRecord)
    elif factory is not _RedactedRecord and not getattr(factory, "redacts", False):
        logging.setLogRecordFactory(_wrapped(factory))


def _wrapped(factory: Any) -> Any:
    """Another record factory, its records' messages masked when they are made."""

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = factory(*args, **kwargs)
        record.msg, record.args = redact_text(record.getMessage()), None
        return record

    make.redacts = True  # type: ignore[attr-defined]
    return make


def redacted(config: Config) -> dict[str, Any]:
    """The effective configuration with secrets hidden, for `GET /api/project`: secret-named
    keys and credentials inside URLs (``store.url``, ``ml_backends``) masked."""
    data = dataclasses.asdict(config)
    data.pop("config_dir", None)
    return cast(dict[str, Any], redact_settings(data))
