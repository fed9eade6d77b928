"""The model page in a real browser: connect a model server, predict all tasks."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from procs import Server

StartServer = Callable[..., Server]
REGION = {"from_name": "label", "to_name": "text", "type": "labels",
          "value": {"start": 0, "end": 1, "labels": ["PER"]}}  # fmt: skip


class ModelHandler(BaseHTTPRequestHandler):
    """A Label Studio ML backend that predicts every task at once."""

    def _answer(self, body: Any) -> None:
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        self._answer({"status": "UP"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        if self.path == "/predict":
            self._answer({"results": [{"result": [REGION], "score": 0.5} for _ in body["tasks"]]})
        else:
            self._answer({"model_version": "page-1"})

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def model_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ModelHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_connect_a_model_then_predict_all_tasks(
    page: Any, start_server: StartServer, model_url: str
) -> None:
    server = start_server(tasks=[{"text": f"t{i}"} for i in range(5)])
    page.goto(server.base + "/model")
    page.wait_for_selector("#lsp-models >> text=No model server is connected.")
    page.fill("#lsp-model-name", "pager")
    page.fill("#lsp-model-url", model_url)
    page.click("#lsp-connect button[type=submit]")
    page.wait_for_selector("#lsp-models >> text=page-1")
    page.click("#lsp-predict")
    page.wait_for_selector("#lsp-predict-progress >> text=done")
    assert server.call("GET", "/api/project")[1]["prediction_count"] == 5


def test_connecting_a_model_that_does_not_answer_shows_why(
    page: Any, start_server: StartServer
) -> None:
    server = start_server()
    page.goto(server.base + "/model")
    page.fill("#lsp-model-url", "http://127.0.0.1:9")
    page.click("#lsp-connect button[type=submit]")
    page.wait_for_selector("#lsp-model-error >> text=does not answer")
    assert server.call("GET", "/api/models")[1]["models"] == []
