"""The built-in ``COCO`` export format: boxes and polygons on images, in one COCO document.

Hooks implemented: :func:`lsplug_exporters`.

A zip of ``result.json`` (``images``, ``categories`` from 0, ``annotations`` with pixel
``bbox [x, y, w, h]``, ``segmentation``, ``area``, ``info``), ``images/`` when resources are
asked for, and ``export_summary.json`` listing what could not be written. The image and
annotation lists are spooled to temporary files while tasks stream, then copied into the zip
a piece at a time, the zip's bytes sent as they are made, so memory stays flat.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from typing import IO, Any

import orjson

from lsplug.export.common import Task, stream_zip
from lsplug.export.imagezip import ImageZip
from lsplug.export.regions import BOX_TAGS, POLYGON_TAGS, Region, fits_images, polygon_area
from lsplug.export.zipstream import ZipStream
from lsplug.hooks import ExportContext, Exporter, hookimpl
from lsplug.hooks.types import TaskBatches
from lsplug.labelconfig import LabelConfig

SPOOL_BYTES = 8 * 1024 * 1024
"""Each spooled list stays in memory up to this, then goes to a temporary file."""
COPY_BYTES = 1 << 20
"""``result.json`` is written from the spooled lists this many bytes at a time."""


@hookimpl
def lsplug_exporters() -> list[Exporter]:
    """Register ``COCO`` for configs with rectangles or polygons on an ``Image``."""
    return [COCO_EXPORTER]


def _spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)


class CocoZip(ImageZip):
    """Writes the COCO document of every task at the end, from two spooled lists."""

    tags = BOX_TAGS + POLYGON_TAGS
    kinds = frozenset({"box", "polygon"})

    def __init__(self, ctx: ExportContext) -> None:
        super().__init__(ctx, "COCO")
        self.images, self.annotations = _spool(), _spool()
        self.image_id = self.annotation_id = 0

    async def task(self, task: Task, zs: ZipStream) -> None:
        """Spool the task's image entry and its annotations."""
        found = await self.image_task(task, zs)
        if found is None:
            return
        w, h = found.size if found.size else (None, None)
        file_name = f"images/{found.name}" if found.in_zip else found.url
        image = {"width": w, "height": h, "id": self.image_id, "file_name": file_name}
        _append(self.images, image, self.image_id == 0)
        for region in found.regions:
            _append(self.annotations, self._annotation(region), self.annotation_id == 0)
            self.annotation_id += 1
        self.image_id += 1

    def _annotation(self, region: Region) -> dict[str, Any]:
        x, y, w, h = region.box
        points = region.points
        return {
            "id": self.annotation_id,
            "image_id": self.image_id,
            "category_id": self.categories.id(region.label),
            "segmentation": [[c for p in points for c in p]] if points else [],
            "bbox": [x, y, w, h],
            "ignore": 0,
            "iscrowd": 0,
            "area": polygon_area(points) if points else w * h,
        }

    async def finish(self, zs: ZipStream) -> AsyncIterator[None]:
        """Write ``result.json``: images, categories, annotations and info.

        It yields after each :data:`COPY_BYTES` copied from the spooled lists, so that the
        zip's bytes are sent as they are made (a million images make hundreds of MB of JSON).
        """
        categories = [{"id": i, "name": n} for i, n in enumerate(self.categories.names)]
        info = {"year": time.gmtime().tm_year, "version": "1.0", "contributor": "lsplug",
                "description": self.ctx.project_title, "url": "",
                "date_created": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}  # fmt: skip
        out = zs.open("result.json")
        out.write(b'{"images":[')
        for _ in _copy(self.images, out):
            yield
        out.write(b'],"categories":' + orjson.dumps(categories) + b',"annotations":[')
        for _ in _copy(self.annotations, out):
            yield
        out.write(b'],"info":' + orjson.dumps(info) + b"}")
        out.close()

    def close(self) -> None:
        """Free the spooled lists and the image names."""
        super().close()
        self.images.close()
        self.annotations.close()


def _append(spool: IO[bytes], item: dict[str, Any], first: bool) -> None:
    spool.write((b"" if first else b",") + orjson.dumps(item))


def _copy(spool: IO[bytes], out: IO[bytes]) -> Iterator[None]:
    """Copy a spooled list into ``out`` a piece at a time, yielding after each."""
    spool.seek(0)
    while chunk := spool.read(COPY_BYTES):
        out.write(chunk)
        yield
    spool.close()


def export_coco(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream the COCO zip."""
    return stream_zip(batches, CocoZip(ctx))


def fits_coco(config: LabelConfig) -> bool:
    """COCO fits an ``Image`` with rectangles or polygons."""
    return fits_images(config, BOX_TAGS + POLYGON_TAGS)


COCO_EXPORTER = Exporter(
    name="COCO",
    title="COCO",
    description="Boxes and polygons on images as one COCO document (result.json) in a zip, "
    "with the images when download_resources=1.",
    extension="zip",
    media_type="application/zip",
    fits=fits_coco,
    export=export_coco,
    include_cancelled=False,
)
