"""The label config through the API: results checked, orphans refused, examples, templates."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from lsplug.labelconfig import parse
from lsplug.labelconfig.templates import list_templates

IMAGE_CONFIG = (
    '<View><Image name="image" value="$image"/><RectangleLabels name="box" toName="image">'
    '<Label value="Dog"/></RectangleLabels></View>'
)
NER_PLUS = (
    '<View><Labels name="label" toName="text"><Label value="PER"/><Label value="ORG"/>'
    '<Label value="LOC"/></Labels><Text name="text" value="$text"/>'
    '<Choices name="mood" toName="text"><Choice value="ok"/></Choices></View>'
)


async def test_a_completion_naming_an_unknown_control_is_400(client, add_tasks, ner_result):
    await add_tasks(client, 1)
    ner_result[0]["from_name"] = "labels"
    resp = await client.post("/api/tasks/0/completions", json={"result": ner_result})
    assert resp.status == 400
    assert 'from_name "labels" is not a control' in (await resp.json())["detail"]


async def test_a_completion_with_a_label_the_config_lacks_is_400(client, add_tasks, ner_result):
    await add_tasks(client, 1)
    ner_result[0]["value"] = {**ner_result[0]["value"], "labels": ["LOC"]}
    resp = await client.post("/api/tasks/0/completions", json={"result": ner_result})
    assert 'labels value "LOC" is not in <Labels name="label">' in (await resp.json())["detail"]


async def test_an_imported_prediction_of_the_wrong_type_names_the_item(client, ner_result):
    ner_result[0]["type"] = "choices"
    items = [{"text": "a"}, {"data": {"text": "b"}, "predictions": [{"result": ner_result}]}]
    resp = await client.post("/api/project/import", json=items)
    assert resp.status == 400
    (error,) = (await resp.json())["errors"]
    assert error.startswith('item 1: predictions[0]: result[0]: type "choices" does not match')


async def test_a_task_rewrite_with_a_bad_completion_is_400(client, add_tasks, ner_result):
    await add_tasks(client, 1)
    ner_result[0]["to_name"] = "txt"
    resp = await client.patch("/api/tasks/0", json={"completions": [{"result": ner_result}]})
    assert resp.status == 400
    assert 'task 0: completions[0]: result[0]: to_name "txt"' in (await resp.json())["detail"]


async def test_an_import_of_wrongly_typed_data_names_item_and_key(make_client):
    client = await make_client(label_config=IMAGE_CONFIG)
    resp = await client.post("/api/project/import", json=[{"image": "/a.png"}, {"image": 7}])
    assert (await resp.json())["errors"] == [
        'item 1: "image" must be a URL string for <Image>, not a number'
    ]


async def test_the_fast_path_refuses_paragraphs_that_are_not_objects(make_client):
    xml = '<View><Paragraphs name="p" value="$d"/></View>'
    client = await make_client(label_config=xml)
    resp = await client.post("/api/project/import", json=[{"d": [{"text": "a"}]}, {"d": ["x"]}])
    assert resp.status == 400
    assert "item 1" in (await resp.json())["errors"][0]


# --- config changes that would orphan data ---------------------------------------------------


async def save(client, xml):
    return await client.post("/api/project/config", json={"label_config": xml})


async def test_a_config_that_only_adds_is_accepted(client, add_tasks, complete):
    await add_tasks(client, 2)
    await complete(client, 0)
    assert (await save(client, NER_PLUS)).status == 201


async def test_removing_a_control_completions_use_is_refused_with_counts(
    client, add_tasks, complete
):
    await add_tasks(client, 3)
    for task in (0, 1):
        await complete(client, task)
    xml = '<View><Text name="text" value="$text"/><Rating name="r" toName="text"/></View>'
    resp = await save(client, xml)
    assert resp.status == 400
    (error,) = (await resp.json())["label_config"]
    assert error.startswith('control "label" is used by 2 completions')


async def test_removing_a_label_completions_use_is_refused(client, add_tasks, complete):
    await add_tasks(client, 1)
    await complete(client, 0)
    xml = NER_PLUS.replace('<Label value="PER"/>', "")
    (error,) = (await (await save(client, xml)).json())["label_config"]
    assert error.startswith('label "PER" of <Labels name="label"> is used by 1 completions')


async def test_reading_a_key_tasks_lack_is_refused_with_the_count(client, add_tasks):
    await add_tasks(client, 4)
    xml = '<View><Text name="text" value="$text"/><Image name="i" value="$image"/></View>'
    (error,) = (await (await save(client, xml)).json())["label_config"]
    assert error.startswith('4 tasks lack "image" or hold a value <Image> cannot show')


async def test_changing_a_keys_tag_to_one_its_values_do_not_fit_is_refused(client):
    await client.post("/api/project/import", json=[{"text": "a"}, {"text": 5}])
    xml = '<View><Image name="text" value="$text"/></View>'
    (error,) = (await (await save(client, xml)).json())["label_config"]
    assert error.startswith('1 tasks lack "text"')


# --- examples ---------------------------------------------------------------------------------


async def test_the_example_of_an_image_config_is_a_served_sample(client):
    resp = await client.post("/api/import-example", json={"label_config": IMAGE_CONFIG})
    url = (await resp.json())["image"]
    image = await client.get(url)
    assert image.status == 200
    assert (await image.read()).startswith(b"\x89PNG")


async def test_the_example_audio_is_served(client):
    xml = '<View><Audio name="a" value="$audio"/></View>'
    url = await (await client.post("/api/import-example", json={"label_config": xml})).json()
    assert (await (await client.get(url["audio"])).read())[:4] == b"RIFF"


async def test_the_example_of_a_time_series_is_a_csv_with_its_channels(client):
    xml = ('<View><TimeSeries name="ts" value="$csv" timeColumn="t"><Channel column="speed"/>'
           "</TimeSeries></View>")  # fmt: skip
    url = await (await client.post("/api/import-example", json={"label_config": xml})).json()
    text = await (await client.get(url["csv"])).text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["t", "speed"] and len(rows) > 10


async def test_a_leading_comment_supplies_the_example(client):
    xml = '<!-- {"data": {"text": "Hi Ada"}} --><View><Text name="t" value="$text"/></View>'
    resp = await client.post("/api/import-example", json={"label_config": xml})
    assert await resp.json() == {"text": "Hi Ada"}


async def test_the_example_file_of_a_paragraphs_config_imports(make_client):
    xml = '<View><Paragraphs name="p" value="$dialogue"/></View>'
    client = await make_client(label_config=xml)
    content = await (await client.get("/api/import-example-file?q=json")).read()
    resp = await client.post(
        "/api/project/import", data=content, headers={"Content-Type": "application/json"}
    )
    assert resp.status == 201


# --- templates --------------------------------------------------------------------------------

TEMPLATES = list_templates()


def test_the_library_has_the_issues_templates():
    assert len(TEMPLATES) >= 14
    assert {"named-entities", "bounding-boxes", "time-series", "comparison"} <= {
        t.name for t in TEMPLATES
    }


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
async def test_a_template_validates_and_its_example_imports(make_client, template):
    assert parse(template.xml).data_types
    client = await make_client(label_config=template.xml)
    resp = await client.post("/api/project/import", json=[template.example])
    assert resp.status == 201, await resp.text()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lsplug", *args], capture_output=True, text=True, cwd=cwd,
        timeout=30,
    )  # fmt: skip


def test_lsplug_templates_lists_them(tmp_path):
    out = run_cli("templates", cwd=tmp_path).stdout
    assert all(t.name in out for t in TEMPLATES)


def test_lsplug_init_with_a_template_writes_its_config(tmp_path):
    result = run_cli("init", "proj", "--template", "polygons", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "proj" / "label_config.xml").read_text()
    assert "PolygonLabels" in written
    assert "label_config.xml" in (tmp_path / "proj" / "config.yaml").read_text()


def test_lsplug_init_with_an_unknown_template_names_the_known_ones(tmp_path):
    result = run_cli("init", "proj", "--template", "boxes", cwd=tmp_path)
    assert result.returncode == 2
    assert "bounding-boxes" in result.stderr
