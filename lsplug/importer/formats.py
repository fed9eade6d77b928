"""Read task files (.json, .jsonl, .csv, .tsv, .txt) into lists of raw task items.

An item is the JSON value the file holds for one task (a dict, usually); wrapping it and
checking it against the label config happen elsewhere. Bad content raises `FormatError`
with a message naming the file and the place (line and column, or row).

The line formats (.jsonl, .csv, .tsv, .txt) are read as streams, so a zip member is never
expanded whole in memory; JSON is read whole (its parser needs all of it). JSON nested
deeper than `MAX_JSON_DEPTH` is refused: the encoder that writes tasks back out (answers,
exports, sinks) stops at 254 levels while the decoder reads 1,024.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

_BOM = b"\xef\xbb\xbf"
ENCODER_DEPTH = 254  # orjson.dumps refuses deeper values ("Recursion limit reached")
MAX_JSON_DEPTH = 200
"""The deepest nesting of arrays and objects accepted in JSON input: what the encoder can
write back with room for the levels an answer, an export or a sink adds around a task."""
_END = "\x00lsplug:end-of-file\x00"  # read after the last line: inside a quoted cell if one is open
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SLICE = 20_000  # list items per depth probe: a probe of a million holds the GIL 0.15 s
_PIECE = 512 << 10  # bytes of a large JSON array per orjson call (about 3 ms)
_TRIES = 16  # cuts tried per piece before parsing the document in one call
_ARRAY_OF_OBJECTS = re.compile(rb"\s*\[\s*\{")
_ITEM_BREAK = re.compile(rb"\}\s*,\s*\{")  # maybe between two top-level items


class FormatError(ValueError):
    """Bad file content; the message names the file and the place (line/column or row)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TaskFile:
    """A task file to read: its name and a way to open its bytes (again, to find an error)."""

    name: str
    open: Callable[[], IO[bytes]]

    @classmethod
    def of_bytes(cls, name: str, content: bytes) -> TaskFile:
        """A file whose bytes are in memory."""
        return cls(name, lambda: io.BytesIO(content))


def read_tasks(name: str, content: bytes, data_key: str | None) -> list[Any]:
    """Tasks held in a file called `name`; its extension (any case) chooses the format."""
    return read_task_file(TaskFile.of_bytes(name, content), data_key)


def read_task_file(file: TaskFile, data_key: str | None) -> list[Any]:
    """Tasks held in ``file``; its extension (any case) chooses the format."""
    return reader_of(file.name)(file, data_key)


def reader_of(name: str) -> Callable[[TaskFile, str | None], list[Any]]:
    """The reader of a file name's format; FormatError listing the supported ones if none."""
    extension = os.path.splitext(name)[1].lower()
    reader = _READERS.get(extension)
    if reader is None:
        supported = ", ".join(sorted(_READERS))
        raise FormatError(
            f"{name}: unsupported file type {extension or '(no extension)'!r}; "
            f"supported: {supported}"
        )
    return reader


def read_json_body(content: bytes, where: str = "request body") -> Any:
    """Parse JSON bytes (a body or a .json file); errors name `where`, line and column."""
    try:
        value = _loads(content.removeprefix(_BOM))
    except orjson.JSONDecodeError as exc:
        _decode(content, where)  # bad UTF-8 is the real cause when there is some
        raise FormatError(
            f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    check_depth(value, where)
    return value


def _loads(content: bytes) -> Any:
    """``orjson.loads``; a large array of objects is parsed a few MB at a time.

    Why: one orjson call on 85 MB holds the GIL for half a second, and the event loop waits
    that long although the call runs in a thread. A piece ends at a ``},{`` that turns out to
    close a top-level item: ``[`` + piece + ``]`` parses only then (a cut inside an item or
    a string leaves brackets or a quote open). Anything unusual falls back to one call.
    """
    start = _first_object(content)
    if start is None or len(content) < 2 * _PIECE:
        return orjson.loads(content)
    items: list[Any] = []
    while len(content) - start > 2 * _PIECE:
        piece = _next_piece(content, start)
        if piece is None:
            return orjson.loads(content)
        items.extend(piece[0])
        start = piece[1]
    try:
        items.extend(orjson.loads(b"[" + content[start:]))
    except orjson.JSONDecodeError:
        return orjson.loads(content)  # the error, with its place in the whole document
    return items


def _first_object(content: bytes) -> int | None:
    """Where the first item of a top-level array of objects starts, else None."""
    match = _ARRAY_OF_OBJECTS.match(content)
    return match.end() - 1 if match else None


def _next_piece(content: bytes, start: int) -> tuple[list[Any], int] | None:
    """The items from ``start`` to a cut about `_PIECE` bytes on, and where the next begin."""
    search = start + _PIECE
    for _ in range(_TRIES):
        cut = _ITEM_BREAK.search(content, search)
        if cut is None:
            return None
        try:
            return orjson.loads(b"[" + content[start : cut.start() + 1] + b"]"), cut.end() - 1
        except orjson.JSONDecodeError:
            search = cut.end()
    return None


def check_depth(value: Any, where: str) -> None:
    """Refuse a value nested deeper than `MAX_JSON_DEPTH` levels of arrays and objects.

    Cheap: one C encode of the value under enough extra levels that the encoder's own
    limit falls at `MAX_JSON_DEPTH` (a Python walk of a large import took 20 times longer).
    """
    if not _too_deep(value):
        return
    place = _deep_place(value)
    raise FormatError(
        f"{where}: {place}JSON nested more than {MAX_JSON_DEPTH} levels deep (arrays and "
        f"objects); at most {MAX_JSON_DEPTH} levels can be stored"
    )


def _too_deep(value: Any) -> bool:
    if isinstance(value, list) and len(value) > _SLICE:  # one C call holds the GIL: slices
        return any(_too_deep(value[i : i + _SLICE]) for i in range(0, len(value), _SLICE))
    if not isinstance(value, list | dict):
        return False
    probe = value
    for _ in range(ENCODER_DEPTH - MAX_JSON_DEPTH):
        probe = [probe]
    try:
        orjson.dumps(probe)
    except orjson.JSONEncodeError:
        return True
    return False


def _deep_place(value: Any) -> str:
    """Where the first too-deep part is: ``item 3: `` of a list, ``key 'x': `` of an object."""
    parts = enumerate(value) if isinstance(value, list) else value.items()
    for key, part in parts:
        if _too_deep([part]):
            return f"item {key}: " if isinstance(value, list) else f"key {key!r}: "
    return ""


def _decode(content: bytes, name: str) -> str:
    """The text of UTF-8 bytes, a leading BOM dropped; FormatError naming the line if not."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content.count(b"\n", 0, exc.start) + 1
        raise FormatError(f"{name}: not valid UTF-8 on line {line} (byte {exc.start})") from exc


def _read_json(file: TaskFile, data_key: str | None) -> list[Any]:
    """A .json file: a list of tasks, or one task object."""
    with file.open() as stream:
        value = read_json_body(stream.read(), file.name)
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value]
    raise FormatError(
        f"{file.name}: a list of tasks or a task object was expected, not {_json_kind(value)}"
    )


def _json_kind(value: Any) -> str:
    """What a JSON scalar is, in JSON's words, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a string" if isinstance(value, str) else "a number"


def _read_jsonl(file: TaskFile, data_key: str | None) -> list[Any]:
    """A .jsonl file: one JSON value per non-blank line."""
    with file.open() as stream:
        return [_jsonl_value(file.name, n, line) for n, line in _byte_lines(stream)]


def _byte_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Numbered non-blank lines of a stream, a leading BOM dropped."""
    for number, line in enumerate(stream, 1):
        if number == 1:
            line = line.removeprefix(_BOM)
        if line.strip():
            yield number, line


def _jsonl_value(name: str, number: int, line: bytes) -> Any:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        _check_utf8_line(name, number, line)
        raise FormatError(
            f"{name}: invalid JSON on line {number}, column {exc.colno}: {exc.msg}"
        ) from exc
    check_depth(value, f"{name}: line {number}")
    return value


def _check_utf8_line(name: str, number: int, line: bytes) -> None:
    """Name the line when its bytes are not UTF-8 (orjson would only say "line 1")."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{name}: not valid UTF-8 on line {number}") from exc


def _read_csv(file: TaskFile, data_key: str | None) -> list[Any]:
    """A .csv file: the header row names the data keys, one task per row."""
    return _read_delimited(file, ",")


def _read_tsv(file: TaskFile, data_key: str | None) -> list[Any]:
    """A .tsv file: like .csv, with tabs between cells."""
    return _read_delimited(file, "\t")


def _read_delimited(file: TaskFile, delimiter: str) -> list[Any]:
    """Rows of a CSV-like file as dicts of strings keyed by the header; blank rows skipped."""
    with file.open() as stream:
        lines = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        try:
            rows = _csv_rows(file.name, lines, delimiter)
            header = next(rows, None)
            if header is None:
                return []
            _check_header(file.name, header[1])
            return _row_dicts(file.name, header[1], rows)
        except UnicodeDecodeError:
            raise _bad_utf8(file) from None


def _csv_rows(name: str, lines: Iterable[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every row; FormatError for a quoted cell never closed.

    Python's reader takes a quote left open as a cell running to the end of the file; a
    marker line read after the last one shows it: it ends up inside that cell.
    """
    reader = csv.reader(itertools.chain(lines, ["\n", _END]), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            if row and row[-1].endswith(_END):
                if row != [_END]:
                    raise _unclosed(name, start, row)
                return
            yield reader.line_num, row
            start = reader.line_num + 1
    except csv.Error as exc:
        hint = ""
        if "field larger" in str(exc):
            hint = ' (is a quote (") that opens a cell in this row never closed?)'
        raise FormatError(f"{name}: line {start}: {exc}{hint}") from exc


def _unclosed(name: str, start: int, row: list[str]) -> FormatError:
    """The error of a quoted cell left open: it names the line where that cell starts."""
    line = start + sum(len(_LINE_BREAK.findall(cell)) for cell in row[:-1])
    return FormatError(
        f'{name}: line {line}: a quoted cell starts here and its closing quote (") is '
        "missing, so the rest of the file would be read into that one cell; close the "
        'quote, or double the quotes inside the cell ("")'
    )


def _bad_utf8(file: TaskFile) -> FormatError:
    """The error naming the line of the first bytes that are not UTF-8 (read again)."""
    with file.open() as stream:
        content = stream.read()
    try:
        _decode(content, file.name)
    except FormatError as exc:
        return exc
    return FormatError(f"{file.name}: not valid UTF-8")


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


def _row_dicts(name: str, header: list[str], rows: Iterator[tuple[int, list[str]]]) -> list[Any]:
    """One dict per data row; a row whose cell count differs from the header's is an error."""
    width = len(header)
    tasks = []
    for line, row in rows:
        if len(row) == width:
            if any(row):
                tasks.append(dict(zip(header, row, strict=True)))
        elif any(row):
            raise FormatError(
                f"{name}: line {line}: the row has {len(row)} cells, the header has {width}"
            )
    return tasks


def _read_txt(file: TaskFile, data_key: str | None) -> list[Any]:
    """A .txt file: one task per non-blank line, `{data_key: line}`."""
    if data_key is None:
        raise FormatError(
            f"{file.name}: the label config reads no data key ($key), "
            "so the lines of a .txt file cannot be mapped to task data"
        )
    with file.open() as stream:
        lines = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="\n")
        try:
            return [
                {data_key: line.removesuffix("\n").removesuffix("\r")}
                for line in lines
                if line.strip()
            ]
        except UnicodeDecodeError:
            raise _bad_utf8(file) from None


_READERS: dict[str, Callable[[TaskFile, str | None], list[Any]]] = {
    ".json": _read_json,
    ".jsonl": _read_jsonl,
    ".csv": _read_csv,
    ".tsv": _read_tsv,
    ".txt": _read_txt,
}

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(_READERS)
