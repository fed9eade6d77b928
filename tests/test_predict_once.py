"""A task is sent to a model server's ``/predict`` once per model version: a real
label-studio-ml 1.0.9 server that logs every task id it is asked for, a real lsplug server
process, and every way a task can be asked for again (repeated ``/next``, task reads,
pages, restarts, ten concurrent clients, predict-all, score sampling)."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from procs import Server, call, wait_for

from lsplug.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".cache" / "lsml-venv"
NER = (
    '<View><Labels name="label" toName="text"><Label value="PER"/></Labels>'
    '<Text name="text" value="$text"/></View>'
)
MODEL = '''
import os
import time

from label_studio_ml.model import LabelStudioMLBase


class CountingModel(LabelStudioMLBase):
    """Loads slowly (label-studio-ml makes the model anew for every /setup and /predict),
    logs every task id it predicts (one line each), and labels the first word."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        time.sleep(float(os.environ.get("LOAD_DELAY", "0")))

    def predict(self, tasks, context=None, **kwargs):
        with open(os.environ["PREDICT_LOG"], "a") as log:
            log.write("".join(f"{task['id']}\\n" for task in tasks))
        time.sleep(float(os.environ.get("PREDICT_DELAY", "0")))
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
'''

pytestmark = pytest.mark.slow


def _up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


@pytest.fixture
def counting_model(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A label-studio-ml server whose model logs each predicted task id to a file."""
    subprocess.run(["bash", str(ROOT / "scripts" / "install_ml_server.sh")], check=True)
    work = tmp_path / "lsml"
    work.mkdir()
    (work / "model.py").write_text(MODEL)
    subprocess.run(
        [str(VENV / "bin" / "label-studio-ml"), "init", "app", "--script", "model.py"],
        cwd=work, check=True, capture_output=True,
    )  # fmt: skip
    log, port = work / "predicted.log", free_port()
    env = {**os.environ, "LABEL_STUDIO_ML_BACKEND_V2": "1", "PREDICT_LOG": str(log),
           "LOAD_DELAY": "0.5", "PREDICT_DELAY": "0.2"}  # fmt: skip
    proc = subprocess.Popen(
        [str(VENV / "bin" / "python"), "app/_wsgi.py", "--host", "127.0.0.1", "-p", str(port)],
        cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _up(url):
            assert proc.poll() is None and time.monotonic() < deadline, "no ML server"
            time.sleep(0.2)
        yield url, log
    finally:
        proc.terminate()
        proc.wait(10)


def _sent(log: Path) -> Counter[int]:
    """How often each task id reached ``/predict``."""
    text = log.read_text() if log.exists() else ""
    return Counter(int(line) for line in text.split())


def _next(server: Server, client: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        server.base + "/api/project/next", headers={"X-Lsplug-Client": client}
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        import json

        return resp.status, json.loads(resp.read())


def _at_once(server: Server, clients: list[str]) -> list[Any]:
    """``/api/project/next`` for every client at the same moment."""
    with ThreadPoolExecutor(len(clients)) as pool:
        return [body for _, body in pool.map(lambda c: _next(server, c), clients)]


def _project(tmp_path: Path, url: str, store: str | None = None) -> Path:
    (tmp_path / "ner.xml").write_text(NER)
    config = tmp_path / "config.yaml"
    lines = ["label_config: ner.xml", "data_dir: data", f"ml_backends: ['counting={url}']",
             "ml: {timeout: 20, batch_size: 5}"]  # fmt: skip
    if store:
        lines.append(f"store: {{url: '{store}'}}")
    config.write_text("\n".join(lines) + "\n")
    return config


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Every lsplug server a test starts is ended."""
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()


def _start(servers: list[Server], config: Path) -> Server:
    server = Server(config)
    servers.append(server)
    return server.start()


def _import(server: Server, n: int) -> None:
    tasks = [{"text": f"Word{i} and more words {'x' * i}"} for i in range(n)]
    status, body = server.call("POST", "/api/project/import", tasks)
    assert status == 201, body


def _read_everything(server: Server, ids: list[int]) -> None:
    for task_id in ids:
        assert server.call("GET", f"/api/tasks/{task_id}")[0] == 200
    assert server.call("GET", "/api/tasks?page=1&page_size=100")[0] == 200
    assert server.call("GET", "/api/models")[0] == 200


def test_repeated_next_reads_and_a_restart_send_a_task_once(
    tmp_path: Path, counting_model: tuple[str, Path], servers: list[Server]
) -> None:
    url, log = counting_model
    server = _start(servers, _project(tmp_path, url))
    _import(server, 4)
    first = [_next(server, "a")[1]["id"] for _ in range(3)]
    _read_everything(server, first)
    server.restart()  # the lease of client "a" holds: the same task again, at once
    again = _next(server, "a")[1]
    assert again["id"] == first[0] and again["predictions"]
    _read_everything(server, first)
    assert _sent(log) == Counter({first[0]: 1})


def test_ten_concurrent_clients_send_each_task_once(
    tmp_path: Path, counting_model: tuple[str, Path], servers: list[Server]
) -> None:
    url, log = counting_model
    server = _start(servers, _project(tmp_path, url))
    _import(server, 30)
    _at_once(server, ["same"] * 10)  # one client on ten connections: one leased task
    handed = _at_once(server, [f"c{i}" for i in range(10)])
    assert all(t["predictions"] for t in handed)
    assert server.call("PATCH", "/api/project", {"sampling": "prediction-score-min"})[0] == 200
    _at_once(server, [f"s{i}" for i in range(10)])  # score sampling predicts unscored first
    sent = _sent(log)
    assert sent and max(sent.values()) == 1, sent


def test_predict_all_and_restarts_send_each_task_once(
    tmp_path: Path, counting_model: tuple[str, Path], servers: list[Server]
) -> None:
    url, log = counting_model
    server = _start(servers, _project(tmp_path, url))
    _import(server, 40)
    _at_once(server, [f"c{i}" for i in range(5)])
    status, body = server.call("POST", "/api/models/predictions?mode=all_tasks")
    assert status == 200, body
    time.sleep(0.5)  # the run is under way: a restart interrupts it, and it resumes
    server.restart()

    def all_predicted() -> bool:
        return bool(server.call("GET", "/api/project")[1]["prediction_count"] == 40)

    wait_for(all_predicted, 60, "every task predicted")
    server.restart()
    _at_once(server, [f"d{i}" for i in range(10)])
    _read_everything(server, list(range(40)))
    sent = _sent(log)
    assert set(sent) == set(range(40)) and max(sent.values()) == 1, sent
    assert call(server.base, "GET", "/api/project")[1]["prediction_count"] == 40


def _at_once_on(servers: list[Server], clients: list[str]) -> list[Any]:
    """``/api/project/next`` for every client at once, the clients spread over servers."""
    with ThreadPoolExecutor(len(clients)) as pool:
        calls = [(servers[i % len(servers)], c) for i, c in enumerate(clients)]
        return [body for _, body in pool.map(lambda sc: _next(*sc), calls)]


def test_two_processes_on_one_postgresql_send_each_task_once(
    tmp_path: Path, counting_model: tuple[str, Path], servers: list[Server], pg_server: Any
) -> None:
    """Distinct clients on two processes: leases keep them on distinct tasks, and score
    sampling predicts one batch at a time across the processes."""
    url, log = counting_model
    config = _project(tmp_path, url, store=pg_server.new_database())
    first = _start(servers, config)
    second = _start(servers, config)
    _import(first, 30)
    handed = _at_once_on([first, second], [f"c{i}" for i in range(10)])
    assert len({t["id"] for t in handed}) == 10
    assert first.call("PATCH", "/api/project", {"sampling": "prediction-score-min"})[0] == 200
    second.restart()  # reads the new sampling
    _at_once_on([first, second], [f"s{i}" for i in range(10)])
    sent = _sent(log)
    assert sent and max(sent.values()) == 1, sent
