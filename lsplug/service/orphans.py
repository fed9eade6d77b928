"""Refuse a label config change that would orphan data: tasks or completions it cannot show.

A change that only adds (a new control, a new label, a key every task holds) passes. The
counting runs in the store's reader threads (SQL over the tasks' data and the completions'
result items), never over the rows in Python.
"""

from __future__ import annotations

from lsplug.errors import BadInput
from lsplug.labelconfig import LabelConfig
from lsplug.labelconfig.catalogue import TAGS
from lsplug.store import Store

# The JSON types (SQLite's json_type names) a data kind of the catalogue accepts.
JSON_TYPES = {
    "text": ("text", "integer", "real"),
    "url": ("text",),
    "list": ("array",),
    "object": ("object",),
    "url_or_object": ("text", "object"),
}


async def refuse_orphans(store: Store, project_id: int, old: LabelConfig, new: LabelConfig) -> None:
    """Raise :class:`BadInput` (``{"label_config": [...]}``) naming what ``new`` orphans."""
    problems = await _task_problems(store, project_id, old, new)
    problems += _completion_problems(await store.result_usage(project_id), new)
    if problems:
        raise BadInput("the label config would orphan existing data", label_config=problems)


async def _task_problems(
    store: Store, project_id: int, old: LabelConfig, new: LabelConfig
) -> list[str]:
    problems = []
    for key, tag in new.data_types.items():
        kind = TAGS[tag].data or "text"
        old_tag = old.data_types.get(key)
        if old_tag is not None and (TAGS[old_tag].data or "text") == kind:
            continue  # every task was checked for it on import
        count = await store.count_tasks_unlike(project_id, key, JSON_TYPES[kind])
        if count:
            problems.append(
                f'{count} tasks lack "{key}" or hold a value <{tag}> cannot show (the new '
                f"config's <{tag}> reads ${key}); import matching tasks, rewrite or delete "
                "those tasks first, or read another key"
            )
    return problems


def _completion_problems(usage: list[tuple[str, str | None, int]], new: LabelConfig) -> list[str]:
    problems = []
    gone: dict[str, int] = {}
    for from_name, label, count in usage:
        control = new.controls.get(from_name)
        if control is None:
            gone[from_name] = max(gone.get(from_name, 0), count)
        elif label is not None and control.labels and not _known(label, control.labels):
            problems.append(
                f'label "{label}" of <{control.tag} name="{from_name}"> is used by {count} '
                "completions; keep it in the config or delete those completions first"
            )
    for from_name, count in gone.items():
        problems.insert(
            0,
            f'control "{from_name}" is used by {count} completions and the new config has '
            "no control of that name; keep it or delete those completions first",
        )
    return problems


def _known(label: str, labels: tuple[str, ...]) -> bool:
    """A label, or a taxonomy path (a JSON list) whose every step is a choice."""
    if label.startswith("["):
        import orjson

        try:
            steps = orjson.loads(label)
        except orjson.JSONDecodeError:
            return label in labels
        return all(str(s) in labels for s in steps) if isinstance(steps, list) else False
    return label in labels
