"""Split a `multipart/form-data` body already read into memory into its parts, in a thread.

Why not aiohttp's reader for uploads: it splits on the event loop, about 0.2 ms a part, and
copies what it reads past each part's end back into its buffer (10,000 files stalled the
loop 2-4 s). Reading the body is async I/O (`request.read()`); splitting is CPU, done here
by `bytes.find`, off the loop. Bad framing raises `MultipartError` naming the problem.
"""

from __future__ import annotations

import email.message
from dataclasses import dataclass

from aiohttp.helpers import parse_mimetype

MAX_HEADERS = 8192  # bytes of one part's header block


class MultipartError(ValueError):
    """A multipart body whose framing is broken; the message says how."""


@dataclass(frozen=True)
class Part:
    """One part: its field name, its file name (None for a plain field) and its bytes."""

    name: str | None
    filename: str | None
    content: bytes


def boundary_of(content_type: str) -> bytes:
    """The boundary of a multipart Content-Type; MultipartError when missing or invalid."""
    boundary = parse_mimetype(content_type).parameters.get("boundary", "")
    if not boundary:
        raise MultipartError(f"the Content-Type has no boundary: {content_type[:100]!r}")
    if len(boundary) > 70 or not boundary.isascii():
        raise MultipartError("the boundary must be at most 70 ASCII characters")
    return boundary.encode()


def split_form_data(body: bytes, content_type: str) -> list[Part]:
    """Every part of the body, in order."""
    delimiter = b"--" + boundary_of(content_type)
    position = _first_delimiter(body, delimiter)
    parts: list[Part] = []
    while not body.startswith(b"--", position):  # the close delimiter ends the body
        start = _line_end(body, position) + 2
        headers, content_start = _headers(body, start)
        end = body.find(b"\r\n" + delimiter, content_start)
        if end < 0:
            raise MultipartError(f"part {len(parts) + 1} has no closing boundary (truncated?)")
        parts.append(_part(headers, body[content_start:end]))
        position = end + 2 + len(delimiter)
    return parts


def _first_delimiter(body: bytes, delimiter: bytes) -> int:
    """Where the first boundary line ends (a preamble before it is skipped)."""
    if body.startswith(delimiter):
        return len(delimiter)
    found = body.find(b"\r\n" + delimiter)
    if found < 0:
        raise MultipartError(f"the boundary {delimiter.decode()!r} is not in the body")
    return found + 2 + len(delimiter)


def _line_end(body: bytes, position: int) -> int:
    """The CRLF ending a boundary line (transport padding allowed before it)."""
    end = body.find(b"\r\n", position)
    if end < 0 or body[position:end].strip(b" \t"):
        raise MultipartError("a boundary line is not followed by CRLF (truncated?)")
    return end


def _headers(body: bytes, start: int) -> tuple[email.message.Message, int]:
    """The part's headers and where its content starts."""
    if body.startswith(b"\r\n", start):
        return email.message.Message(), start + 2
    end = body.find(b"\r\n\r\n", start, start + MAX_HEADERS)
    if end < 0:
        raise MultipartError(f"a part's headers do not end within {MAX_HEADERS} bytes")
    try:
        block = body[start:end].decode("utf-8")
    except UnicodeDecodeError:
        raise MultipartError("a part's headers are not UTF-8") from None
    return _header_message(block), end + 4


def _header_message(block: str) -> email.message.Message:
    message = email.message.Message()
    for line in block.split("\r\n"):
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise MultipartError(f"a part's header line is malformed: {line[:80]!r}")
        message[name.strip()] = value.strip()
    return message


def _part(headers: email.message.Message, content: bytes) -> Part:
    if "Content-Disposition" not in headers:
        raise MultipartError("a part has no Content-Disposition header")
    name = headers.get_param("name", header="content-disposition")
    return Part(name if isinstance(name, str) else None, headers.get_filename(), content)
