"""The command line, run as a real process: help, init, plugins, start errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lsplug import config as configmod

LABEL_CONFIG = '<View><Text name="text" value="$text"/></View>'


def lsplug(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsplug", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
    )


def test_help_lists_the_commands() -> None:
    result = lsplug("--help")
    assert result.returncode == 0
    for command in ("start", "init", "plugins"):
        assert command in result.stdout


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("start", "Serve the project"),
        ("init", "config.yaml"),
        ("plugins", "List every plugin"),
        ("migrate", "Sessions are not moved"),
    ],
)
def test_each_command_has_help(command: str, says: str) -> None:
    result = lsplug(command, "--help")
    assert result.returncode == 0
    assert says in result.stdout


def test_version() -> None:
    result = lsplug("--version")
    assert result.returncode == 0 and result.stdout.startswith("lsplug ")


def test_init_writes_a_config_that_loads(tmp_path: Path) -> None:
    (tmp_path / "tasks.json").write_text('[{"text": "a"}]')
    result = lsplug(
        "init", "proj", "--label-config", LABEL_CONFIG, "--input-path", "tasks.json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    config = configmod.load(tmp_path / "proj" / "config.yaml")
    assert config.label_config == LABEL_CONFIG
    assert config.input_path == str((tmp_path / "tasks.json").resolve())
    assert config.path(config.output_dir or "") == (tmp_path / "proj" / "output").resolve()


def test_init_on_an_existing_project_exits_2_with_one_line(tmp_path: Path) -> None:
    assert lsplug("init", str(tmp_path / "proj")).returncode == 0
    result = lsplug("init", str(tmp_path / "proj"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "already exists" in result.stderr


def test_plugins_lists_plugins_and_registrations(tmp_path: Path) -> None:
    result = lsplug("plugins", cwd=tmp_path)
    assert result.returncode == 0
    assert "storage_local  (lsplug-storage-local" in result.stdout
    assert "source types: local" in result.stdout and "sink types: local" in result.stdout
    assert "exporters: JSON, JSON_MIN" in result.stdout


def test_plugins_json_parses(tmp_path: Path) -> None:
    result = lsplug("plugins", "--json", cwd=tmp_path)
    names = {p["name"]: p for p in json.loads(result.stdout)}
    assert names["json_exporters"]["exporters"] == ["JSON", "JSON_MIN"]
    assert names["storage_local"]["sink_types"] == ["local"]


def test_plugins_honours_a_config_disabling_one(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("plugins:\n  json_exporters: false\n")
    result = lsplug("plugins", "--json", "-c", str(tmp_path / "c.yaml"))
    names = [p["name"] for p in json.loads(result.stdout)]
    assert "json_exporters" not in names and "storage_local" in names


def test_start_with_an_unknown_key_exits_2_naming_it(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("title: x\nprot: 8200\n")
    result = lsplug("start", "-c", str(tmp_path / "bad.yaml"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lsplug: error: prot: unknown key")
    assert "Traceback" not in result.stderr


def test_start_with_a_missing_label_config_file_exits_2(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("label_config: missing.xml\ndata_dir: d\n")
    result = lsplug("start", "-c", str(tmp_path / "c.yaml"), "--port", "1")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "label_config: cannot read" in result.stderr.strip().splitlines()[-1]
