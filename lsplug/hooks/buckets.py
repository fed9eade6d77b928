"""What task sources over buckets share (S3, GCS, or a third party's object store).

A bucket source filters object keys with the ``regex_filter`` field and, in media mode,
makes one task per object under one data key; these helpers turn those fields into
values or into field errors, the same way for every such plugin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lsplug.hooks.types import StorageContext, StorageError

MEDIA_ITEM = "object"  # the item key of the one task a media object makes


def key_filter(settings: Mapping[str, Any]) -> re.Pattern[str] | None:
    """The compiled ``regex_filter``, or None; a bad pattern is a field error."""
    pattern = str(settings.get("regex_filter") or "")
    try:
        return re.compile(pattern) if pattern else None
    except re.error as exc:
        raise StorageError({"regex_filter": [f"not a regular expression: {exc}"]}) from None


def media_key(settings: Mapping[str, Any], ctx: StorageContext) -> str:
    """The data key media tasks use: the ``data_key`` field, else the label config's first."""
    key = str(settings.get("data_key") or "") or ctx.data_key
    if not key:
        raise StorageError({"data_key": ["required: the label config names no data key"]})
    return key
