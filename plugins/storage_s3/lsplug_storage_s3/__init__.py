"""S3 buckets for lsplug: a bucket prefix as a task source, a bucket prefix as a sink.

Implements the hooks ``lsplug_source_types`` and ``lsplug_sink_types``, both registering
the storage type ``s3``. Found through the entry point ``storage_s3`` of the group
``lsplug``, like any third party's plugin. Works with any S3 API (``endpoint_url``).
"""

from __future__ import annotations

from collections.abc import Sequence

from lsplug.hooks import Field, SinkType, SourceType, hookimpl
from lsplug_storage_s3.sink import S3Sink
from lsplug_storage_s3.source import S3Source

__all__ = ["S3Sink", "S3Source", "lsplug_sink_types", "lsplug_source_types"]


def place_fields() -> list[Field]:
    """Where the objects are: bucket and prefix."""
    return [
        Field("bucket", "string", "The bucket's name", required=True),
        Field("prefix", "string", "Only keys under this folder-like prefix", default=""),
    ]


def credential_fields() -> list[Field]:
    """How to reach the bucket; empty credentials fall back to the environment's."""
    return [
        Field(
            "aws_access_key_id", "string", "Access key id (empty: the environment's)", secret=True
        ),
        Field("aws_secret_access_key", "string", "Secret access key", secret=True),
        Field("aws_session_token", "string", "Session token of temporary credentials", secret=True),
        Field("region_name", "string", "The bucket's region", default="us-east-1"),
        Field(
            "endpoint_url", "string", "Another S3 API (MinIO, moto, ...); empty: AWS", default=""
        ),
    ]


def source_fields() -> list[Field]:
    """The form of an ``s3`` source."""
    return [
        *place_fields(),
        Field("regex_filter", "string", "Only keys this regular expression finds", default=""),
        Field(
            "use_blob_urls",
            "boolean",
            'Each object is one media file: its task is {data_key: "s3://bucket/key"}; '
            "off: each object holds tasks (.json, .jsonl, .csv, .tsv, .txt)",
            default=True,
        ),
        Field(
            "data_key", "string", "The data key of media tasks (empty: the config's)", default=""
        ),
        *credential_fields(),
        Field("presign_ttl", "integer", "Seconds a presigned media URL stays valid", default=3600),
    ]


@hookimpl
def lsplug_source_types() -> Sequence[SourceType]:
    """Offer ``s3`` task sources when an app is created."""
    return [
        SourceType(
            name="s3",
            title="Amazon S3",
            description="Tasks from the objects under a bucket prefix, listed recursively.",
            fields=source_fields(),
            create=S3Source,
            url_schemes=("s3",),
        )
    ]


@hookimpl
def lsplug_sink_types() -> Sequence[SinkType]:
    """Offer ``s3`` completion sinks when an app is created."""
    return [
        SinkType(
            name="s3",
            title="Amazon S3",
            description="One <prefix>/<task_id>.json object per task with its completions.",
            fields=[*place_fields(), *credential_fields()],
            create=S3Sink,
        )
    ]
