"""Uploads are bounded in total and parsed off the event loop; a CSV quote left open is
refused with its line; a label config check lists at most 100 problems."""

from __future__ import annotations

import asyncio
import io
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
import pytest

from lsplug.importer.formats import FormatError, read_tasks
from tests.conftest import Client, MakeClient
from tests.procs import Server
from tests.test_hardening_input import multipart

MB = 1024 * 1024
MAX_ERRORS = 100  # lsplug.labelconfig.check.MAX_ERRORS: problems listed
BOUNDARY = "XyZb0undary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def big_zip(members: int, size: int) -> bytes:
    """``members`` `.json` files of ``size`` bytes, one task each (compresses well)."""
    text = "x" * (size - 16)
    content = b'[{"text": "' + text.encode() + b'"}]'
    return zipped({f"part{i}.json": content for i in range(members)})


async def upload(
    client: Client, files: list[tuple[str, bytes]], query: str = ""
) -> tuple[int, dict]:
    body = multipart([("FileUpload", name, content) for name, content in files], BOUNDARY)
    resp = await client.post(
        "/api/project/import" + query, data=io.BytesIO(body), headers={"Content-Type": MULTIPART}
    )
    return resp.status, await resp.json()


async def task_count(client: Client) -> int:
    count: int = (await (await client.get("/api/project")).json())["task_count"]
    return count


# --- a quote left open --------------------------------------------------------------------------

UNCLOSED = {
    "at the start of a cell, mid-file": ("c.csv", b'text,n\nok,1\n"broken,2\nmore,3\n', 3),
    "in the last line": ("c.csv", b'text,n\nok,1\nlast,"x', 3),
    "in the last line, newline after": ("c.csv", b'text,n\nok,1\nlast,"x\n', 3),
    "after a closed multi-line cell": ("c.csv", b'text,n\n"two\nlines",1\nz,"open\n', 4),
    "after a multi-line cell in the same row": ("c.csv", b'text,n\n"a\nb","open\nc\n', 3),
    "with CRLF line ends": ("c.csv", b'text,n\r\nok,1\r\n"open,2\r\nmore,3\r\n', 3),
    "in a TSV": ("c.tsv", b'text\tn\nok\t1\nbad\t"x\nmore\t3\n', 3),
    "in a TSV header": ("c.tsv", b'"text\tn\nok\t1\n', 1),
}


@pytest.mark.parametrize("case", list(UNCLOSED))
def test_a_quote_left_open_is_refused_with_the_line_where_its_cell_starts(case: str) -> None:
    name, content, line = UNCLOSED[case]
    with pytest.raises(FormatError) as caught:
        read_tasks(name, content, "text")
    assert caught.value.message.startswith(f"{name}: line {line}: a quoted cell starts here")
    assert "closing quote" in caught.value.message


def test_a_quote_left_open_in_a_long_file_points_at_its_row() -> None:
    content = b'text\nok\n"open\n' + b"more text\n" * 20_000
    with pytest.raises(FormatError) as caught:
        read_tasks("c.csv", content, "text")
    assert caught.value.message.startswith("c.csv: line 3: field larger than field limit")
    assert "never closed" in caught.value.message


def test_quotes_inside_cells_and_closed_multi_line_cells_still_read() -> None:
    content = b'text,n\nthe 5" screen,1\n"two\nlines",2\n"say ""hi""",3\n'
    assert read_tasks("c.csv", content, None) == [
        {"text": 'the 5" screen', "n": "1"},
        {"text": "two\nlines", "n": "2"},
        {"text": 'say "hi"', "n": "3"},
    ]
    assert read_tasks("c.tsv", b'text\nthe 5" screen\n', None) == [{"text": 'the 5" screen'}]


async def test_a_quote_left_open_in_a_zip_member_names_the_member(client: Client) -> None:
    archive = zipped({"a.csv": b"text\nfine\n", "sub/b.csv": b'text\nok\n"open\nmore\n'})
    status, body = await upload(client, [("tasks.zip", archive)])
    assert status == 400, body
    assert body["detail"].startswith("tasks.zip/sub/b.csv: line 3: a quoted cell starts here")
    assert await task_count(client) == 0


async def test_a_quote_left_open_in_the_second_of_several_files_imports_nothing(
    client: Client,
) -> None:
    files = [("a.csv", b"text\none\ntwo\n"), ("b.tsv", b'text\nok\nlast "x\n"y\n')]
    status, body = await upload(client, files)
    assert status == 400, body
    assert body["detail"].startswith("b.tsv: line 4: a quoted cell starts here")
    assert await task_count(client) == 0


# --- one budget per request ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def zip_250x1mb() -> bytes:
    """250 members of 1 MB each (250 MB expanded, under 1 MB compressed)."""
    return big_zip(250, MB)


@pytest.mark.parametrize("query", ["?dry_run=1", ""])
async def test_four_zips_of_250_mb_in_one_request_are_a_413(
    client: Client, zip_250x1mb: bytes, query: str
) -> None:
    files = [(f"t{i}.zip", zip_250x1mb) for i in range(4)]
    status, body = await upload(client, files, query)
    assert status == 413, body
    assert "max_expanded_mb: 512 MB" in body["detail"]
    assert body["detail"].startswith("t2.zip/part")  # 512 MB is passed in the third zip
    assert await task_count(client) == 0


@pytest.mark.parametrize(
    "files",
    [
        [("a.zip", big_zip(1, 600_000)), ("b.zip", big_zip(1, 600_000))],
        [("a.json", b'[{"text": "%s"}]' % (b"x" * 600_000)), ("b.zip", big_zip(1, 600_000))],
        [("a.zip", big_zip(3, 400_000))],
    ],
    ids=["two zips", "a file and a zip", "one zip"],
)
async def test_the_expanded_limit_counts_every_file_of_the_request(
    make_client: MakeClient, files: list[tuple[str, bytes]]
) -> None:
    client = await make_client(max_body_mb=4, max_expanded_mb=1)
    for name, content in files:  # each alone fits
        if len(files) > 1:
            assert (await upload(client, [(name, content)], "?dry_run=1"))[0] == 200
    status, body = await upload(client, files, "?dry_run=1")
    assert status == 413, body
    assert "max_expanded_mb: 1 MB" in body["detail"]
    status, body = await upload(client, files)
    assert status == 413, body
    assert await task_count(client) == 0


def test_a_server_refusing_four_big_zips_stays_small(tmp_path: Path, zip_250x1mb: bytes) -> None:
    """A real server process: its peak memory (VmHWM) after the refusal."""
    config = tmp_path / "config.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n")
    server = Server(config).start()
    try:
        body = multipart([("FileUpload", f"t{i}.zip", zip_250x1mb) for i in range(4)], BOUNDARY)
        request = urllib.request.Request(
            server.base + "/api/project/import?dry_run=1", data=body, method="POST",
            headers={"Content-Type": MULTIPART},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=120)
        caught.value.close()
        assert caught.value.code == 413
        assert server.proc is not None
        hwm = _vm_hwm(server.proc.pid)
        assert hwm < 300 * MB, f"peak memory {hwm / MB:.0f} MB"
        assert server.call("GET", "/api/health")[0] == 200
    finally:
        server.stop()


def _vm_hwm(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise KeyError("VmHWM")


# --- the event loop keeps answering -------------------------------------------------------------


async def longest_wait(client: Client, heavy: Callable[[], Awaitable[int]]) -> tuple[int, float]:
    """The heavy request's status and the longest gap between two health answers meanwhile."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def poll() -> None:
        last = time.perf_counter()
        while not done.is_set():
            assert (await client.get("/api/health")).status == 200
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
            await asyncio.sleep(0.01)

    poller = asyncio.create_task(poll())
    await asyncio.sleep(0.1)
    status = await heavy()
    done.set()
    await poller
    return status, max(gaps)


MAX_WAIT = 0.5  # seconds; parsing on the loop stalled it 1.5-4 s for these bodies


async def test_a_large_csv_is_parsed_off_the_event_loop(client: Client) -> None:
    rows = b"".join(
        b"Ada Lovelace met Charles Babbage in London; row %d\n" % i for i in range(400_000)
    )
    body = multipart([("FileUpload", "big.csv", b"text\n" + rows)], BOUNDARY)

    async def heavy() -> int:
        resp = await client.post(
            "/api/project/import?dry_run=1",
            data=io.BytesIO(body),
            headers={"Content-Type": MULTIPART},
        )
        return resp.status

    status, waited = await longest_wait(client, heavy)
    assert status == 200
    assert waited < MAX_WAIT, f"/api/health waited {waited:.2f} s"


async def test_many_files_are_parsed_off_the_event_loop(client: Client) -> None:
    files = [("FileUpload", f"t{i}.json", b'[{"text": "file %d"}]' % i) for i in range(10_000)]
    body = multipart(files, BOUNDARY)

    async def heavy() -> int:
        resp = await client.post(
            "/api/project/import?dry_run=1",
            data=io.BytesIO(body),
            headers={"Content-Type": MULTIPART},
        )
        return resp.status

    status, waited = await longest_wait(client, heavy)
    assert status == 200
    assert waited < MAX_WAIT, f"/api/health waited {waited:.2f} s"


UNKNOWN_TAGS = 150_000
HUGE_CONFIG = b'<View><Text name="text" value="$text"/>' + b"<Xq/>" * UNKNOWN_TAGS + b"</View>"


@pytest.mark.parametrize("route", ["/api/validate-config", "/api/project/config"])
async def test_a_config_with_150000_unknown_tags_lists_100_and_counts_the_rest(
    client: Client, route: str
) -> None:
    async def heavy() -> int:
        resp = await client.post(
            route, data=HUGE_CONFIG, headers={"Content-Type": "application/xml"}
        )
        errors = (await resp.json())["label_config"]
        assert len(errors) == MAX_ERRORS + 1
        assert errors[0] == "line 1: <Xq> is not a tag of the editor; see the list of tags"
        assert errors[-1].startswith(f"... and {UNKNOWN_TAGS - MAX_ERRORS} more problems")
        return resp.status

    status, waited = await longest_wait(client, heavy)
    assert status == 400
    assert waited < MAX_WAIT, f"/api/health waited {waited:.2f} s"


# --- a large JSON array is parsed in pieces, to the same value ----------------------------------


def _wrapped_task(i: int) -> dict[str, object]:
    """A task whose strings and nested lists hold what a cut between items looks like."""
    tricky = ['a},{"b', "x}, {y", 'q"},{"', "}\n,\n{"][i % 4]
    return {
        "data": {"text": f"task {i} {tricky}", "list": [{"a": i}, {"b": [{"c": tricky}]}]},
        "completions": [{"result": [{"value": {"labels": ["A"]}}, {"value": {"n": i}}]}],
    }


@pytest.mark.parametrize("indent", [False, True])
def test_a_large_json_array_reads_as_orjson_reads_it(indent: bool) -> None:
    items = [_wrapped_task(i) for i in range(30_000)]
    content = orjson.dumps(items, option=orjson.OPT_INDENT_2 if indent else 0)
    assert len(content) > 4 * MB
    assert read_tasks("big.json", content, None) == items


def test_a_large_json_array_with_an_error_names_its_place_in_the_whole_file() -> None:
    content = orjson.dumps([_wrapped_task(i) for i in range(20_000)])
    broken = content.replace(b'{"n":15000}', b'{"n" 15000}')  # a colon missing mid-file
    with pytest.raises(FormatError) as caught:
        read_tasks("big.json", broken, None)
    try:
        orjson.loads(broken)
    except orjson.JSONDecodeError as exc:
        assert caught.value.message.startswith(
            f"big.json: invalid JSON at line {exc.lineno}, column {exc.colno}"
        )
