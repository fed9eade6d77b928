"""Fixtures of the local storage tests: a project folder in ``tmp_path``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lsplug.hooks import StorageContext


@pytest.fixture
def ctx(tmp_path: Path) -> StorageContext:
    """A storage context whose config folder is the test's temp folder."""
    return StorageContext(
        config_dir=tmp_path,
        data_dir=tmp_path / "data",
        data_key="text",
        run_in_thread=asyncio.to_thread,
    )
