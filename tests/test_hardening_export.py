"""Issue 13, item 3: training exports hold no skips or junk by default.

Three parts: skipped completions left out by default in the formats that train models
(kept in JSON); every result stored through the API checked per type against the label
config (the editor's shapes pass, malformed ones are a 400 naming item, result and key);
exporters meeting results they cannot express (stored before these checks) report them in
the export's summary and finish a complete, parseable file.
"""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import yaml

from lsplug.export import rle
from lsplug.labelconfig import example_data, parse
from lsplug.labelconfig.templates import list_templates
from lsplug.testing import Client
from lsplug.web.keys import PROJECTS
from tests.editor_results import MASK_RLE, H, W, editor_result, editor_results

# --- configs and results ---------------------------------------------------------------------

NER = (
    '<View><Text name="text" value="$text"/><Labels name="label" toName="text">'
    '<Label value="PER"/><Label value="ORG"/></Labels>'
    '<Choices name="mood" toName="text"><Choice value="ok"/><Choice value="bad"/></Choices>'
    "</View>"
)
IMAGES = (
    '<View><Image name="img" value="$image"/>'
    '<RectangleLabels name="box" toName="img"><Label value="Cat"/></RectangleLabels>'
    '<PolygonLabels name="poly" toName="img"><Label value="Cat"/></PolygonLabels>'
    '<BrushLabels name="mask" toName="img"><Label value="Cat"/></BrushLabels></View>'
)
AUDIO = '<View><Audio name="audio" value="$audio"/><TextArea name="said" toName="audio"/></View>'
EVERY_TYPE = """<View>
  <Text name="text" value="$text"/>
  <Labels name="ner" toName="text"><Label value="PER"/><Label value="ORG"/></Labels>
  <Choices name="mood" toName="text"><Choice value="ok"/><Choice value="bad"/></Choices>
  <TextArea name="note" toName="text"/>
  <Rating name="stars" toName="text"/>
  <Number name="count" toName="text"/>
  <Taxonomy name="topic" toName="text"><Choice value="X"><Choice value="Y"/></Choice></Taxonomy>
  <Text name="other" value="$other"/>
  <Pairwise name="better" toName="text,other"/>
  <Image name="img" value="$image"/>
  <RectangleLabels name="box" toName="img"><Label value="Cat"/></RectangleLabels>
  <PolygonLabels name="poly" toName="img"><Label value="Cat"/></PolygonLabels>
  <KeyPointLabels name="kp" toName="img"><Label value="Cat"/></KeyPointLabels>
  <EllipseLabels name="ell" toName="img"><Label value="Cat"/></EllipseLabels>
  <BrushLabels name="mask" toName="img"><Label value="Cat"/></BrushLabels>
  <AudioPlus name="audio" value="$audio"/>
  <Labels name="speaker" toName="audio"><Label value="S1"/></Labels>
  <HyperText name="html" value="$html"/>
  <HyperTextLabels name="hner" toName="html"><Label value="PER"/></HyperTextLabels>
  <Paragraphs name="dialogue" value="$dialogue" layout="dialogue"/>
  <ParagraphLabels name="intent" toName="dialogue"><Label value="Q"/></ParagraphLabels>
  <TimeSeries name="ts" value="$ts" valueType="url" timeColumn="time">
    <Channel column="v"/>
  </TimeSeries>
  <TimeSeriesLabels name="event" toName="ts"><Label value="Run"/></TimeSeriesLabels>
  <Relations><Relation value="knows"/></Relations>
</View>"""
EVERY_TYPE_DATA = {
    "text": "Ada met Charles.", "other": "Charles met Ada.", "image": "/data/upload/a.png",
    "audio": "/data/upload/a.wav", "html": "<p><b>Ada</b> wrote.</p>",
    "dialogue": [{"author": "Ada", "text": "Did you read it?"}], "ts": "/data/upload/ts.csv",
}  # fmt: skip


async def import_task(client: Client, data: dict[str, Any], **parts: Any) -> int:
    resp = await client.post("/api/project/import", json=[{"data": data, **parts}])
    assert resp.status == 201, await resp.text()
    task_id: int = (await resp.json())["new_task_ids"][0]
    return task_id


async def post(client: Client, task_id: int, result: Any, skip: bool = False) -> int:
    query = "?was_cancelled=1" if skip else ""
    resp = await client.post(f"/api/tasks/{task_id}/completions{query}", json={"result": result})
    assert resp.status == 201, await resp.text()
    completion_id: int = (await resp.json())["id"]
    return completion_id


async def stored_directly(client: Client, task_id: int, body: dict[str, Any]) -> None:
    """Write a completion straight into the store, unchecked, as older versions could."""
    project = client.app[PROJECTS].default.project  # type: ignore[union-attr]
    saved = await project.store.add_completion(
        project.id, task_id, {"created_at": 1000, **body}, False
    )
    assert saved is not None


# --- 1. skipped completions: left out of training formats by default --------------------------


NER_SPAN = {"from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": 0, "end": 3, "text": "Ada", "labels": ["PER"]}}  # fmt: skip
BOX = {"from_name": "box", "to_name": "img", "type": "rectanglelabels", "original_width": W,
       "original_height": H, "value": {"x": 10, "y": 10, "width": 50, "height": 50,
                                       "rectanglelabels": ["Cat"]}}  # fmt: skip
BRUSH = {"from_name": "mask", "to_name": "img", "type": "brushlabels", "original_width": W,
         "original_height": H, "value": {"format": "rle", "rle": MASK_RLE,
                                         "brushlabels": ["Cat"]}}  # fmt: skip
SAID = {"from_name": "said", "to_name": "audio", "type": "textarea", "value": {"text": ["hi"]}}

# format -> (config, the data of a task, its result, how the skipped task shows in the file)
SKIP_FORMATS: dict[str, tuple[str, dict[str, Any], dict[str, Any], bytes]] = {
    "CSV": (NER, {"text": "Ada skipped"}, NER_SPAN, b"Ada skipped"),
    "TSV": (NER, {"text": "Ada skipped"}, NER_SPAN, b"Ada skipped"),
    "JSON_MIN": (NER, {"text": "Ada skipped"}, NER_SPAN, b"Ada skipped"),
    "CONLL2003": (NER, {"text": "Ada skipped"}, NER_SPAN, b"skipped -X- _ O"),
    "ASR_MANIFEST": (AUDIO, {"audio": "/data/upload/skipped.wav"}, SAID, b"skipped.wav"),
    "COCO": (IMAGES, {"image": "/data/upload/skipped.png"}, BOX, b"skipped.png"),
    "VOC": (IMAGES, {"image": "/data/upload/skipped.png"}, BOX, b"skipped.png"),
    "YOLO": (IMAGES, {"image": "/data/upload/skipped.png"}, BOX, b"skipped.txt"),
    "BRUSH_TO_NUMPY": (IMAGES, {"image": "/data/upload/skipped.png"}, BRUSH, b"task-1-"),
    "BRUSH_TO_PNG": (IMAGES, {"image": "/data/upload/skipped.png"}, BRUSH, b"task-1-"),
}


def readable(body: bytes) -> bytes:
    """A zip's names and files as one byte string (other formats: themselves)."""
    if not body.startswith(b"PK"):
        return body
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert zf.testzip() is None
        return b"\n".join(n.encode() + b"\n" + zf.read(n) for n in zf.namelist())


async def skip_project(make_client: Any, name: str) -> Client:
    """Task 0 labeled; task 1 only skipped (its skip carries a real result, as editors send)."""
    config, data, result, _ = SKIP_FORMATS[name]
    client: Client = await make_client(label_config=config)
    labeled = {k: v.replace("skipped", "kept") for k, v in data.items()}
    await post(client, await import_task(client, labeled), [result])
    await post(client, await import_task(client, data), [result], skip=True)
    return client


@pytest.mark.parametrize("name", list(SKIP_FORMATS))
async def test_a_training_format_leaves_out_a_task_only_skipped_by_default(make_client, name):
    client = await skip_project(make_client, name)
    shows = SKIP_FORMATS[name][3]
    resp = await client.get(f"/api/project/export?format={name}")
    assert resp.status == 200
    default = readable(await resp.read())
    assert shows not in default
    assert shows.replace(b"skipped", b"kept") in default or name.startswith("BRUSH")
    left_out = readable(
        await (await client.get(f"/api/project/export?format={name}&include_cancelled=0")).read()
    )
    assert shows not in left_out
    kept = readable(
        await (await client.get(f"/api/project/export?format={name}&include_cancelled=1")).read()
    )
    assert shows in kept


async def test_conll_writes_no_block_of_o_tags_and_csv_no_empty_row_for_a_skip(make_client):
    client = await make_client(label_config=NER)
    await post(client, await import_task(client, {"text": "Ada wrote"}), [NER_SPAN])
    await post(client, await import_task(client, {"text": "Nobody labeled"}), [], skip=True)
    conll = await (await client.get("/api/project/export?format=CONLL2003")).text()
    assert conll == "-DOCSTART- -X- O\nAda -X- _ B-PER\nwrote -X- _ O\n\n"
    rows = list(
        csv.reader(io.StringIO(await (await client.get("/api/project/export?format=CSV")).text()))
    )
    assert [r[0] for r in rows] == ["text", "Ada wrote"]


async def test_json_keeps_skips_as_before_and_the_same_document(make_client):
    client = await skip_project(make_client, "CSV")
    default = await (await client.get("/api/project/export?format=JSON")).read()
    asked = await (await client.get("/api/project/export?format=JSON&include_cancelled=1")).read()
    assert default == asked
    tasks = orjson.loads(default)
    assert [t["completions"][0].get("was_cancelled", False) for t in tasks] == [False, True]


async def test_the_formats_list_and_the_export_page_show_each_format_s_default(make_client):
    client = await make_client(label_config=NER)
    formats = await (await client.get("/api/project/export/formats")).json()
    defaults = {f["name"]: f["include_cancelled"] for f in formats}
    assert defaults == {"JSON": True, "JSON_MIN": False, "CSV": False, "TSV": False,
                        "CONLL2003": False}  # fmt: skip
    page = await (await client.get("/export")).text()
    assert 'name="include_cancelled" value=""' in page
    assert 'data-include-cancelled="false"' in page and 'data-include-cancelled="true"' in page


def lsplug_export(tmp_path: Path, config: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """``lsplug export`` of the project the test clients kept under ``tmp_path``."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"label_config": config, "data_dir": "data"}))
    cmd = [sys.executable, "-m", "lsplug", "export", "-c", str(path), "--quiet", *flags]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done


def csv_of(tmp_path: Path, *flags: str) -> bytes:
    lsplug_export(tmp_path, NER, "--format", "CSV", "--out", "out.csv", *flags)
    return (tmp_path / "out.csv").read_bytes()


async def test_lsplug_export_leaves_skips_out_unless_cancelled_is_given(tmp_path, make_client):
    client = await skip_project(make_client, "CSV")
    await client.close()
    assert b"Ada skipped" not in csv_of(tmp_path)
    assert b"Ada skipped" in csv_of(tmp_path, "--cancelled")
    assert b"Ada skipped" not in csv_of(tmp_path, "--no-cancelled")


# --- 2. results checked at the door ----------------------------------------------------------

EVERY = parse(EVERY_TYPE)
GOOD = {
    c.name: editor_result(c, EVERY, EVERY_TYPE_DATA) for c in EVERY.controls.values() if c.to_names
}
RELATION = {"from_id": "rner0", "to_id": "rner0", "type": "relation", "direction": "right"}


def bad(control: str, drop: tuple[str, ...] = (), **value: Any) -> dict[str, Any]:
    """The good result of ``control`` with ``value`` keys changed (``drop``: removed)."""
    good = GOOD[control]
    changed = {k: v for k, v in {**good["value"], **value}.items() if k not in drop}
    return {**good, "value": changed}


def top(control: str, drop: tuple[str, ...] = (), **keys: Any) -> dict[str, Any]:
    """The good result of ``control`` with top-level keys changed or removed."""
    return {k: v for k, v in {**GOOD[control], **keys}.items() if k not in drop}


MALFORMED = [
    ("value-a-list", top("ner", value=[1, 2]), "value must be an object, not a list"),
    ("value-missing", top("ner", drop=("value",)), "value must be an object, not null"),
    ("value-a-string", top("mood", value="ok"), "value must be an object, not a string"),
    (
        "labels-a-string",
        bad("ner", labels="PER"),
        "value.labels must be a list of strings, not a string",
    ),
    (
        "labels-a-number",
        bad("ner", labels=5),
        "value.labels must be a list of strings, not a number",
    ),
    ("labels-of-numbers", bad("ner", labels=[1]), "value.labels must be a list of strings"),
    ("labels-missing", bad("ner", drop=("labels",)), "value.labels is missing"),
    ("start-missing", bad("ner", drop=("start",)), "value.start is missing"),
    ("start-a-string", bad("ner", start="0"), "value.start must be a whole number"),
    ("start-negative", bad("ner", start=-1), "value.start must be a whole number"),
    ("end-a-fraction", bad("ner", end=2.5), "value.end must be a whole number"),
    ("start-after-end", bad("ner", start=5, end=1), "value.start (5) is after value.end (1)"),
    ("choices-a-string", bad("mood", choices="ok"), "value.choices must be a list of strings"),
    ("choices-missing", bad("mood", drop=("choices",)), "value.choices is missing"),
    ("width-a-string", bad("box", width="10"), "value.width must be a number, not a string"),
    ("x-missing", bad("box", drop=("x",)), "value.x is missing"),
    ("rotation-a-string", bad("box", rotation="a"), "value.rotation must be a number"),
    ("box-labels-a-string", bad("box", rectanglelabels="Cat"), "value.rectanglelabels must be"),
    ("original-width-a-string", top("box", original_width="4"), "original_width must be a number"),
    (
        "points-not-pairs",
        bad("poly", points=[[1, 2], [3]]),
        "value.points must be a list of [x, y]",
    ),
    ("points-a-string", bad("poly", points="1,2"), "value.points must be"),
    ("keypoint-y-missing", bad("kp", drop=("y",)), "value.y is missing"),
    ("ellipse-radius-a-string", bad("ell", radiusX="3"), "value.radiusX must be a number"),
    ("rle-a-string", bad("mask", rle="abc"), "value.rle must be a list of whole numbers 0-255"),
    ("rle-beyond-a-byte", bad("mask", rle=[1, 300]), "value.rle must be a list of whole numbers"),
    ("brush-without-mask", bad("mask", drop=("rle",)), "value needs value.rle or value.points"),
    ("text-a-number", bad("note", text=5), "value.text must be a string or a list of strings"),
    ("text-of-numbers", bad("note", text=[1]), "value.text must be a string or a list"),
    ("rating-a-string", bad("stars", rating="5"), "value.rating must be a number, not a string"),
    ("number-a-list", bad("count", number=[7]), "value.number must be a number, not a list"),
    ("taxonomy-a-string", bad("topic", taxonomy="X"), "value.taxonomy must be a list"),
    ("taxonomy-of-numbers", bad("topic", taxonomy=[[1]]), "value.taxonomy must be a list"),
    ("pairwise-sideways", bad("better", selected="up"), 'value.selected must be "left", "right"'),
    ("audio-start-a-string", bad("speaker", start="0.5"), "value.start must be a number"),
    ("audio-start-after-end", bad("speaker", start=2.0), "value.start (2.0) is after value.end"),
    ("html-start-missing", bad("hner", drop=("start",)), "value.start is missing"),
    ("html-offset-a-string", bad("hner", startOffset="a"), "value.startOffset must be a number"),
    ("paragraph-labels-a-string", bad("intent", paragraphlabels="Q"), "value.paragraphlabels must"),
    ("series-instant-a-string", bad("event", instant="yes"), "value.instant must be true or false"),
    ("series-end-an-object", bad("event", end={}), "value.end must be a number or a string"),
    (
        "relation-from-an-object",
        {**RELATION, "from_id": {}},
        "from_id must be a string or a number, not an object",
    ),
    ("relation-without-to", {"type": "relation", "from_id": "a"}, "a relation needs to_id"),
    ("item-a-string", "junk", "result[1] must be an object, not a string"),
    ("item-a-list", [1, 2], "result[1] must be an object, not a list"),
]


async def door_project(make_client: Any) -> tuple[Client, int, int]:
    """A project of every result type with one task and one good completion."""
    client: Client = await make_client(label_config=EVERY_TYPE)
    task_id = await import_task(client, EVERY_TYPE_DATA)
    completion_id = await post(client, task_id, [GOOD["ner"]])
    return client, task_id, completion_id


async def _refused(resp: Any, where: str, said: str) -> None:
    assert resp.status == 400, await resp.text()
    body = await resp.json()
    text = " ".join([body["detail"], *body.get("errors", [])])
    assert where in text and said in text, text
    assert "result[1]" in text


@pytest.mark.parametrize(("case", "item", "said"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_a_malformed_result_is_refused_on_every_route(make_client, case, item, said):
    client, task_id, completion_id = await door_project(make_client)
    before = await (await client.get(f"/api/tasks/{task_id}")).read()
    result = [GOOD["ner"], item]
    posted = await client.post(f"/api/tasks/{task_id}/completions", json={"result": result})
    await _refused(posted, "completion", said)
    patched = await client.patch(f"/api/tasks/{task_id}/completions/{completion_id}",
                                 json={"result": result})  # fmt: skip
    await _refused(patched, "completion", said)
    for part in ("completions", "predictions"):
        items = [{"data": EVERY_TYPE_DATA, part: [{"result": result}]}]
        imported = await client.post("/api/project/import", json=items)
        await _refused(imported, f"item 0: {part}[0]: result[1]", said)
        rewritten = await client.patch(f"/api/tasks/{task_id}", json={part: [{"result": result}]})
        await _refused(rewritten, f"task {task_id}: {part}[0]: result[1]", said)
    assert await (await client.get(f"/api/tasks/{task_id}")).read() == before
    assert (await (await client.get("/api/project")).json())["task_count"] == 1


async def test_every_type_s_editor_output_passes_every_route(make_client):
    client, task_id, completion_id = await door_project(make_client)
    result = [*GOOD.values(), RELATION]
    assert (
        await client.post(f"/api/tasks/{task_id}/completions", json={"result": result})
    ).status == 201
    resp = await client.patch(
        f"/api/tasks/{task_id}/completions/{completion_id}", json={"result": result}
    )
    assert resp.status == 200, await resp.text()
    wrapped = {"data": EVERY_TYPE_DATA, "completions": [{"result": result}],
               "predictions": [{"result": result, "score": 0.5}]}  # fmt: skip
    assert (await client.post("/api/project/import", json=[wrapped])).status == 201
    resp = await client.patch(f"/api/tasks/{task_id}", json={"completions": [{"result": result}]})
    assert resp.status == 200, await resp.text()


def test_extra_keys_are_kept_and_not_checked():
    from lsplug.labelconfig import result_problem

    item = bad("box", score=0.9, note={"any": "thing"})
    assert result_problem(EVERY, [{**item, "meta": {"text": ["a"]}, "parentID": "p"}]) is None


TEMPLATES = list_templates()


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
async def test_editor_output_of_every_template_is_stored_and_exported_whole(make_client, template):
    config = parse(template.xml)
    data = example_data(config)
    result = editor_results(config, data)
    client: Client = await make_client(label_config=template.xml)
    task_id = await import_task(client, data)
    completion_id = await post(client, task_id, result)
    resp = await client.patch(
        f"/api/tasks/{task_id}/completions/{completion_id}", json={"result": result}
    )
    assert resp.status == 200, await resp.text()
    await import_task(client, data, completions=[{"result": result}],
                      predictions=[{"result": result, "score": 0.5}])  # fmt: skip
    resp = await client.patch(f"/api/tasks/{task_id}", json={"predictions": [{"result": result}]})
    assert resp.status == 200, await resp.text()
    for f in await (await client.get("/api/project/export/formats")).json():
        export = await client.get(f"/api/project/export?format={f['name']}")
        assert export.status == 200
        await export.read()
        summary = await (await client.get(export.headers["X-Lsplug-Export-Summary"])).json()
        malformed = [p for p in summary["problems"] if p["reason"].startswith("malformed")]
        assert malformed == [], (f["name"], malformed)


# --- 3. exporters report what they cannot express, and finish the file -----------------------


def wrong_labels(item: dict[str, Any]) -> dict[str, Any]:
    """The labels of ``item`` as a string (a transcript, which may be one: as a number)."""
    return {"text": 5} if item["type"] == "textarea" else {item["type"]: "Cat"}


STREAM_SECONDS = 10

# Completions as older versions could store them: each breaks a naive reading somewhere.
JUNK = {
    "value-a-list": lambda r: {"result": [{**r, "value": [1, 2]}]},
    "labels-a-string": lambda r: {"result": [{**r, "value": {**r["value"], **wrong_labels(r)}}]},
    "value-missing": lambda r: {"result": [{k: v for k, v in r.items() if k != "value"}]},
    "geometry-strings": lambda r: {
        "result": [{**r, "value": {**r["value"], "start": "a", "x": "a", "rle": "a", "text": 5}}]
    },
    "item-a-string": lambda r: {"result": ["junk", 5]},
    "result-not-a-list": lambda r: {"result": {"from_name": r["from_name"]}},
}
# format -> (config, data of the good task and of the junk one, a good result, what the good
# task shows in the file)
JUNK_FORMATS: dict[str, tuple[str, dict[str, Any], dict[str, Any], bytes]] = {
    "CSV": (NER, {"text": "Ada junk"}, NER_SPAN, b"Ada good"),
    "TSV": (NER, {"text": "Ada junk"}, NER_SPAN, b"Ada good"),
    "JSON_MIN": (NER, {"text": "Ada junk"}, NER_SPAN, b"Ada good"),
    "JSON": (NER, {"text": "Ada junk"}, NER_SPAN, b"Ada good"),
    "CONLL2003": (NER, {"text": "Ada junk"}, NER_SPAN, b"Ada -X- _ B-PER"),
    "ASR_MANIFEST": (AUDIO, {"audio": "/data/upload/junk.wav"}, SAID, b"good.wav"),
    "COCO": (IMAGES, {"image": "/data/upload/junk.png"}, BOX, b"good.png"),
    "VOC": (IMAGES, {"image": "/data/upload/junk.png"}, BOX, b"Annotations/good.xml"),
    "YOLO": (IMAGES, {"image": "/data/upload/junk.png"}, BOX, b"labels/good.txt"),
    "BRUSH_TO_NUMPY": (IMAGES, {"image": "/data/upload/junk.png"}, BRUSH, b"task-0-"),
    "BRUSH_TO_PNG": (IMAGES, {"image": "/data/upload/junk.png"}, BRUSH, b"task-0-"),
}


async def whole_body(resp: Any) -> bytes:
    """The body of a streamed answer; a stream that breaks off fails the test, not hangs it."""
    try:
        body: bytes = await asyncio.wait_for(resp.read(), STREAM_SECONDS)
    except (TimeoutError, aiohttp.ClientPayloadError) as exc:
        pytest.fail(f"the export broke off mid-stream: {exc!r}")
    return body


def parsed(name: str, body: bytes) -> Any:
    """The whole file read as its format: it must be complete."""
    if name in ("JSON", "JSON_MIN"):
        return orjson.loads(body)
    if name in ("CSV", "TSV"):
        return list(
            csv.reader(io.StringIO(body.decode()), delimiter="," if name == "CSV" else "\t")
        )
    if name == "ASR_MANIFEST":
        return [orjson.loads(line) for line in body.splitlines()]
    if name == "CONLL2003":
        assert body.startswith(b"-DOCSTART- -X- O\n") and body.endswith(b"\n\n")
        return body
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        assert zf.testzip() is None
        return {n: zf.read(n) for n in zf.namelist()}


@pytest.mark.parametrize("junk", list(JUNK))
@pytest.mark.parametrize("name", list(JUNK_FORMATS))
async def test_an_export_reports_stored_junk_and_finishes_the_file(make_client, name, junk):
    config, data, result, shows = JUNK_FORMATS[name]
    client: Client = await make_client(label_config=config)
    good = {k: v.replace("junk", "good") for k, v in data.items()}
    await post(client, await import_task(client, good), [result])
    junk_task = await import_task(client, data)
    await stored_directly(client, junk_task, JUNK[junk](result))
    resp = await client.get(f"/api/project/export?format={name}")
    assert resp.status == 200
    body = await whole_body(resp)
    files = parsed(name, body)
    assert shows in readable(body)
    summary_url = resp.headers["X-Lsplug-Export-Summary"]
    summary = await (await client.get(summary_url)).json()
    if name == "JSON":  # JSON writes every task as stored: nothing is left out
        assert summary["skipped_total"] == 0
        assert len(files) == 2
        return
    assert summary["format"] == name
    assert junk_task in {p["task"] for p in summary["problems"]}, summary
    if isinstance(files, dict):
        assert orjson.loads(files["export_summary.json"])["problems"] == summary["problems"]


async def test_a_summary_route_takes_the_export_s_options_and_refuses_a_bad_format(make_client):
    client: Client = await make_client(label_config=NER)
    task_id = await import_task(client, {"text": "Ada"})
    await stored_directly(
        client, task_id, {"result": [{**NER_SPAN, "value": [1, 2]}], "was_cancelled": True}
    )
    left_out = await (await client.get("/api/project/export/summary?format=CSV")).json()
    assert left_out["skipped_total"] == 0  # the skip is not exported, so not read
    kept = await (
        await client.get("/api/project/export/summary?format=CSV&include_cancelled=1")
    ).json()
    assert kept["skipped"] == {"malformed result": 1}
    (problem,) = kept["problems"]
    assert problem["problem"] == "value must be an object, not a list" and problem["index"] == 0
    resp = await client.get("/api/project/export/summary?format=YOLO")
    assert resp.status == 400 and "does not fit" in (await resp.json())["detail"]


async def test_lsplug_export_prints_what_it_left_out(tmp_path, make_client):
    client: Client = await make_client(label_config=NER)
    task_id = await import_task(client, {"text": "Ada"})
    await stored_directly(client, task_id, {"result": [{**NER_SPAN, "value": [1, 2]}]})
    await client.close()
    flags = ("--format", "JSON_MIN", "--out", "out.json", "--summary", "summary.json")
    done = lsplug_export(tmp_path, NER, *flags)
    assert "left out 1: malformed result (1)" in done.stderr
    assert orjson.loads((tmp_path / "out.json").read_bytes()) == [{"text": "Ada", "id": 0}]
    summary = orjson.loads((tmp_path / "summary.json").read_bytes())
    assert summary["problems"][0]["problem"] == "value must be an object, not a list"


def test_an_rle_announcing_more_than_its_image_is_refused_before_it_is_unpacked():
    bomb = rle.encode(b"\x00" * 64)
    bomb[:4] = list((1 << 31).to_bytes(4, "big"))  # announces 2 GB
    with pytest.raises(rle.RLEError, match="announces"):
        rle.mask(bomb, 4, 4)


@pytest.mark.parametrize("config", [NER, IMAGES, AUDIO], ids=["text", "images", "audio"])
async def test_stored_junk_is_reported_on_postgresql_too(make_client, pg_server, config):
    client: Client = await make_client(label_config=config, store={"url": pg_server.new_database()})
    names = [n for n, spec in JUNK_FORMATS.items() if spec[0] == config and n != "JSON"]
    _, data, result, _ = JUNK_FORMATS[names[0]]
    results = list({id(JUNK_FORMATS[n][2]): JUNK_FORMATS[n][2] for n in names}.values())
    await post(
        client,
        await import_task(client, {k: v.replace("junk", "good") for k, v in data.items()}),
        results,
    )
    junk_task = await import_task(client, data)
    await stored_directly(client, junk_task, JUNK["value-a-list"](result))
    await stored_directly(client, junk_task, JUNK["result-not-a-list"](result))
    for name in names:
        resp = await client.get(f"/api/project/export?format={name}")
        assert resp.status == 200
        body = await whole_body(resp)
        parsed(name, body)
        assert JUNK_FORMATS[name][3] in readable(body), name
        summary = await (await client.get(resp.headers["X-Lsplug-Export-Summary"])).json()
        malformed = {p["task"] for p in summary["problems"] if p["reason"].startswith("malformed")}
        assert malformed == {junk_task}, (name, summary)
