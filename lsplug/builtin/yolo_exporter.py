"""The built-in ``YOLO`` export format: a label file per image, class and box in 0..1.

Hooks implemented: :func:`lsplug_exporters`.

A zip of ``labels/<image base name>.txt`` (lines ``class cx cy w h``), ``classes.txt`` (one
label a line, the line number is the class), ``images/`` when resources are asked for, and
``export_summary.json`` listing what YOLO cannot hold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from lsplug.export.common import Task, stem, stream_zip
from lsplug.export.imagezip import ImageZip
from lsplug.export.regions import BOX_TAGS, Region, fits_boxes
from lsplug.export.zipstream import ZipStream
from lsplug.hooks import ExportContext, Exporter, hookimpl
from lsplug.hooks.types import TaskBatches


@hookimpl
def lsplug_exporters() -> list[Exporter]:
    """Register ``YOLO`` for configs with rectangles on an ``Image``."""
    return [YOLO_EXPORTER]


def _line(region: Region, class_id: int) -> str:
    x, y, w, h = region.box
    iw, ih = region.size
    return f"{class_id} {(x + w / 2) / iw:.6f} {(y + h / 2) / ih:.6f} {w / iw:.6f} {h / ih:.6f}\n"


class YoloZip(ImageZip):
    """Writes one label file per exported image, then the class list."""

    tags = BOX_TAGS

    def __init__(self, ctx: ExportContext) -> None:
        super().__init__(ctx, "YOLO")

    async def task(self, task: Task, zs: ZipStream) -> None:
        """The task's ``labels/<name>.txt``."""
        found = await self.image_task(task, zs)
        if found is not None:
            lines = (_line(r, self.categories.id(r.label)) for r in found.regions)
            zs.add(f"labels/{stem(found.name)}.txt", "".join(lines).encode())

    async def finish(self, zs: ZipStream) -> None:
        """``classes.txt``: labels met in tasks but not in the config come last."""
        zs.add("classes.txt", "".join(f"{n}\n" for n in self.categories.names).encode())


def export_yolo(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream the YOLO zip."""
    return stream_zip(batches, YoloZip(ctx))


YOLO_EXPORTER = Exporter(
    name="YOLO",
    title="YOLO",
    description="Boxes on images as YOLO label files (labels/, classes.txt) in a zip, "
    "with the images when download_resources=1.",
    extension="zip",
    media_type="application/zip",
    fits=fits_boxes,
    export=export_yolo,
    include_cancelled=False,
)
