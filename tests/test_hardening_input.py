"""Bodies that cannot be read answer 4xx JSON naming the problem, never a 500, and change
nothing: broken multipart framing, bad UTF-8 and unknown charsets in XML and form bodies,
JSON nested deeper than the store can write back, control characters in file names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import NER_CONFIG, Client, MakeClient

FORM_ROUTES = [
    "/api/project/import",
    "/api/project/config",
    "/api/validate-config",
    "/api/import-example",
    "/user/login",
]
CONFIG_ROUTES = ["/api/project/config", "/api/validate-config"]
MULTIPART = "multipart/form-data"
MAX_JSON_DEPTH = 200  # lsplug.importer.formats.MAX_JSON_DEPTH, the most JSON levels stored
FORM = "application/x-www-form-urlencoded"


def multipart(
    parts: list[tuple[str, str | None, bytes]], boundary: str = "XyZb0undary", tail: bool = True
) -> bytes:
    """A multipart body written by hand: (field, file name or None, content) per part."""
    out = b""
    for field, filename, content in parts:
        name = f'; filename="{filename}"' if filename is not None else ""
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"{name}\r\n\r\n'.encode()
        )
        out += content + b"\r\n"
    return out + (f"--{boundary}--\r\n".encode() if tail else b"")


GOOD_PART = [("label_config", None, NER_CONFIG.encode())]
# name: (content type, body, what the detail must say: a regular expression)
BROKEN_BODIES: dict[str, tuple[str, bytes, str]] = {
    "no boundary": (MULTIPART, multipart(GOOD_PART), "boundary"),
    "empty boundary": (MULTIPART + "; boundary=", multipart(GOOD_PART), "boundary"),
    "another boundary": (MULTIPART + "; boundary=other", multipart(GOOD_PART), "boundary"),
    "boundary too long": (MULTIPART + "; boundary=" + "b" * 80, b"--" + b"b" * 80, "boundary"),
    "not multipart at all": (MULTIPART + "; boundary=XyZb0undary", b"garbage\r\n", "boundary"),
    "part without a name": (
        MULTIPART + "; boundary=XyZb0undary",
        b"--XyZb0undary\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZb0undary--\r\n",
        "name|no file",
    ),
    "bad UTF-8 in a text part": (
        MULTIPART + "; boundary=XyZb0undary",
        multipart([("label_config", None, b"<View>\xff\xfe</View>")]),
        "UTF-8|utf-8|no file",
    ),
    "bad UTF-8 in a form": (FORM, b"label_config=%3CView%3E\xff\xfe&username=\xff", "UTF-8|utf-8"),
    "unknown form charset": (FORM + "; charset=no-such", b"label_config=x", "charset|JSON"),
}
XML_BODIES: dict[str, tuple[str, bytes, str]] = {
    "bad UTF-8 in XML": (
        "application/xml",
        b"<View>\n\xff\xfe</View>",
        "not valid utf-8 on line 2",
    ),
    "bad UTF-8 in text/xml": ("text/xml", b"\xc3<View/>", "not valid utf-8 on line 1"),
    "unknown XML charset": ("application/xml; charset=no-such", b"<View/>", "charset 'no-such'"),
    "XML in UTF-16 said to be UTF-8": ("text/xml", "<View/>".encode("utf-16"), "utf-8"),
}


async def _state(client: Client) -> tuple[Any, Any]:
    project = await (await client.get("/api/project")).json()
    return project["label_config"], project["task_count"]


async def _refused(client: Client, route: str, ctype: str, body: bytes, says: str) -> None:
    resp = await client.post(route, data=body, headers={"Content-Type": ctype})
    text = await resp.text()
    assert 400 <= resp.status < 500, f"{route}: {resp.status} {text}"
    assert resp.content_type == "application/json", text
    detail = orjson.loads(text)["detail"]
    assert re.search(says, detail), f"{route}: {detail!r} does not match {says!r}"


@pytest.mark.parametrize("route", FORM_ROUTES)
@pytest.mark.parametrize("case", list(BROKEN_BODIES))
async def test_an_unreadable_form_or_multipart_body_is_a_400(
    client: Client, route: str, case: str
) -> None:
    before = await _state(client)
    ctype, body, says = BROKEN_BODIES[case]
    if route == "/api/project/import" and ctype.startswith(FORM):
        says = "JSON|UTF-8"  # a form that is not `url=...` is JSON sent by `curl -d`
    await _refused(client, route, ctype, body, says)
    assert await _state(client) == before


@pytest.mark.parametrize("route", [*CONFIG_ROUTES, "/api/project/import"])
@pytest.mark.parametrize("case", list(XML_BODIES))
async def test_an_xml_body_that_is_not_text_is_a_400(client: Client, route: str, case: str) -> None:
    before = await _state(client)
    ctype, body, says = XML_BODIES[case]
    if route == "/api/project/import":
        says = "JSON|UTF-8|charset"
    await _refused(client, route, ctype, body, f"(?i){says}")
    assert await _state(client) == before


@pytest.mark.parametrize("route", FORM_ROUTES)
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize(
    "ctype", ["application/json", "application/xml", FORM, MULTIPART + "; boundary=XyZb0undary"]
)
async def test_a_body_whose_content_encoding_does_not_decode_is_a_400(
    client: Client, route: str, encoding: str, ctype: str
) -> None:
    before = await _state(client)
    headers = {"Content-Type": ctype, "Content-Encoding": encoding, "Connection": "close"}
    resp = await client.post(route, data=b"not compressed at all", headers=headers)
    body = await resp.json()
    assert resp.status == 400, body
    assert body["detail"] == (
        f"the request body cannot be decoded (Content-Encoding: '{encoding}'); send it plain"
    )
    assert await _state(client) == before


async def test_a_multipart_config_with_its_boundary_still_works(client: Client) -> None:
    body = multipart(GOOD_PART)
    ctype = MULTIPART + "; boundary=XyZb0undary"
    resp = await client.post("/api/validate-config", data=body, headers={"Content-Type": ctype})
    assert resp.status == 204, await resp.text()


# --- file names ---------------------------------------------------------------------------------

BAD_NAMES = {
    "NUL": "a\x00b.csv",
    "NUL in a media name": "photo\x00.jpg",
    "control character": "a\x01b.csv",
    "escape": "a\x1b[31m.csv",
    "DEL": "a\x7f.csv",
    "newline": "a\nb.csv",
    "slash": "dir/a.csv",
    "backslash": "dir\\a.jpg",
}


@pytest.mark.parametrize("case", list(BAD_NAMES))
async def test_an_upload_name_with_a_control_character_or_a_slash_is_a_400(
    make_client: MakeClient, tmp_path: Path, case: str
) -> None:
    client = await make_client()
    name = BAD_NAMES[case]
    encoded = "".join(c if c.isalnum() or c in ".-_" else f"%{ord(c):02X}" for c in name)
    part = (
        b'--XyZb0undary\r\nContent-Disposition: form-data; name="FileUpload"; '
        + f"filename*=UTF-8''{encoded}\r\n\r\ntext\nhello\n\r\n--XyZb0undary--\r\n".encode()
    )
    ctype = MULTIPART + "; boundary=XyZb0undary"
    resp = await client.post("/api/project/import", data=part, headers={"Content-Type": ctype})
    body = await resp.json()
    assert resp.status == 400, body
    assert "file name" in body["detail"] and "control characters or slashes" in body["detail"]
    assert (await _state(client))[1] == 0
    assert not list((tmp_path / "data" / "upload").glob("*"))


async def test_a_raw_nul_in_a_file_name_header_is_a_400(client: Client) -> None:
    body = multipart([("FileUpload", "a\x00.csv", b"text\nhello\n")])
    ctype = MULTIPART + "; boundary=XyZb0undary"
    resp = await client.post("/api/project/import", data=body, headers={"Content-Type": ctype})
    assert resp.status == 400, await resp.text()
    assert (await _state(client))[1] == 0


# --- JSON nested too deep ----------------------------------------------------------------------


def nested(depth: int) -> bytes:
    """A JSON value of ``depth`` levels of arrays."""
    return b"[" * depth + b"]" * depth


def task_list(depth: int) -> bytes:
    """An import body nested ``depth`` levels: list > task > "x" > arrays."""
    return b'[{"text": "a", "x": ' + nested(depth - 2) + b"}]"


TOO_DEEP = [MAX_JSON_DEPTH + 1, 254, 255, 300, 1024]


def json_routes(task_id: int, completion_id: int) -> list[tuple[str, str, bytes]]:
    """Every route that reads a JSON body, each with a body whose depth adds one level."""
    obj = b'{"text": "a", "label_config": "<View/>", "username": "u", "result": [], "x": '
    return [
        ("POST", "/api/project/import", b"["),
        ("POST", f"/api/tasks/{task_id}/completions", obj),
        ("PATCH", f"/api/tasks/{task_id}/completions/{completion_id}", obj),
        ("PATCH", f"/api/tasks/{task_id}", b'{"data": {"text": "a"}, "meta": {"x": '),
        ("POST", f"/api/tasks/{task_id}", b'{"data": {"text": "a", "x": '),
        ("PATCH", "/api/project", b'{"title": "t", "x": '),
        ("POST", "/api/project/config", obj),
        ("POST", "/api/validate-config", obj),
        ("POST", "/api/import-example", obj),
        ("POST", "/user/login", obj),
        ("POST", "/api/project/members", obj),
        ("POST", "/api/project/storage-settings", obj),
        ("DELETE", "/api/models", obj),
    ]


def _unclosed(opening: bytes) -> list[int]:
    """The brackets ``opening`` leaves open (no brackets inside its strings)."""
    stack: list[int] = []
    for c in opening:
        if c in b"[{":
            stack.append(c)
        elif c in b"]}":
            stack.pop()
    return stack


def _closing(opening: bytes) -> bytes:
    return bytes(ord("]") if c == ord("[") else ord("}") for c in reversed(_unclosed(opening)))


@pytest.mark.parametrize("depth", TOO_DEEP)
async def test_json_deeper_than_the_store_can_hold_is_a_400_on_every_json_route(
    client: Client, depth: int, ner_result: list[dict[str, Any]]
) -> None:
    (task_id,) = (await (await client.post("/api/project/import", json=[{"text": "a"}])).json())[
        "new_task_ids"
    ]
    done = await client.post(f"/api/tasks/{task_id}/completions", json={"result": ner_result})
    completion_id = (await done.json())["id"]
    before = await (await client.get(f"/api/tasks/{task_id}")).read()
    for method, route, opening in json_routes(task_id, completion_id):
        levels = len(_unclosed(opening))
        body = opening + nested(depth - levels) + _closing(opening)
        resp = await client.request(
            method, route, data=body, headers={"Content-Type": "application/json"}
        )
        text = await resp.text()
        assert resp.status == 400, f"{method} {route}: {resp.status} {text}"
        assert f"at most {MAX_JSON_DEPTH} levels" in text or "depth limit" in text, text
    assert await (await client.get(f"/api/tasks/{task_id}")).read() == before
    assert (await _state(client))[1] == 1


@pytest.mark.parametrize("depth", TOO_DEEP)
@pytest.mark.parametrize("kind", ["json", "jsonl"])
async def test_a_task_file_nested_too_deep_is_a_400_naming_it(
    client: Client, depth: int, kind: str
) -> None:
    line = b'{"text": "a", "x": ' + nested(depth - 1) + b"}"
    content = task_list(depth) if kind == "json" else b'{"text": "ok"}\n' + line + b"\n"
    body = multipart([("FileUpload", f"deep.{kind}", content)])
    ctype = MULTIPART + "; boundary=XyZb0undary"
    resp = await client.post("/api/project/import", data=body, headers={"Content-Type": ctype})
    detail = (await resp.json())["detail"]
    assert resp.status == 400, detail
    where = "deep.json: item 0: " if kind == "json" else "deep.jsonl: line 2: "
    assert detail.startswith(where), detail
    assert "JSON nested more than 200 levels deep" in detail
    assert (await _state(client))[1] == 0


EXPORTS = ["JSON", "JSON_MIN", "CSV", "TSV", "CONLL2003"]


async def test_json_at_the_depth_limit_is_stored_and_exported_everywhere(
    client: Client, ner_result: list[dict[str, Any]]
) -> None:
    body = task_list(MAX_JSON_DEPTH)
    resp = await client.post(
        "/api/project/import", data=body, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 201, await resp.text()
    (task_id,) = (await resp.json())["new_task_ids"]
    completion = b'{"result": %s, "x": %s}' % (
        orjson.dumps(ner_result),
        nested(MAX_JSON_DEPTH - 1),
    )
    resp = await client.post(
        f"/api/tasks/{task_id}/completions",
        data=completion,
        headers={"Content-Type": "application/json"},
    )
    assert resp.status == 201, await resp.text()
    for path in [f"/api/tasks/{task_id}", f"/api/tasks/{task_id}/completions", "/api/tasks"]:
        resp = await client.get(path)
        assert resp.status == 200, path
        orjson.loads(await resp.read())
    for name in EXPORTS:
        resp = await client.get(f"/api/project/export?format={name}")
        assert resp.status == 200, name
        await resp.read()  # the whole stream arrives


# --- every write route, every bad body ---------------------------------------------------------


def write_routes(client: Client) -> list[tuple[str, str]]:
    """(method, path) of every route that takes a body, ids filled with 1; deletions last."""
    found = []
    for resource in client.server.app.router.resources():
        info = resource.get_info()
        path = info.get("path") or info.get("formatter")
        for route in resource:
            if path and route.method in ("POST", "PATCH", "PUT", "DELETE"):
                found.append((route.method, re.sub(r"\{[^}]+\}", "1", path)))
    return sorted(set(found), key=lambda r: (r[0] == "DELETE", r))


FUZZ_BODIES = [
    *((ctype, body) for ctype, body, _ in BROKEN_BODIES.values()),
    *((ctype, body) for ctype, body, _ in XML_BODIES.values()),
    ("application/json", task_list(300)),
    (
        "application/json",
        b'{"text": "a", "result": [], "label_config": "<View/>", "x": ' + nested(600) + b"}",
    ),
    ("application/json", b'{"text": "\xff"}'),
    ("application/json", b"[" * 2000),
    ("text/plain", b"\xff\xfe"),
    ("application/json; charset=no-such", b"{}"),
]


async def test_no_write_route_answers_500_to_a_bad_body(client: Client) -> None:
    routes = write_routes(client)
    assert len(routes) > 15
    failures = []
    for method, path in routes:
        await client.post("/api/project/import", json=[{"text": "a"}, {"text": "b"}])
        for ctype, body in FUZZ_BODIES:
            resp = await client.request(method, path, data=body, headers={"Content-Type": ctype})
            text = await resp.text()
            if resp.status >= 500:
                failures.append(f"{method} {path} {ctype} {body[:40]!r}: {resp.status} {text}")
    assert not failures, "\n".join(failures)
    assert (await client.get("/api/health")).status == 200
