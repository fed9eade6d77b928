"""`lsplug.hooks.buckets`: the fields every bucket source reads, and their field errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lsplug.hooks import StorageContext, StorageError
from lsplug.hooks.buckets import key_filter, media_key


def context(data_key: str | None) -> StorageContext:
    return StorageContext(Path("."), Path("data"), data_key, asyncio.to_thread)


def test_an_empty_regex_filter_keeps_every_key() -> None:
    assert key_filter({"regex_filter": ""}) is None


def test_a_regex_filter_is_compiled() -> None:
    pattern = key_filter({"regex_filter": r".*\.jpe?g$"})
    assert pattern is not None and pattern.match("cats/tom.jpeg")


def test_a_bad_regex_filter_is_an_error_of_that_field() -> None:
    with pytest.raises(StorageError) as caught:
        key_filter({"regex_filter": "(unclosed"})
    assert list(caught.value.errors) == ["regex_filter"]


def test_media_tasks_use_the_data_key_field_first() -> None:
    assert media_key({"data_key": "photo"}, context("image")) == "photo"


def test_media_tasks_fall_back_to_the_label_configs_key() -> None:
    assert media_key({}, context("image")) == "image"


def test_no_data_key_anywhere_is_an_error_of_that_field() -> None:
    with pytest.raises(StorageError) as caught:
        media_key({}, context(None))
    assert list(caught.value.errors) == ["data_key"]
