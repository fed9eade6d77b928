"""The built-in ``VOC`` export format: Pascal VOC XML per image.

Hooks implemented: :func:`lsplug_exporters`.

A zip of ``Annotations/<image base name>.xml`` (``size``, ``object{name, bndbox}`` in
integer pixels), ``images/`` when resources are asked for, and ``export_summary.json``
listing what VOC cannot hold (polygons, rotated boxes...).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from xml.sax.saxutils import escape

from lsplug.export.common import Task, stem, stream_zip
from lsplug.export.imagezip import ImageTask, ImageZip
from lsplug.export.regions import BOX_TAGS, Region, fits_boxes
from lsplug.export.zipstream import ZipStream
from lsplug.hooks import ExportContext, Exporter, hookimpl
from lsplug.hooks.types import TaskBatches


@hookimpl
def lsplug_exporters() -> list[Exporter]:
    """Register ``VOC`` for configs with rectangles on an ``Image``."""
    return [VOC_EXPORTER]


def _object(region: Region) -> str:
    x, y, w, h = region.box
    return (
        f"<object><name>{escape(region.label)}</name><pose>Unspecified</pose>"
        "<truncated>0</truncated><difficult>0</difficult><bndbox>"
        f"<xmin>{round(x)}</xmin><ymin>{round(y)}</ymin>"
        f"<xmax>{round(x + w)}</xmax><ymax>{round(y + h)}</ymax></bndbox></object>"
    )


def voc_xml(found: ImageTask) -> bytes:
    """One image's annotation document."""
    w, h = found.size if found.size else (0, 0)
    objects = "\n  ".join(_object(r) for r in found.regions)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<annotation>\n'
        f"  <folder>images</folder>\n  <filename>{escape(found.name)}</filename>\n"
        f"  <path>{escape(found.url)}</path>\n"
        f"  <size><width>{round(w)}</width><height>{round(h)}</height><depth>3</depth></size>\n"
        f"  <segmented>0</segmented>\n  {objects}\n</annotation>\n"
    ).encode()


class VocZip(ImageZip):
    """Writes one XML per exported image."""

    tags = BOX_TAGS

    def __init__(self, ctx: ExportContext) -> None:
        super().__init__(ctx, "VOC")

    async def task(self, task: Task, zs: ZipStream) -> None:
        """The task's ``Annotations/<name>.xml``."""
        found = await self.image_task(task, zs)
        if found is not None:
            zs.add(f"Annotations/{stem(found.name)}.xml", voc_xml(found))

    async def finish(self, zs: ZipStream) -> None:
        """VOC has no file made of every task."""


def export_voc(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream the VOC zip."""
    return stream_zip(batches, VocZip(ctx))


VOC_EXPORTER = Exporter(
    name="VOC",
    title="Pascal VOC XML",
    description="Boxes on images as one Pascal VOC XML file per image (Annotations/) in a zip, "
    "with the images when download_resources=1.",
    extension="zip",
    media_type="application/zip",
    fits=fits_boxes,
    export=export_voc,
    include_cancelled=False,
)
