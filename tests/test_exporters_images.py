"""COCO, VOC and YOLO on boxes and polygons over images of known sizes."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from lxml import etree

from lsplug.builtin import coco_exporter
from lsplug.builtin.coco_exporter import COCO_EXPORTER
from lsplug.builtin.voc_exporter import VOC_EXPORTER
from lsplug.builtin.yolo_exporter import YOLO_EXPORTER
from lsplug.export import common, nameset
from lsplug.export.nameset import NameSet
from lsplug.hooks.types import ExportContext, ExportOptions
from lsplug.labelconfig import parse
from tests.exporting import run, summary, task, unzip

CONFIG = (
    '<View><Image name="img" value="$image"/>'
    '<RectangleLabels name="box" toName="img"><Label value="Cat"/><Label value="Dog"/>'
    "</RectangleLabels>"
    '<PolygonLabels name="poly" toName="img"><Label value="Lake"/></PolygonLabels></View>'
)
NER = (
    '<View><Labels name="l" toName="t"><Label value="PER"/></Labels>'
    '<Text name="t" value="$text"/></View>'
)


def box(label: str, x: float, y: float, w: float, h: float, **extra: object) -> dict:
    return {
        "id": f"b{label}",
        "from_name": "box",
        "to_name": "img",
        "type": "rectanglelabels",
        "original_width": 200,
        "original_height": 100,
        "value": {
            "x": x,
            "y": y,
            "width": w,
            "height": h,
            "rotation": 0,
            "rectanglelabels": [label],
            **extra,
        },
    }


POLYGON = {
    "id": "p1",
    "from_name": "poly",
    "to_name": "img",
    "type": "polygonlabels",
    "original_width": 200,
    "original_height": 100,
    "value": {"points": [[0, 0], [50, 0], [50, 50]], "polygonlabels": ["Lake"]},
}
TASKS = [
    task(1, {"image": "/data/upload/cat.jpg"}, [box("Cat", 10, 20, 50, 40), POLYGON]),
    task(2, {"image": "http://example.com/pics/dog.png"}, [box("Dog", 0, 0, 100, 100)]),
    task(3, {"image": "/data/upload/none.jpg"}),  # no completion
]


async def test_coco_writes_pixel_boxes_categories_from_0_and_polygons():
    files = unzip(await run(COCO_EXPORTER, CONFIG, TASKS))
    doc = orjson.loads(files["result.json"])
    assert doc["categories"] == [
        {"id": 0, "name": "Cat"},
        {"id": 1, "name": "Dog"},
        {"id": 2, "name": "Lake"},
    ]
    assert [(i["id"], i["width"], i["height"]) for i in doc["images"]] == [
        (0, 200, 100),
        (1, 200, 100),
    ]
    assert doc["images"][0]["file_name"] == "/data/upload/cat.jpg"
    cat, lake, dog = doc["annotations"]
    assert cat["bbox"] == [20, 20, 100, 40] and cat["area"] == 4000 and cat["category_id"] == 0
    assert cat["segmentation"] == [] and cat["iscrowd"] == 0 and cat["ignore"] == 0
    assert lake["segmentation"] == [[0, 0, 100, 0, 100, 50]] and lake["area"] == 2500
    assert lake["bbox"] == [0, 0, 100, 50]
    assert dog["image_id"] == 1 and dog["bbox"] == [0, 0, 200, 100]
    assert "info" in doc and summary(files)["skipped_total"] == 0


async def test_coco_with_all_tasks_lists_the_unlabeled_image_without_size():
    doc = orjson.loads(
        unzip(await run(COCO_EXPORTER, CONFIG, TASKS, only_labeled=False))["result.json"]
    )
    assert doc["images"][2] == {
        "width": None,
        "height": None,
        "id": 2,
        "file_name": "/data/upload/none.jpg",
    }


async def test_voc_writes_integer_pixel_boxes_and_reports_the_polygon():
    files = unzip(await run(VOC_EXPORTER, CONFIG, TASKS))
    assert sorted(files) == ["Annotations/cat.xml", "Annotations/dog.xml", "export_summary.json"]
    doc = etree.fromstring(files["Annotations/cat.xml"])
    assert doc.findtext("size/width") == "200" and doc.findtext("size/height") == "100"
    (obj,) = doc.findall("object")
    assert obj.findtext("name") == "Cat"
    assert [obj.findtext(f"bndbox/{k}") for k in ("xmin", "ymin", "xmax", "ymax")] == [
        "20",
        "20",
        "120",
        "60",
    ]
    report = summary(files)
    assert report["skipped_total"] == 1
    assert report["problems"][0]["task"] == 1 and report["problems"][0]["type"] == "polygonlabels"


async def test_yolo_writes_centres_and_sizes_in_0_to_1_with_classes():
    files = unzip(await run(YOLO_EXPORTER, CONFIG, TASKS))
    assert files["classes.txt"] == b"Cat\nDog\n"
    assert files["labels/cat.txt"] == b"0 0.350000 0.400000 0.500000 0.400000\n"
    assert files["labels/dog.txt"] == b"1 0.500000 0.500000 1.000000 1.000000\n"
    assert summary(files)["skipped_total"] == 1


async def test_images_go_into_the_zip_only_when_asked_and_readable():
    files = {"/data/upload/cat.jpg": b"JPEG!"}
    plain = unzip(await run(YOLO_EXPORTER, CONFIG, TASKS, files=files))
    assert not any(n.startswith("images/") for n in plain)
    got = unzip(await run(COCO_EXPORTER, CONFIG, TASKS, files=files, download_resources=True))
    assert got["images/cat.jpg"] == b"JPEG!"
    assert "images/dog.png" not in got
    assert orjson.loads(got["result.json"])["images"][0]["file_name"] == "images/cat.jpg"
    reasons = [p["reason"] for p in summary(got)["problems"]]
    assert any("not readable" in r for r in reasons)


async def test_cancelled_completions_are_left_out_unless_asked_for():
    cancelled = task(1, {"image": "a.jpg"}, [box("Cat", 0, 0, 10, 10)], was_cancelled=True)
    assert "labels/a.txt" not in unzip(await run(YOLO_EXPORTER, CONFIG, [cancelled]))
    files = unzip(await run(YOLO_EXPORTER, CONFIG, [cancelled], include_cancelled=False))
    assert "labels/a.txt" not in files
    kept = unzip(await run(YOLO_EXPORTER, CONFIG, [cancelled], include_cancelled=True))
    assert "labels/a.txt" in kept


async def test_newest_keeps_only_the_last_completion():
    two = task(1, {"image": "a.jpg"}, [box("Cat", 0, 0, 10, 10)], [box("Dog", 0, 0, 10, 10)])
    files = unzip(await run(YOLO_EXPORTER, CONFIG, [two], completions="newest"))
    assert files["labels/a.txt"].startswith(b"1 ")
    both = unzip(await run(YOLO_EXPORTER, CONFIG, [two]))
    assert both["labels/a.txt"].count(b"\n") == 2


async def test_same_image_names_get_the_task_id_and_unicode_names_survive():
    tasks = [
        task(i, {"image": f"/x/{d}/Ünïcødé.jpg"}, [box("Cat", 0, 0, 10, 10)])
        for i, d in ((1, "a"), (2, "b"))
    ]
    files = unzip(await run(YOLO_EXPORTER, CONFIG, tasks))
    assert {"labels/Ünïcødé.txt", "labels/Ünïcødé_2.txt"} <= set(files)


async def test_broken_and_rotated_regions_are_reported_not_crashed_on():
    bad = [
        box("Cat", 0, 0, 10, 10, rotation=30),
        {"from_name": "box", "type": "rectanglelabels"},
        {"from_name": "box", "type": "rectanglelabels", "value": {"x": 1}},
        "junk",
    ]
    files = unzip(await run(VOC_EXPORTER, CONFIG, [task(1, {"image": "a.jpg"}, bad)]))
    assert summary(files)["skipped_total"] == 4  # the item that is no object is reported too


@pytest.mark.parametrize("exporter", [COCO_EXPORTER, VOC_EXPORTER, YOLO_EXPORTER])
def test_image_formats_do_not_fit_a_text_config(exporter):
    from lsplug.labelconfig import parse

    assert not exporter.fits(parse(NER))


def test_a_name_set_moves_past_its_limit_into_a_temporary_file_deleted_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    names = NameSet(memory_names=2)
    assert [names.add(k) for k in ("a", "b", "a")] == [True, True, False]
    assert not names.on_disk and not any(tmp_path.iterdir())
    assert [names.add(k) for k in ("c", "b", "a", "d", "c")] == [True, False, False, True, False]
    assert names.on_disk and any(tmp_path.iterdir())
    names.close()
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("bloom_bits", [8, nameset.BLOOM_BITS])  # 8: SQLite asked each time
def test_a_name_set_past_its_limit_answers_as_a_set_does(
    bloom_bits: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nameset, "BLOOM_BITS", bloom_bits)
    keys = [f"{(i * 7919) % 300}.jpg" for i in range(2000)]  # each key back now and then
    names, seen = NameSet(memory_names=16), set()
    for key in keys:
        assert names.add(key) == (key not in seen)
        seen.add(key)
    names.close()


async def test_image_names_stay_unique_once_they_no_longer_fit_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    urls = ["/x/a.jpg", "/y/A.JPG", "/x/a_2.jpg", "/z/a.jpg", "/x/b.jpg", "/y/b.jpg"]
    tasks = [task(i, {"image": u}, [box("Cat", 0, 0, 10, 10)]) for i, u in enumerate(urls, 1)]
    in_memory = unzip(await run(YOLO_EXPORTER, CONFIG, tasks))
    monkeypatch.setattr(nameset, "MEMORY_NAMES", 2)
    on_disk = unzip(await run(YOLO_EXPORTER, CONFIG, tasks))
    assert on_disk == in_memory
    labels = ["a", "A_2", "a_2_3", "a_4", "b", "b_6"]
    assert sorted(on_disk) == sorted([f"labels/{n}.txt" for n in labels] + ["classes.txt",
                                      "export_summary.json"])  # fmt: skip


async def test_coco_sends_result_json_while_it_is_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "CHUNK_SIZE", 16 * 1024)
    monkeypatch.setattr(coco_exporter, "COPY_BYTES", 16 * 1024)
    names = [hashlib.sha256(b"%d" % i).hexdigest() for i in range(3000)]  # hardly compressible
    tasks = [task(i, {"image": f"/{n}.jpg"}, [box("Cat", 1, 2, 3, 4)]) for i, n in enumerate(names)]

    async def batches() -> AsyncIterator[list[dict[str, object]]]:
        for one in tasks:
            yield [one]

    async def nothing(url: str) -> None:
        return None

    ctx = ExportContext(parse(CONFIG), ExportOptions(), "test", nothing)
    chunks = [chunk async for chunk in COCO_EXPORTER.stream(batches(), ctx)]
    assert sum(map(len, chunks)) > 128 * 1024  # the zip is mostly result.json
    assert max(map(len, chunks)) <= 64 * 1024  # which was not kept whole before it was sent
    assert len(orjson.loads(unzip(b"".join(chunks))["result.json"])["images"]) == 3000
