"""The part COCO, VOC and YOLO share: per task, its image's name, file and regions."""

from __future__ import annotations

from dataclasses import dataclass

from lsplug.export.common import (
    Names,
    Task,
    add_resource,
    base_name,
    is_exported,
    kept_completions,
    task_data,
)
from lsplug.export.regions import Categories, Region, image_controls, image_key, regions
from lsplug.export.zipstream import ZipStream
from lsplug.hooks.types import ExportContext


@dataclass
class ImageTask:
    """What a format writes of one task: the image's URL and name, its size, its regions."""

    url: str
    name: str
    in_zip: bool
    size: tuple[float, float] | None
    regions: list[Region]


class ImageZip:
    """Base of the image formats: collects each task's regions and puts its image in the zip."""

    tags: tuple[str, ...] = ()
    kinds: frozenset[str] = frozenset({"box"})

    def __init__(self, ctx: ExportContext, name: str) -> None:
        self.ctx = ctx
        self.summary = ctx.summary
        self.summary.format = self.summary.format or name
        self.controls = image_controls(ctx.label_config, self.tags)
        self.key = image_key(ctx.label_config, self.controls)
        self.categories = Categories.of(ctx.label_config, self.controls)
        self.names = Names()

    def close(self) -> None:
        """Free the image names (their temporary file, past many images)."""
        self.names.close()

    async def image_task(self, task: Task, zs: ZipStream) -> ImageTask | None:
        """The task's image and regions, or None when the task is not exported."""
        completions = kept_completions(task, self.ctx.options)
        if not is_exported(task, completions, self.ctx.options):
            return None
        url = task_data(task).get(self.key or "")
        if not isinstance(url, str) or not url:
            self.summary.skip(f"task without an image URL in data.{self.key}", task)
            return None
        found = [
            r
            for c in completions
            for r in regions(task, c, self.controls, self.kinds, self.summary)
        ]
        name = self.names.unique(base_name(url), task.get("id"))
        in_zip = await add_resource(self.ctx, zs, url, "images", name, self.summary, task)
        size = found[0].size if found else None
        self.summary.count("images")
        self.summary.count("regions", len(found))
        return ImageTask(url, name, in_zip, size, found)
