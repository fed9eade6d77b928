"""Local files for lsplug: a file or folder of tasks as a source, a folder as a sink.

Implements the hooks ``lsplug_source_types`` and ``lsplug_sink_types``, both registering
the storage type ``local``. Found through the entry point ``storage_local`` of the group
``lsplug``, like any third party's plugin.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsplug.hooks import Field, SinkType, SourceType, hookimpl
from lsplug_storage_local.sink import LocalSink
from lsplug_storage_local.source import LocalSource

__all__ = ["LocalSink", "LocalSource", "lsplug_sink_types", "lsplug_source_types"]


@hookimpl
def lsplug_source_types() -> Sequence[SourceType]:
    """Offer ``local`` task sources when an app is created."""
    path = Field(
        "path",
        "path",
        "A file or a folder of .json, .jsonl, .csv, .tsv or .txt files",
        required=True,
    )
    return [
        SourceType(
            name="local",
            title="Local files",
            description="Tasks from a file, or from every task file of a folder in name order.",
            fields=[path],
            create=LocalSource,
        )
    ]


@hookimpl
def lsplug_sink_types() -> Sequence[SinkType]:
    """Offer ``local`` completion sinks when an app is created."""
    path = Field("path", "path", "The folder where <task_id>.json files are written", required=True)
    return [
        SinkType(
            name="local",
            title="Local folder",
            description="One <task_id>.json file per task with its completions.",
            fields=[path],
            create=LocalSink,
        )
    ]
