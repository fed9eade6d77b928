"""The plugin itself: found through its entry point, registering ``local`` storage types."""

from __future__ import annotations

from importlib import metadata

import pytest

from lsplug.plugins import Plugins, entry_point_names, load_plugins


@pytest.fixture
def plugins() -> Plugins:
    """The core's plugin host with every entry point but this plugin's disabled."""
    return load_plugins(disabled=[n for n in entry_point_names() if n != "storage_local"])


def test_the_entry_point_is_discoverable() -> None:
    found = {ep.name: ep.value for ep in metadata.entry_points(group="lsplug")}

    assert found["storage_local"] == "lsplug_storage_local"


def test_the_core_loads_it_from_its_entry_point(plugins: Plugins) -> None:
    assert plugins.sources.owners["local"] == "storage_local"
    assert plugins.sinks.owners["local"] == "storage_local"


def test_it_registers_a_local_source_type(plugins: Plugins) -> None:
    source = plugins.sources.items["local"]

    assert source.title
    assert [f.as_json() for f in source.fields] == [
        {
            "name": "path",
            "type": "path",
            "default": None,
            "description": "A file or a folder of .json, .jsonl, .csv, .tsv or .txt files",
            "required": True,
            "secret": False,
        }
    ]


def test_it_registers_a_local_sink_type(plugins: Plugins) -> None:
    sink = plugins.sinks.items["local"]

    assert sink.title
    assert [(f.name, f.type, f.required) for f in sink.fields] == [("path", "path", True)]
    assert sink.fields[0].description == "The folder where <task_id>.json files are written"
