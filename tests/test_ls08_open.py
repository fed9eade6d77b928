"""`lsplug start DIR` on a Label Studio 0.8 project folder: ids, completions and files kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from procs import CHOICES_CONFIG, CHOICES_RESULT, Server, wait_for


def ls08_project(root: Path) -> Path:
    """A folder as Label Studio 0.8 left it: config.json, config.xml, tasks.json, completions/."""
    folder = root / "my_project"
    (folder / "completions").mkdir(parents=True)
    settings = {
        "title": "Label Studio",
        "port": 8080,
        "debug": False,
        "label_config": "config.xml",
        "input_path": "tasks.json",
        "output_dir": "completions",
        "instruction": "Type some <b>hypertext</b> for label experts!",
        "editor": {"debug": False},
        "sampling": "sequential",
        "ml_backends": [],
    }
    (folder / "config.json").write_text(json.dumps(settings, indent=2))
    (folder / "config.xml").write_text(CHOICES_CONFIG)
    tasks = {
        str(i): {"id": i, "data": {"text": text}}
        for i, text in ((0, "zero"), (5, "five"), (7, "seven"))
    }
    (folder / "tasks.json").write_text(json.dumps(tasks, indent=2))
    labeled = {
        **tasks["5"],
        "completions": [
            {"id": 5001, "result": CHOICES_RESULT, "created_at": 1_600_000_000, "lead_time": 2.5}
        ],
        "predictions": [],
    }
    (folder / "completions" / "5.json").write_text(json.dumps(labeled, indent=2))
    return folder


class FolderServer(Server):
    """``lsplug start DIR`` (or any other arguments after ``start``) on a free port."""

    def __init__(self, folder: Path, *args: str) -> None:
        super().__init__(folder / "config.json")
        self.args = args or (str(folder),)
        self.log = folder.parent / f"server-{self.port}.log"  # nothing added to the folder

    def start(self) -> FolderServer:
        args = [sys.executable, "-m", "lsplug", "start", *self.args, "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.config.parent.parent,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        wait_for(self._healthy, what=f"the server to answer (log: {self.log})")
        return self


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def tasks_of(server: Server) -> dict[int, dict[str, Any]]:
    status, tasks = server.call("GET", "/api/tasks?page=1&page_size=1000")
    assert status == 200
    return {t["id"]: t for t in tasks}


def test_start_dir_serves_a_label_studio_08_folder(tmp_path: Path, servers: list[Server]) -> None:
    folder = ls08_project(tmp_path)
    originals = {n: (folder / n).read_bytes() for n in ("config.json", "tasks.json", "config.xml")}
    old_five = (folder / "completions" / "5.json").read_bytes()
    server = FolderServer(folder)
    servers.append(server)
    server.start()

    tasks = tasks_of(server)
    assert sorted(tasks) == [0, 5, 7]
    assert tasks[7]["data"] == {"text": "seven"} and not tasks[7]["completions"]
    (kept,) = tasks[5]["completions"]
    assert kept["id"] == 5001 and kept["result"] == CHOICES_RESULT and kept["lead_time"] == 2.5
    status, project = server.call("GET", "/api/project")
    assert status == 200 and project["task_count"] == 3
    assert project["label_config_line"] == CHOICES_CONFIG  # from config.xml

    status, made = server.call("POST", "/api/tasks/7/completions", {"result": CHOICES_RESULT})
    assert status in (200, 201), made
    seven = folder / "completions" / "7.json"
    wait_for(seven.exists, what="completions/7.json")
    document = json.loads(seven.read_text())
    assert document["id"] == 7 and document["data"] == {"text": "seven"}
    assert [c["id"] for c in document["completions"]] == [made["id"]]
    assert made["id"] != 5001

    server.restart()  # later starts do not import again
    tasks = tasks_of(server)
    assert sorted(tasks) == [0, 5, 7]
    assert [c["id"] for c in tasks[5]["completions"]] == [5001]
    assert [c["id"] for c in tasks[7]["completions"]] == [made["id"]]
    status, project = server.call("GET", "/api/project")
    assert project["task_count"] == 3
    server.stop()

    assert {n: (folder / n).read_bytes() for n in originals} == originals
    assert (folder / "completions" / "5.json").read_bytes() == old_five
    assert (folder / "lsplug-data" / "lsplug.sqlite3").exists()
    assert sorted(p.name for p in folder.iterdir()) == [
        "completions", "config.json", "config.xml", "lsplug-data", "tasks.json",
    ]  # fmt: skip


def test_start_with_the_config_json_opens_the_folder_too(
    tmp_path: Path, servers: list[Server]
) -> None:
    folder = ls08_project(tmp_path)
    server = FolderServer(folder, "-c", str(folder / "config.json"))
    servers.append(server)
    server.start()
    assert sorted(tasks_of(server)) == [0, 5, 7]
    assert [c["id"] for c in tasks_of(server)[5]["completions"]] == [5001]
    server.stop()
    assert (folder / "lsplug-data" / "lsplug.sqlite3").exists()


def test_a_folder_that_is_no_project_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "empty", tmp_path / "missing"):
        result = subprocess.run(
            [sys.executable, "-m", "lsplug", "start", str(target)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 2
        (line,) = result.stderr.splitlines()
        assert line.startswith("lsplug: error: ") and str(target) in line
