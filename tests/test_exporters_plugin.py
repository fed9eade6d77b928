"""A third party's format, pip-installed: offered by the API and working there and offline."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import NER_CONFIG

EXAMPLE = Path(__file__).parent.parent / "examples" / "lsplug-export-example"


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *args], check=True, timeout=180)


@pytest.fixture(scope="module")
def example_installed() -> Iterator[None]:
    """The example exporter package installed into this environment, then removed."""
    _pip("install", "--no-deps", str(EXAMPLE))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        _pip("uninstall", "-y", "lsplug-export-example")
        importlib.invalidate_caches()


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"label_config": NER_CONFIG, "data_dir": "data"}))
    return subprocess.run(
        [sys.executable, "-m", "lsplug", "export", "-c", str(config), "--quiet", *args],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip


async def _labeled_project(make_client, add_tasks, complete) -> None:
    client = await make_client()
    await add_tasks(client, 3)
    await complete(client, 1)
    await complete(client, 2, was_cancelled=True)
    await client.close()


async def test_the_installed_format_is_offered_and_exports(example_installed, make_client):
    client = await make_client()
    formats = await (await client.get("/api/project/export/formats")).json()
    assert "COUNTS" in {f["name"] for f in formats}


async def test_the_installed_format_works_through_the_api(
    example_installed, make_client, add_tasks, complete
):
    client = await make_client()
    await add_tasks(client, 2)
    await complete(client, 1)
    resp = await client.get("/api/project/export?format=COUNTS&only_labeled=0")
    assert resp.status == 200
    assert await resp.text() == "0\t0\n1\t1\n"


async def test_the_installed_format_works_offline(
    example_installed, tmp_path, make_client, add_tasks, complete
):
    await _labeled_project(make_client, add_tasks, complete)
    done = _cli(tmp_path, "--format", "COUNTS", "--out", "counts.tsv", "--no-cancelled")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "counts.tsv").read_text() == "1\t1\n2\t0\n"


async def test_lsplug_export_writes_what_the_api_answers(
    tmp_path, make_client, add_tasks, complete
):
    await _labeled_project(make_client, add_tasks, complete)
    client = await make_client()
    api = await (await client.get("/api/project/export?format=CSV")).read()
    await client.close()
    done = _cli(tmp_path, "--format", "csv", "--out", "out.csv")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.csv").read_bytes() == api
    assert api.count(b"\n") == 2  # the header and task 1: task 2, only skipped, is left out


async def test_lsplug_export_of_a_format_that_does_not_fit_lists_those_that_do(
    tmp_path, make_client, add_tasks, complete
):
    await _labeled_project(make_client, add_tasks, complete)
    done = _cli(tmp_path, "--format", "YOLO", "--out", "x.zip")
    assert done.returncode == 2
    assert "does not fit" in done.stderr and "CONLL2003" in done.stderr
    assert not (tmp_path / "x.zip").exists()
