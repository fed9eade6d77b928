"""The real `label-studio-ml` 1.0.9 server, in its own environment, with a small model class:
lsplug connects to it, hands out tasks with its predictions, and trains it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".cache" / "lsml-venv"
MODEL = '''
from label_studio_ml.model import LabelStudioMLBase


class FirstWordModel(LabelStudioMLBase):
    """Labels the first word PER; shorter texts score higher."""

    def predict(self, tasks, context=None, **kwargs):
        out = []
        for task in tasks:
            text = task["data"]["text"]
            end = len(text.split(" ")[0])
            value = {"start": 0, "end": end, "text": text[:end], "labels": ["PER"]}
            out.append({
                "result": [{"from_name": "label", "to_name": "text", "type": "labels",
                            "value": value}],
                "score": 1.0 / (1 + len(text)),
            })
        return out

    def fit(self, *args, **kwargs):
        return {"trained": True}
'''

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def ml_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`label-studio-ml init` + `_wsgi.py`, exactly as its README tells a user."""
    subprocess.run(["bash", str(ROOT / "scripts" / "install_ml_server.sh")], check=True)
    work = tmp_path_factory.mktemp("lsml")
    (work / "model.py").write_text(MODEL)
    subprocess.run(
        [str(VENV / "bin" / "label-studio-ml"), "init", "app", "--script", "model.py"],
        cwd=work, check=True, capture_output=True,
    )  # fmt: skip
    port = _free_port()
    env = {**os.environ, "LABEL_STUDIO_ML_BACKEND_V2": "1"}
    proc = subprocess.Popen(
        [str(VENV / "bin" / "python"), "app/_wsgi.py", "--host", "127.0.0.1", "-p", str(port)],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _up(url):
            assert proc.poll() is None and time.monotonic() < deadline, (
                "the ML server did not start"
            )
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


async def test_a_label_studio_ml_server_connects_and_predicts(make_client: Any, ml_server: str):
    client = await make_client(ml_backends=[f"first-word={ml_server}"])
    await client.post("/api/project/import", json=[{"text": "Ada Lovelace wrote programs"}])
    task = await (await client.get("/api/project/next")).json()
    (prediction,) = task["predictions"]
    assert prediction["created_by"] == "first-word"
    assert prediction["result"][0]["value"]["text"] == "Ada"
    (model,) = (await (await client.get("/api/models")).json())["models"]
    assert model["connected"] is True and model["model_version"]


async def test_a_label_studio_ml_server_accepts_the_training_signal(
    make_client: Any, ml_server: str, ner_result: Any
):
    client = await make_client(ml_backends=[f"first-word={ml_server}"])
    await client.post("/api/project/import", json=[{"text": "Alice met Bob"}])
    await client.post("/api/tasks/0/completions", json={"result": ner_result})
    resp = await client.post("/api/models/train")
    assert resp.status == 200
    jobs = (await resp.json())["jobs"]["first-word"]
    assert "error" not in jobs, jobs
