"""Google Cloud Storage for lsplug: a bucket prefix as a task source and as a sink.

Implements the hooks ``lsplug_source_types`` and ``lsplug_sink_types``, both registering
the storage type ``gcs``. Found through the entry point ``storage_gcs`` of the group
``lsplug``, like any third party's plugin. google-cloud-storage blocks, so every call to
it runs in a thread (``StorageContext.run_in_thread``), never on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsplug.hooks import Field, SinkType, SourceType, hookimpl
from lsplug_storage_gcs.sink import GCSSink
from lsplug_storage_gcs.source import GCSSource

__all__ = ["GCSSink", "GCSSource", "lsplug_sink_types", "lsplug_source_types"]


def place_fields() -> list[Field]:
    """Where the objects are: bucket and prefix."""
    return [
        Field("bucket", "string", "The bucket's name", required=True),
        Field("prefix", "string", "Only objects under this folder-like prefix", default=""),
    ]


def credential_fields() -> list[Field]:
    """How to reach the bucket; no key means the environment's default credentials."""
    return [
        Field(
            "google_application_credentials",
            "text",
            "A service-account key: its JSON, or the path of its file (empty: the environment's "
            "default credentials)",
            secret=True,
        ),
        Field(
            "google_project_id", "string", "The Google Cloud project (empty: the key's)", default=""
        ),
        Field("endpoint_url", "string", "A GCS emulator's URL; empty: Google", default=""),
    ]


def source_fields() -> list[Field]:
    """The form of a ``gcs`` source."""
    return [
        *place_fields(),
        Field(
            "regex_filter", "string", "Only object names this regular expression finds", default=""
        ),
        Field(
            "use_blob_urls",
            "boolean",
            'Each object is one media file: its task is {data_key: "gs://bucket/name"}; '
            "off: each object holds tasks (.json, .jsonl, .csv, .tsv, .txt)",
            default=True,
        ),
        Field(
            "data_key", "string", "The data key of media tasks (empty: the config's)", default=""
        ),
        *credential_fields(),
        Field("presign_ttl", "integer", "Seconds a signed media URL stays valid", default=3600),
    ]


@hookimpl
def lsplug_source_types() -> Sequence[SourceType]:
    """Offer ``gcs`` task sources when an app is created."""
    return [
        SourceType(
            name="gcs",
            title="Google Cloud Storage",
            description="Tasks from the objects under a bucket prefix, listed recursively.",
            fields=source_fields(),
            create=GCSSource,
            url_schemes=("gs",),
        )
    ]


@hookimpl
def lsplug_sink_types() -> Sequence[SinkType]:
    """Offer ``gcs`` completion sinks when an app is created."""
    return [
        SinkType(
            name="gcs",
            title="Google Cloud Storage",
            description="One <prefix>/<task_id>.json object per task with its completions.",
            fields=[*place_fields(), *credential_fields()],
            create=GCSSink,
        )
    ]
