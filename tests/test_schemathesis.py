"""A schemathesis run over `/api/openapi.json` of a real server: no 500, no answer that
breaks the description."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.procs import Server

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402

NER = (
    '<View><Labels name="label" toName="text"><Label value="PER"/></Labels>'
    '<Text name="text" value="$text"/></View>'
)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The description served by a running server with a few tasks."""
    folder = tmp_path_factory.mktemp("schemathesis")
    (folder / "tasks.json").write_text('[{"text": "Alice"}, {"text": "Bob"}]')
    config = folder / "config.yaml"
    config.write_text(f"label_config: '{NER}'\ninput_path: tasks.json\ndata_dir: data\n")
    server = Server(config).start()
    try:
        yield schemathesis.openapi.from_url(f"{server.base}/api/openapi.json")
    finally:
        server.stop()


def test_the_api_keeps_its_description(api_schema: Any) -> None:
    failed: list[str] = []
    for found in api_schema.get_all_operations():
        operation = found.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def run(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as exc:  # every operation is tried; all failures are reported
            failed.append(f"{operation.verbose_name}: {str(exc)[:500]}")
    assert not failed, "\n".join(failed)


def test_the_run_uses_a_real_server(api_schema: Any, tmp_path: Path) -> None:
    assert "/api/tasks/{task_id}" in api_schema.raw_schema["paths"]
