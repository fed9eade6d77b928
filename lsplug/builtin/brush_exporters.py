"""The built-in ``BRUSH_TO_NUMPY`` and ``BRUSH_TO_PNG`` export formats: one mask per region.

Hooks implemented: :func:`lsplug_exporters`.

Each brush region's RLE (the editor's ``rle-pack`` of an RGBA image) is decoded, its alpha
channel kept, and written as ``masks/task-<task>-annotation-<completion>-<from_name>-
<label>-<n>.npy`` (a ``uint8`` array of shape ``(height, width)``) or ``.png`` (8-bit
greyscale). Neither NumPy nor Pillow is needed: both files are written by
:mod:`lsplug.export.images`. A region that does not decode is listed in
``export_summary.json``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from lsplug.export import images, rle
from lsplug.export.common import (
    Task,
    is_exported,
    kept_completions,
    result_where,
    sound_results,
    stream_zip,
)
from lsplug.export.regions import label_of, size_of
from lsplug.export.zipstream import ZipStream
from lsplug.hooks import ExportContext, Exporter, hookimpl
from lsplug.hooks.types import TaskBatches
from lsplug.labelconfig import LabelConfig

Writer = Callable[[bytes, int, int], bytes]
MAX_MASK_PIXELS = 1 << 26
"""A mask of more pixels (its RGBA: 256 MB) is reported rather than decoded."""


@hookimpl
def lsplug_exporters() -> list[Exporter]:
    """Register ``BRUSH_TO_NUMPY`` and ``BRUSH_TO_PNG`` for configs with ``BrushLabels``."""
    return [BRUSH_TO_NUMPY_EXPORTER, BRUSH_TO_PNG_EXPORTER]


def _safe(text: Any) -> str:
    return re.sub(r"[^\w\-]+", "_", str(text)) or "_"


class BrushZip:
    """Writes each brush region of each kept completion as a mask file."""

    def __init__(self, ctx: ExportContext, name: str, ext: str, write: Writer) -> None:
        self.ctx, self.ext, self.write = ctx, ext, write
        self.summary = ctx.summary
        self.summary.format = self.summary.format or name
        self.controls = {c.name for c in ctx.label_config.controls_of("BrushLabels", "Brush")}

    async def task(self, task: Task, zs: ZipStream) -> None:
        """Every brush mask of the task's kept completions."""
        completions = kept_completions(task, self.ctx.options)
        if not is_exported(task, completions, self.ctx.options):
            return
        for completion in completions:
            brushes = [
                item
                for item in sound_results(task, completion, self.summary, self.ctx.label_config)
                if str(item.get("type", "")).lower().startswith("brush")
            ]
            for n, item in enumerate(brushes):
                self._region(task, completion, item, n, zs)

    def _region(
        self, task: Task, completion: Mapping[str, Any], item: Mapping[str, Any], n: int,
        zs: ZipStream,
    ) -> None:  # fmt: skip
        where = result_where(completion, item)
        value, size = item.get("value") or {}, size_of(item)
        if size is None or not isinstance(value.get("rle"), list):
            why = "brush region without rle" if size else "brush region without original size"
            self.summary.skip(why, task, **where)
            return
        w, h = int(size[0]), int(size[1])
        if w * h > MAX_MASK_PIXELS:
            self.summary.skip(f"brush mask larger than {MAX_MASK_PIXELS} pixels", task, **where)
            return
        try:
            mask = rle.mask(value["rle"], w, h)
        except (rle.RLEError, ValueError, TypeError) as exc:
            self.summary.skip(f"brush RLE does not decode: {exc}", task, **where)
            return
        label = label_of(item) or "unlabeled"
        name = (f"task-{task.get('id')}-annotation-{_safe(completion.get('id'))}-"
                f"{_safe(item.get('from_name'))}-{_safe(label)}-{n}.{self.ext}")  # fmt: skip
        zs.add(f"masks/{name}", self.write(mask, w, h))
        self.summary.count("masks")

    async def finish(self, zs: ZipStream) -> None:
        """Masks have no file made of every task."""


def export_numpy(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream the zip of ``.npy`` masks."""
    return stream_zip(batches, BrushZip(ctx, "BRUSH_TO_NUMPY", "npy", images.npy))


def export_png(batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
    """Stream the zip of PNG masks."""
    return stream_zip(batches, BrushZip(ctx, "BRUSH_TO_PNG", "png", images.png))


def fits_brush(config: LabelConfig) -> bool:
    """The brush formats fit configs with ``BrushLabels``."""
    return bool(config.controls_of("BrushLabels"))


BRUSH_TO_NUMPY_EXPORTER = Exporter(
    name="BRUSH_TO_NUMPY",
    title="Brush masks as NumPy arrays",
    description="Each brush region's mask as a uint8 .npy array (height x width) in a zip.",
    extension="zip",
    media_type="application/zip",
    fits=fits_brush,
    export=export_numpy,
    include_cancelled=False,
)

BRUSH_TO_PNG_EXPORTER = Exporter(
    name="BRUSH_TO_PNG",
    title="Brush masks as PNG images",
    description="Each brush region's mask as an 8-bit greyscale PNG in a zip.",
    extension="zip",
    media_type="application/zip",
    fits=fits_brush,
    export=export_png,
    include_cancelled=False,
)
