"""The built-in JSON and JSON_MIN exporters: what a downloaded file holds, option by option."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import orjson

from lsplug import labelconfig
from lsplug.builtin import json_exporters
from lsplug.builtin.json_exporters import JSON_EXPORTER, JSON_MIN_EXPORTER
from lsplug.hooks import ExportContext, Exporter, ExportOptions
from lsplug.records import TaskRecord

NER = (
    '<View><Labels name="label" toName="text"><Label value="PER"/><Label value="ORG"/>'
    '</Labels><Text name="text" value="$text"/></View>'
)
CHOICES = (
    '<View><Text name="text" value="$text"/><Choices name="sentiment" toName="text" '
    'choice="multiple"><Choice value="Positive"/><Choice value="Funny"/></Choices></View>'
)
BOXES = (
    '<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image">'
    '<Label value="Dog"/></RectangleLabels></View>'
)
NO_CONTROL = '<View><Text name="text" value="$text"/></View>'


# --- helpers ---------------------------------------------------------------------------------


def record(
    task_id: int,
    data: Mapping[str, Any],
    completions: Sequence[Mapping[str, Any]] = (),
    completed_at: int | None = None,
) -> TaskRecord:
    """A stored task built from plain dicts, as the store hands it to an exporter."""
    return TaskRecord(
        id=task_id,
        data=orjson.dumps(data),
        meta=None,
        completions=[orjson.dumps(c) for c in completions],
        predictions=[],
        completed_at=completed_at,
    )


def ner_result(start: int, end: int, text: str, label: str) -> dict[str, Any]:
    """One NER result item of the ``label`` control, as the editor sends it."""
    value = {"start": start, "end": end, "text": text, "labels": [label]}
    return {"id": f"r{start}", "from_name": "label", "to_name": "text", "type": "labels",
            "value": value}  # fmt: skip


def completion(
    cid: int, created_at: int, *result: Mapping[str, Any], **extra: Any
) -> dict[str, Any]:
    """A completion with ``result`` items and any extra keys (``was_cancelled``...)."""
    base: dict[str, Any] = {
        "id": cid,
        "created_at": created_at,
        "lead_time": 1.5,
        "result": list(result),
    }
    return base | extra


async def no_resource(url: str) -> bytes | None:
    """An ``open_resource`` for exports that download nothing."""
    return None


async def batches_of(
    tasks: Sequence[Mapping[str, Any]], size: int
) -> AsyncIterator[Sequence[Mapping[str, Any]]]:
    """The tasks in batches of ``size``, as the core hands them over."""
    for start in range(0, len(tasks), size):
        yield tasks[start : start + size]


async def chunks_of(
    exporter: Exporter,
    tasks: Sequence[Mapping[str, Any]],
    xml: str = NER,
    batch_size: int = 2,
    **options: Any,
) -> list[bytes]:
    """The chunks ``exporter`` yields for ``tasks`` under ``options``."""
    ctx = ExportContext(
        label_config=labelconfig.parse(xml),
        options=ExportOptions(**options),
        project_title="t",
        open_resource=no_resource,
    )
    return [chunk async for chunk in exporter.stream(batches_of(tasks, batch_size), ctx)]


async def exported(exporter: Exporter, tasks: Sequence[Mapping[str, Any]], **kw: Any) -> Any:
    """The whole exported file, decoded."""
    return orjson.loads(b"".join(await chunks_of(exporter, tasks, **kw)))


OBAMA = ner_result(0, 12, "Barack Obama", "PER")
ACME = ner_result(0, 4, "ACME", "ORG")
ZOE = ner_result(0, 3, "Zoë", "PER")
NER_TASKS = [
    record(0, {"text": "nothing here"}),
    record(1, {"text": "Barack Obama"}, [completion(10, 100, OBAMA)], completed_at=100),
    record(
        2,
        {"text": "ACME Inc"},
        [completion(20, 200, OBAMA), completion(21, 300, ACME)],
        completed_at=300,
    ),
    record(3, {"text": "Zoë 東京"}, [completion(30, 400, ZOE)], completed_at=400),
]


# --- registration and fit --------------------------------------------------------------------


def test_hookimpl_registers_json_and_json_min() -> None:
    """The plugin module offers both formats, as JSON files."""
    exporters = json_exporters.lsplug_exporters()
    assert [e.name for e in exporters] == ["JSON", "JSON_MIN"]
    assert {(e.extension, e.media_type) for e in exporters} == {("json", "application/json")}
    assert all(e.title and e.description.endswith(".") for e in exporters)


def test_json_fits_every_config() -> None:
    """JSON is offered whatever the label config."""
    assert JSON_EXPORTER.fits(labelconfig.parse(NER))
    assert JSON_EXPORTER.fits(labelconfig.parse(NO_CONTROL))


def test_json_min_fits_only_configs_with_a_control() -> None:
    """JSON_MIN needs a control to write values of."""
    assert JSON_MIN_EXPORTER.fits(labelconfig.parse(NER))
    assert not JSON_MIN_EXPORTER.fits(labelconfig.parse(NO_CONTROL))


# --- JSON ------------------------------------------------------------------------------------


async def test_json_of_an_empty_project_is_an_empty_list() -> None:
    """No task: the file is ``[]``."""
    assert b"".join(await chunks_of(JSON_EXPORTER, [])) == b"[]"


async def test_json_splices_the_stored_tasks_unchanged() -> None:
    """With the default options the file is the tasks' own JSON, byte for byte."""
    body = b"".join(await chunks_of(JSON_EXPORTER, NER_TASKS))
    assert body == b"[" + b",".join(t.json_bytes() for t in NER_TASKS) + b"]"
    assert "Zoë 東京".encode() in body


async def test_json_shows_tasks_as_the_tasks_api() -> None:
    """Every task, with or without completions, has the tasks API's keys."""
    assert (await exported(JSON_EXPORTER, NER_TASKS[:2])) == [
        {"id": 0, "data": {"text": "nothing here"}, "completions": [], "predictions": [],
         "completed_at": None, "meta": {}},
        {"id": 1, "data": {"text": "Barack Obama"}, "completions": [completion(10, 100, OBAMA)],
         "predictions": [], "completed_at": "1970-01-01 00:01:40", "meta": {}},
    ]  # fmt: skip


async def test_json_newest_keeps_the_latest_completion() -> None:
    """``completions="newest"`` keeps the largest ``created_at``."""
    tasks = await exported(JSON_EXPORTER, NER_TASKS, completions="newest")
    assert [[c["id"] for c in t["completions"]] for t in tasks] == [[], [10], [21], [30]]


async def test_json_newest_breaks_ties_by_the_largest_id() -> None:
    """Two completions made in the same second: the later id wins."""
    task = record(5, {"text": "x"}, [completion(8, 50, OBAMA), completion(7, 50, ACME)])
    [out] = await exported(JSON_EXPORTER, [task], completions="newest")
    assert out["completions"] == [completion(8, 50, OBAMA)]


async def test_json_without_cancelled_drops_skips_but_keeps_the_task() -> None:
    """A skipped completion is left out; its task stays, with no completion."""
    skip = completion(40, 500, was_cancelled=True)
    tasks = [record(4, {"text": "x"}, [skip]), NER_TASKS[1]]
    out = await exported(JSON_EXPORTER, tasks, include_cancelled=False)
    assert [(t["id"], t["completions"]) for t in out] == [
        (4, []),
        (1, [completion(10, 100, OBAMA)]),
    ]


async def test_json_keeps_cancelled_completions_by_default() -> None:
    """Skips are part of the default export."""
    skip = completion(40, 500, was_cancelled=True)
    [out] = await exported(JSON_EXPORTER, [record(4, {"text": "x"}, [skip])])
    assert out["completions"] == [skip]


async def test_json_accepts_plain_dict_tasks() -> None:
    """A third party's plain dicts give the same file as stored tasks."""
    plain = [t.as_dict() for t in NER_TASKS]
    for options in ({}, {"completions": "newest", "include_cancelled": False}):
        expected = await exported(JSON_EXPORTER, NER_TASKS, **options)
        assert await exported(JSON_EXPORTER, plain, **options) == expected


async def test_json_accepts_tasks_read_from_raw_bytes() -> None:
    """A task whose fragments come straight from stored bytes is written as they are."""
    raw = TaskRecord(
        id=9,
        data='{"text":"Zoë 東京"}'.encode(),
        meta=b'{"source":"s3"}',
        completions=[b'{"id":1,"created_at":5,"result":[]}'],
        predictions=[b'{"id":2,"result":[],"score":0.5}'],
        completed_at=5,
    )
    assert (await exported(JSON_EXPORTER, [raw])) == [
        {"id": 9, "data": {"text": "Zoë 東京"}, "completions": [{"id": 1, "created_at": 5,
         "result": []}], "predictions": [{"id": 2, "result": [], "score": 0.5}],
         "completed_at": "1970-01-01 00:00:05", "meta": {"source": "s3"}},
    ]  # fmt: skip


async def test_json_streams_many_tasks_in_bounded_chunks() -> None:
    """5,000 tasks arrive in several chunks, none larger than 1 MiB, in id order."""
    tasks = [record(i, {"text": "word " * 60}, [completion(i, i, OBAMA)]) for i in range(5000)]
    for batch_size in (1, 700, 5000):
        chunks = await chunks_of(JSON_EXPORTER, tasks, batch_size=batch_size)
        assert len(chunks) > 1
        assert max(len(c) for c in chunks) <= 1 << 20
        assert [t["id"] for t in orjson.loads(b"".join(chunks))] == list(range(5000))


# --- JSON_MIN --------------------------------------------------------------------------------


async def test_json_min_of_ner_writes_labeled_tasks_with_the_newest_completion() -> None:
    """Unlabeled tasks are left out; each record has data, id and the label regions."""
    assert (await exported(JSON_MIN_EXPORTER, NER_TASKS)) == [
        {"text": "Barack Obama", "id": 1, "label": [OBAMA["value"]]},
        {"text": "ACME Inc", "id": 2, "label": [ACME["value"]]},
        {"text": "Zoë 東京", "id": 3, "label": [ZOE["value"]]},
    ]


async def test_json_min_keeps_unicode_unescaped() -> None:
    """Non-ASCII text is written as UTF-8."""
    body = b"".join(await chunks_of(JSON_MIN_EXPORTER, NER_TASKS[3:]))
    assert "Zoë 東京".encode() in body


async def test_json_min_of_an_empty_project_is_an_empty_list() -> None:
    """No task: the file is ``[]``."""
    assert b"".join(await chunks_of(JSON_MIN_EXPORTER, [])) == b"[]"


async def test_json_min_writes_unlabeled_tasks_when_asked() -> None:
    """With ``only_labeled=False`` a task with no completion is its data and id."""
    out = await exported(JSON_MIN_EXPORTER, NER_TASKS[:2], only_labeled=False)
    assert out == [
        {"text": "nothing here", "id": 0},
        {"text": "Barack Obama", "id": 1, "label": [OBAMA["value"]]},
    ]


async def test_json_min_without_cancelled_skips_a_skipped_task() -> None:
    """A task whose only completion is a skip gives no record."""
    skip = completion(40, 500, was_cancelled=True)
    task = record(4, {"text": "x"}, [skip])
    assert await exported(JSON_MIN_EXPORTER, [task], include_cancelled=False) == []


async def test_json_min_without_cancelled_uses_the_newest_real_completion() -> None:
    """A skip newer than a real completion does not hide it."""
    skip = completion(41, 900, was_cancelled=True)
    task = record(4, {"text": "x"}, [completion(40, 100, OBAMA), skip])
    out = await exported(JSON_MIN_EXPORTER, [task], include_cancelled=False)
    assert out == [{"text": "x", "id": 4, "label": [OBAMA["value"]]}]


def choice(*values: str) -> dict[str, Any]:
    """A result item of the ``sentiment`` choices control."""
    return {"id": "c", "from_name": "sentiment", "to_name": "text", "type": "choices",
            "value": {"choices": list(values)}}  # fmt: skip


async def test_json_min_single_choice_is_a_plain_string() -> None:
    """One choice: the string itself."""
    task = record(0, {"text": "fun"}, [completion(1, 1, choice("Positive"))])
    assert await exported(JSON_MIN_EXPORTER, [task], xml=CHOICES) == [
        {"text": "fun", "id": 0, "sentiment": "Positive"}
    ]


async def test_json_min_several_choices_are_a_dict() -> None:
    """Several choices: ``{"choices": [...]}``."""
    task = record(0, {"text": "fun"}, [completion(1, 1, choice("Positive", "Funny"))])
    assert await exported(JSON_MIN_EXPORTER, [task], xml=CHOICES) == [
        {"text": "fun", "id": 0, "sentiment": {"choices": ["Positive", "Funny"]}}
    ]


async def test_json_min_boxes_carry_the_image_size() -> None:
    """A box is its value dict plus ``original_width``/``original_height``."""
    value = {"x": 12.5, "y": 20.8, "width": 31.2, "height": 41.6, "rotation": 0,
             "rectanglelabels": ["Dog"]}  # fmt: skip
    box = {"id": "b1", "from_name": "box", "to_name": "image", "type": "rectanglelabels",
           "original_width": 640, "original_height": 480, "value": value}  # fmt: skip
    task = record(0, {"image": "s3://b/dog.jpg"}, [completion(1, 1, box, box)])
    sized = value | {"original_width": 640, "original_height": 480}
    assert await exported(JSON_MIN_EXPORTER, [task], xml=BOXES) == [
        {"image": "s3://b/dog.jpg", "id": 0, "box": [sized, sized]}
    ]


async def test_json_min_text_areas_and_ratings_are_their_values() -> None:
    """A text area gives its text (a list when several); a rating gives the number."""
    xml = (
        '<View><Text name="text" value="$text"/><TextArea name="note" toName="text"/>'
        '<Rating name="stars" toName="text"/><TextArea name="tags" toName="text"/></View>'
    )
    note = {"from_name": "note", "to_name": "text", "type": "textarea",
            "value": {"text": ["good"]}}  # fmt: skip
    tags = {"from_name": "tags", "to_name": "text", "type": "textarea",
            "value": {"text": ["a", "b"]}}  # fmt: skip
    stars = {"from_name": "stars", "to_name": "text", "type": "rating", "value": {"rating": 4}}
    task = record(0, {"text": "t"}, [completion(1, 1, note, stars, tags)])
    assert await exported(JSON_MIN_EXPORTER, [task], xml=xml) == [
        {"text": "t", "id": 0, "note": "good", "stars": 4, "tags": ["a", "b"]}
    ]


async def test_json_min_ignores_results_of_names_the_config_lacks() -> None:
    """Only the config's controls become keys; relations and strays are left out."""
    stray = {"from_name": "old", "to_name": "text", "type": "choices", "value": {"choices": ["A"]}}
    relation = {"from_id": "a", "to_id": "b", "type": "relation", "direction": "right"}
    task = record(0, {"text": "t"}, [completion(1, 1, OBAMA, stray, relation)])
    assert await exported(JSON_MIN_EXPORTER, [task]) == [
        {"text": "t", "id": 0, "label": [OBAMA["value"]]}
    ]


async def test_json_min_accepts_plain_dict_tasks() -> None:
    """A third party's plain dicts give the same records as stored tasks."""
    plain = [t.as_dict() for t in NER_TASKS]
    assert await exported(JSON_MIN_EXPORTER, plain) == await exported(JSON_MIN_EXPORTER, NER_TASKS)
