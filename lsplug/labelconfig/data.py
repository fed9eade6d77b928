"""The task data a label config needs: the type each tag shows, checks and examples."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from lsplug.labelconfig.catalogue import DATA_KINDS, TAGS
from lsplug.labelconfig.check import LabelConfig

_TYPES: dict[str, type | tuple[type, ...]] = {
    "text": (str, int, float),
    "url": str,
    "list": list,
    "object": dict,
    "url_or_object": (str, dict),
}
SAMPLES = "/static/samples"


def data_kind(tag: str) -> str | None:
    """The catalogue's data kind of ``tag`` (``text``, ``url``...), None for any value."""
    spec = TAGS.get(tag)
    return spec.data if spec else None


def allowed_types(tag: str) -> type | tuple[type, ...]:
    """The Python types of a task value that ``tag`` can show (``object``: anything)."""
    kind = data_kind(tag)
    return _TYPES[kind] if kind else object


def _all_objects(value: list[Any]) -> bool:
    return all(type(v) is dict for v in value)


def deep_check(tag: str) -> Callable[[Any], bool] | None:
    """A check of the value's items beyond its type (a list of objects), or None."""
    return _all_objects if data_kind(tag) == "list" else None


def check_task_data(data: Any, data_types: dict[str, str]) -> str | None:
    """Why ``data`` cannot be shown by a config reading ``data_types``, or None if it can."""
    if not isinstance(data, dict):
        return f"task data must be a JSON object, not {_kind(data)}"
    for key, tag in data_types.items():
        if key not in data:
            return f'"{key}" key is expected in task data (the config\'s <{tag}> reads ${key})'
        value = data[key]
        deep = deep_check(tag)
        if not isinstance(value, allowed_types(tag)) or (deep and not deep(value)):
            want = DATA_KINDS.get(data_kind(tag) or "", "a value")
            return f'"{key}" must be {want} for <{tag}>, not {_described(value)}'
    return None


def _described(value: Any) -> str:
    if isinstance(value, list) and not _all_objects(value):
        return "a list holding " + next(_kind(v) for v in value if type(v) is not dict)
    return _kind(value)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


# --- examples --------------------------------------------------------------------------------

_EXAMPLES: dict[str, Any] = {
    "Text": "Ada Lovelace wrote the first program in London in 1843.",
    "HyperText": "<p>Ada Lovelace wrote the <b>first program</b> in London.</p>",
    "Header": "Read the text, then label it",
    "Image": f"{SAMPLES}/sample.png",
    "Audio": f"{SAMPLES}/sample.wav",
    "AudioPlus": f"{SAMPLES}/sample.wav",
    "Video": f"{SAMPLES}/sample.webm",
    "Paragraphs": [
        {"author": "Ada", "text": "Did you read the notes on the engine?"},
        {"author": "Charles", "text": "Twice. Your program is the best part."},
    ],
    "Table": {"name": "Ada Lovelace", "born": 1815, "city": "London"},
    "List": [
        {"id": 1, "title": "The engine", "body": "A machine that computes tables."},
        {"id": 2, "title": "The notes", "body": "Translations with long comments."},
    ],
}


def example_data(config: LabelConfig) -> dict[str, Any]:
    """One task's data that fits ``config``, for the import-example helpers."""
    if config.example is not None:
        return dict(config.example)
    return {key: _example_value(config, key, tag) for key, tag in config.data_types.items()}


def _example_value(config: LabelConfig, key: str, tag: str) -> Any:
    if tag == "TimeSeries":
        return _timeseries(config.xml, key)
    return _EXAMPLES.get(tag, "example")


def _timeseries(xml: str, key: str) -> Any:
    """A CSV URL (or, for ``valueType="json"``, columns) with the config's channels."""
    from lxml import etree

    from lsplug.labelconfig.check import _parser

    root = etree.fromstring(xml.encode(), _parser())
    for el in root.iter("TimeSeries", "timeseries", "Timeseries"):
        if el.get("value") != f"${key}":
            continue
        time_col = el.get("timeColumn") or "time"
        columns = [c.get("column") or "value" for c in el.iter("Channel", "channel")]
        if (el.get("valueType") or "url").lower() == "json":
            rows = range(20)
            return {time_col: list(rows), **{c: [(i * 7 + n) % 11 for i in rows]
                                             for n, c in enumerate(columns)}}  # fmt: skip
        names = ",".join([time_col, *columns])
        return f"/api/import-example/timeseries.csv?columns={quote(names)}"
    return f"/api/import-example/timeseries.csv?columns={quote('time,value')}"


def timeseries_csv(columns: list[str], rows: int = 50) -> str:
    """A small CSV whose first column counts up and the others wave (for TimeSeries)."""
    lines = [",".join(columns)]
    for i in range(rows):
        lines.append(
            ",".join([str(i), *(str((i * (n + 3)) % 17) for n in range(len(columns) - 1))])
        )
    return "\n".join(lines) + "\n"
