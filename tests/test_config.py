"""The configuration: defaults, unknown keys, wrong types, Label Studio 0.8 files, paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lsplug import config as configmod
from lsplug.config import ConfigError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    config = configmod.load(None)
    assert (config.port, config.host, config.sampling) == (8200, "127.0.0.1", "sequential")
    assert config.ml_backends == [] and config.editor.debug is False


def test_overrides_win_over_the_file(tmp_path: Path) -> None:
    file = write(tmp_path / "config.yaml", "port: 9000\ntitle: t\n")
    config = configmod.load(file, {"port": 9100, "title": None})
    assert (config.port, config.title) == (9100, "t")


def test_unknown_key_names_it_and_lists_known_keys() -> None:
    with pytest.raises(ConfigError) as info:
        configmod.from_dict({"prot": 8200})
    message = str(info.value)
    assert message.startswith("prot: unknown key")
    assert "port" in message and "label_config" in message and "sampling" in message


def test_unknown_nested_key_names_its_path() -> None:
    with pytest.raises(ConfigError, match=r"^editor\.bild_path: unknown key.*build_path"):
        configmod.from_dict({"editor": {"bild_path": "x"}})


@pytest.mark.parametrize(
    ("raw", "key", "expected"),
    [
        ({"port": "x"}, "port", "an integer"),
        ({"port": True}, "port", "a boolean"),
        ({"editor": {"debug": "yes"}}, "editor.debug", "true or false"),
        ({"ml_backends": 3}, "ml_backends", "a list"),
        ({"sampling": "bogus"}, "sampling", "sequential"),
        ({"editor": "x"}, "editor", "a mapping"),
        ({"editor": {"interfaces": [1]}}, "editor.interfaces[0]", "a string"),
    ],
)
def test_wrong_type_names_the_key(raw: dict[str, object], key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        configmod.from_dict(raw)
    assert str(info.value).startswith(f"{key}: ")
    assert expected in str(info.value)


def test_label_studio_08_config_json_loads(tmp_path: Path) -> None:
    legacy = {
        "title": "Label Studio",
        "port": 8200,
        "debug": False,
        "label_config": "config.xml",
        "input_path": "tasks.json",
        "output_dir": "completions",
        "instruction": "Type something to label experts!",
        "editor": {
            "build_path": "../build/static",
            "debug": False,
            "interfaces": ["basic", "panel", "submit", "submit:load", "side-column"],
        },
        "protocol": "http://",
        "allow_serving_local_files": False,
        "sampling": "uniform",
        "ml_backends": ["http://x:9090", "model=http://y:9090"],
    }
    config = configmod.load(write(tmp_path / "config.json", json.dumps(legacy)))
    assert config.title == "Label Studio" and config.sampling == "uniform"
    assert config.editor.interfaces[0] == "basic"
    assert [(m.name, m.url) for m in config.ml_backends] == [
        (None, "http://x:9090"),
        ("model", "http://y:9090"),
    ]


def test_legacy_storage_dict_is_flattened() -> None:
    config = configmod.from_dict(
        {"source": {"type": "tasks-json", "path": "/t.json", "params": {"x": 1}}}
    )
    assert config.source == {"type": "local", "x": 1, "path": "/t.json"}


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    config = configmod.load(write(folder / "config.yaml", "output_dir: out\n"))
    assert config.path(config.output_dir or "") == folder.resolve() / "out"
    assert config.data_path == folder.resolve() / "data"
    assert config.path("/abs/x") == Path("/abs/x")


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    file = write(tmp_path / "config.yaml", "title: ok\nport: [8200\n")
    with pytest.raises(ConfigError, match=r"config\.yaml at line \d+, column \d+"):
        configmod.load(file)


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        configmod.load(write(tmp_path / "config.yaml", "- a\n- b\n"))


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        configmod.load(tmp_path / "nope.yaml")


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    assert configmod.load(write(tmp_path / "config.yaml", "")).port == 8200


def test_redacted_hides_secrets_and_keeps_the_rest() -> None:
    config = configmod.from_dict(
        {
            "target": {"type": "s3", "bucket": "b", "aws_secret_access_key": "x"},
            "auth": {"password": "pw"},
            "label_config": "<View/>",
        }
    )
    shown = configmod.redacted(config)
    assert shown["target"] == {"type": "s3", "bucket": "b", "aws_secret_access_key": "********"}
    assert shown["auth"] == {"password": "********"}
    assert shown["label_config"] == "<View/>"
    assert "config_dir" not in shown
    assert "x" not in json.dumps(shown["target"]).replace("aws_secret_access_key", "")


def test_disabled_plugins_and_plugin_settings() -> None:
    config = configmod.from_dict({"plugins": {"json_exporters": False, "s3": {"region": "eu"}}})
    assert config.disabled_plugins() == ["json_exporters"]
    assert config.plugin_settings("s3") == {"region": "eu"}
    assert config.plugin_settings("json_exporters") == {}


def test_the_config_json_label_studio_08_wrote_for_a_new_project_loads(tmp_path: Path) -> None:
    written_by_08 = {
        "allow_delete_completions": True, "debug": False, "description": "default",
        "editor": {"debug": False}, "host": "0.0.0.0", "input_path": "tasks.json",
        "instruction": "Type some <b>hypertext</b> for annotators here!",
        "label_config": "config.xml", "label_config_updated": True, "ml_backends": [],
        "output_dir": "completions", "port": 8081, "protocol": "http://",
        "sampling": "sequential", "show_project_links_in_multisession": True,
        "source": {"name": "Tasks", "path": "tasks.json", "type": "tasks-json"},
        "target": {"name": "Completions", "path": "completions", "type": "completions-dir"},
        "task_page_auto_update_timer": 10000, "templates_dir": "examples", "title": "Label Studio",
    }  # fmt: skip
    config = configmod.load(write(tmp_path / "config.json", json.dumps(written_by_08)))
    assert (config.port, config.output_dir, config.label_config) == (
        8081,
        "completions",
        "config.xml",
    )
    assert config.source == {"type": "local", "path": "tasks.json"}
    assert config.target == {"type": "local", "path": "completions"}
