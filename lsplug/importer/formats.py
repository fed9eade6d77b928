"""Read task files (.json, .jsonl, .csv, .tsv, .txt) into lists of raw task items.

An item is the JSON value the file holds for one task (a dict, usually); wrapping it and
checking it against the label config happen elsewhere. Bad content raises `FormatError`
with a message naming the file and the place (line and column, or row).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from _csv import Reader

_BOM = b"\xef\xbb\xbf"


class FormatError(ValueError):
    """Bad file content; the message names the file and the place (line/column or row)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def read_tasks(name: str, content: bytes, data_key: str | None) -> list[Any]:
    """Tasks held in a file called `name`; its extension (any case) chooses the format."""
    extension = os.path.splitext(name)[1].lower()
    reader = _READERS.get(extension)
    if reader is None:
        supported = ", ".join(sorted(_READERS))
        raise FormatError(
            f"{name}: unsupported file type {extension or '(no extension)'!r}; "
            f"supported: {supported}"
        )
    return reader(name, content, data_key)


def read_json_body(content: bytes, where: str = "request body") -> Any:
    """Parse JSON bytes (a body or a .json file); errors name `where`, line and column."""
    try:
        return orjson.loads(content.removeprefix(_BOM))
    except orjson.JSONDecodeError as exc:
        _decode(content, where)  # bad UTF-8 is the real cause when there is some
        raise FormatError(
            f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc


def _decode(content: bytes, name: str) -> str:
    """The text of UTF-8 bytes, a leading BOM dropped; FormatError naming the line if not."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise FormatError(f"{name}: not valid UTF-8 on line {line} (byte {exc.start})") from exc


def _read_json(name: str, content: bytes, data_key: str | None) -> list[Any]:
    """A .json file: a list of tasks, or one task object."""
    value = read_json_body(content, name)
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    raise FormatError(
        f"{name}: a list of tasks or a task object was expected, not {_json_kind(value)}"
    )


def _json_kind(value: Any) -> str:
    """What a JSON scalar is, in JSON's words, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a string" if isinstance(value, str) else "a number"


def _read_jsonl(name: str, content: bytes, data_key: str | None) -> list[Any]:
    """A .jsonl file: one JSON value per non-blank line."""
    items = []
    loads = orjson.loads
    for number, line in enumerate(content.removeprefix(_BOM).splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(loads(line))
        except orjson.JSONDecodeError as exc:
            _check_utf8_line(name, number, line)
            raise FormatError(
                f"{name}: invalid JSON on line {number}, column {exc.colno}: {exc.msg}"
            ) from exc
    return items


def _check_utf8_line(name: str, number: int, line: bytes) -> None:
    """Name the line when its bytes are not UTF-8 (orjson would only say "line 1")."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: not valid UTF-8 on line {number}") from exc


def _read_csv(name: str, content: bytes, data_key: str | None) -> list[Any]:
    """A .csv file: the header row names the data keys, one task per row."""
    return _read_delimited(name, content, ",")


def _read_tsv(name: str, content: bytes, data_key: str | None) -> list[Any]:
    """A .tsv file: like .csv, with tabs between cells."""
    return _read_delimited(name, content, "\t")


def _read_delimited(name: str, content: bytes, delimiter: str) -> list[Any]:
    """Rows of a CSV-like file as dicts of strings keyed by the header; blank rows skipped."""
    rows = csv.reader(io.StringIO(_decode(content, name), newline=""), delimiter=delimiter)
    try:
        header = next(rows, None)
        if header is None:
            return []
        _check_header(name, header)
        return _row_dicts(name, header, rows)
    except csv.Error as exc:
        raise FormatError(f"{name}: line {rows.line_num}: {exc}") from exc


def _check_header(name: str, header: list[str]) -> None:
    """Refuse a header with an empty or a repeated column name."""
    seen: dict[str, int] = {}
    for column, key in enumerate(header, 1):
        if not key.strip():
            raise FormatError(f"{name}: line 1: header column {column} has no name")
        if key in seen:
            raise FormatError(
                f"{name}: line 1: header name {key!r} is repeated "
                f"(columns {seen[key]} and {column})"
            )
        seen[key] = column


def _row_dicts(name: str, header: list[str], rows: Reader) -> list[Any]:
    """One dict per data row; a row whose cell count differs from the header's is an error."""
    width = len(header)
    tasks = []
    for row in rows:
        if len(row) == width:
            if any(row):
                tasks.append(dict(zip(header, row, strict=True)))
        elif any(row):
            raise FormatError(
                f"{name}: line {rows.line_num}: the row has {len(row)} cells, "
                f"the header has {width}"
            )
    return tasks


def _read_txt(name: str, content: bytes, data_key: str | None) -> list[Any]:
    """A .txt file: one task per non-blank line, `{data_key: line}`."""
    if data_key is None:
        raise FormatError(
            f"{name}: the label config reads no data key ($key), "
            "so the lines of a .txt file cannot be mapped to task data"
        )
    lines = _decode(content, name).split("\n")
    return [{data_key: line.removesuffix("\r")} for line in lines if line.strip()]


_READERS: dict[str, Callable[[str, bytes, str | None], list[Any]]] = {
    ".json": _read_json,
    ".jsonl": _read_jsonl,
    ".csv": _read_csv,
    ".tsv": _read_tsv,
    ".txt": _read_txt,
}

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_READERS)
