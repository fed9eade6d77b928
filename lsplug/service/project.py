"""The project service: the rules of importing, labeling, completions and export.

It knows nothing of HTTP: the views parse requests and call it, and it raises
:mod:`lsplug.errors` for anything a client did wrong.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
import uuid as uuidlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from lsplug import labelconfig
from lsplug.config import Config, ConfigError, Sampling, check_setting
from lsplug.config.redact import redact_settings
from lsplug.errors import BadInput, NotFound
from lsplug.export.tasks import TaskStream
from lsplug.hooks.types import CompletionSink, Exporter, ExportOptions, TaskSource
from lsplug.labelconfig import LabelConfig, LabelConfigError
from lsplug.plugins import Plugins
from lsplug.records import TaskRecord
from lsplug.service import orphans
from lsplug.service.bulk import give_back_memory
from lsplug.service.items import (
    ImportSummary,
    all_flat_and_valid,
    completion_body,
    dry_run_counts,
    dumps_in_slices,
    prediction_body,
    release,
    to_new_tasks,
)
from lsplug.store import NewTask, ProjectRow, Store, TaskOrder

DEFAULT_LABEL_CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="PER"/><Label value="ORG"/><Label value="LOC"/><Label value="MISC"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""
BIG_IMPORT = 10_000  # imports this large give their freed memory back to the system
RUNTIME_SETTINGS = ("title", "instruction", "sampling", "lease_seconds", "ml_backends")
log = logging.getLogger(__name__)


class Predictor(Protocol):
    """What the project asks of its model servers (see :mod:`lsplug.service.ml`)."""

    async def ensure(self, record: TaskRecord) -> TaskRecord:
        """The task with a current prediction from each model."""

    async def score_unscored(self) -> None:
        """Predict a batch of tasks no model has scored yet."""

    def completion_added(self) -> None:
        """Count a completion (models may train every N of them)."""


def project_uuid(name: str) -> str:
    """The stable uuid of a single-session project called ``name``."""
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"lsplug:project:{name}"))


@dataclass
class Storages:
    """The source and sink a project uses now, with the settings they were made from."""

    source: TaskSource | None = None
    source_settings: dict[str, Any] | None = None
    sink: CompletionSink | None = None
    sink_settings: dict[str, Any] | None = None


class Project:
    """One project: its settings, label config, storages and the store holding its state."""

    def __init__(self, config: Config, store: Store, plugins: Plugins, row: ProjectRow) -> None:
        self.config = config
        self.store = store
        self.plugins = plugins
        self._row = self._usable_settings(row, report=True)
        self.label_config: LabelConfig = self._usable_label_config(row)
        self.storages = Storages()
        self.sink_wakeup = asyncio.Event()
        self.predictor: Predictor | None = None
        self._settings_lock = asyncio.Lock()

    @property
    def row(self) -> ProjectRow:
        """The project's row, without stored settings that fail today's checks."""
        return self._row

    @row.setter
    def row(self, row: ProjectRow) -> None:
        self._row = self._usable_settings(row)

    @property
    def id(self) -> int:
        """The store's id of the project."""
        return self.row.id

    # --- settings --------------------------------------------------------------------------

    def setting(self, name: str) -> Any:
        """A runtime setting: changed through the API, else from the config file."""
        return self.row.settings.get(name, getattr(self.config, name))

    async def info(self) -> dict[str, Any]:
        """Settings and state, as `GET /api/project` shows them."""
        from lsplug.config import redacted

        row = self.row = await self.store.get_project(self.id)
        return {
            "project_name": self.config.project_name,
            "uuid": row.uuid,
            "title": self.setting("title"),
            "task_count": row.task_count,
            "completion_count": row.completion_count,
            "prediction_count": row.prediction_count,
            "labeled_count": row.labeled_count,
            "config": redacted(self.config),
            "instruction": self.setting("instruction"),
            "label_config": self.label_config.xml,
            "label_config_line": self.label_config.one_line,
            "data_types": self.label_config.data_types,
            "source_storage": _public(self.storages.source_settings),
            "target_storage": _public(self.storages.sink_settings),
            "available_storages": {
                "source": self.plugins.sources.names(),
                "target": self.plugins.sinks.names(),
            },
            "ml_backends": redact_settings(self.setting_list("ml_backends")),
            "sampling": self.setting("sampling"),
            "lease_seconds": self.setting("lease_seconds"),
            "multi_session_mode": self.config.multi_session,
        }

    def _usable_settings(self, row: ProjectRow, report: bool = False) -> ProjectRow:
        """The row without stored settings that fail today's checks (an older version or a
        hand may have written them): each is skipped, the file's value used, and logged
        when ``report`` (as the project opens)."""
        settings = dict(row.settings)
        for key in RUNTIME_SETTINGS:
            if key not in settings:
                continue
            try:
                checked_setting(key, settings[key], self.plugins.ml_kinds.names())
            except BadInput as exc:
                if report:
                    log.error(
                        "project %s: the stored setting %s is not used: %s", row.uuid, key, exc
                    )
                del settings[key]
        return dataclasses.replace(row, settings=settings)

    def _usable_label_config(self, row: ProjectRow) -> LabelConfig:
        """The stored label config; one that today's checks refuse is logged and the config
        file's (or the default) is used, so that the server starts."""
        try:
            return labelconfig.parse(row.label_config or DEFAULT_LABEL_CONFIG)
        except LabelConfigError as exc:
            log.error(
                "project %s: the stored label config is not used (the default is, until a "
                "config is saved): %s", row.uuid, "; ".join(exc.errors)[:500],
            )  # fmt: skip
            return labelconfig.parse(DEFAULT_LABEL_CONFIG)

    async def change_settings(self, changes: dict[str, Any], title: str | None = None) -> None:
        """Write ``changes`` into the stored settings (``None`` removes a key), read afresh
        and one change at a time, so that no two writers lose each other's keys."""
        async with self._settings_lock:
            fresh = self._usable_settings(await self.store.get_project(self.id))
            settings = dict(fresh.settings)  # what fails today's checks is dropped for good
            for key, value in changes.items():
                if value is None:
                    settings.pop(key, None)
                else:
                    settings[key] = value
            self.row = await self.store.update_project(self.id, settings=settings, title=title)

    def setting_list(self, name: str) -> list[Any]:
        """A list setting from the store (API changes) or the config file."""
        value = self.row.settings.get(name)
        if value is None:
            value = [vars(v) if hasattr(v, "__dict__") else v for v in getattr(self.config, name)]
        return list(value)

    def check_changes(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Runtime settings checked as the config file's values are; 400 naming the first
        bad one (its key and the place in it)."""
        kinds = self.plugins.ml_kinds.names()
        return {key: checked_setting(key, value, kinds) for key, value in changes.items()}

    async def patch(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change runtime settings; unknown keys and bad values are a 400, nothing changed."""
        checked = self.check_changes(changes)
        await self.change_settings(checked, title=checked.get("title"))
        return await self.info()

    # --- label config ----------------------------------------------------------------------

    @staticmethod
    def check_label_config(xml: str) -> LabelConfig:
        """Parse a config; errors in the documented shape ``{"label_config": [...]}``."""
        try:
            return labelconfig.parse(xml)
        except LabelConfigError as exc:
            raise BadInput("the label config is invalid", label_config=exc.errors) from None

    async def save_label_config(self, xml: str) -> LabelConfig:
        """Check and save a new label config; one that orphans task data is refused."""
        parsed = await asyncio.to_thread(self.check_label_config, xml)  # seconds for a big one
        self.row = await self.store.get_project(self.id)  # the counts change with every import
        if self.row.task_count:
            await orphans.refuse_orphans(self.store, self.id, self.label_config, parsed)
        self.row = await self.store.update_project(self.id, label_config=parsed.xml)
        self.label_config = parsed
        return parsed

    # --- import ----------------------------------------------------------------------------

    async def import_items(
        self, items: Sequence[Any], dry_run: bool = False, author: str | None = None
    ) -> ImportSummary:
        """Check every item, then add them all in one transaction (or none, or none if dry).

        ``author``: the signed-in person importing, recorded as every imported
        completion's ``completed_by`` whatever the items say (None: kept as given).
        """
        started = time.perf_counter()
        if not items:
            raise BadInput("no tasks to import: the input holds no items")
        data_types = self.label_config.data_types
        if dry_run:  # counted and freed in the thread: a million tasks take 0.2 s to walk
            counts = await asyncio.to_thread(dry_run_counts, items, data_types, self.label_config)
            return ImportSummary(*counts, duration=time.perf_counter() - started, new_task_ids=[])
        if await asyncio.to_thread(all_flat_and_valid, items, data_types):
            array = await asyncio.to_thread(dumps_in_slices, items)
            result = await self.store.import_flat(self.id, array, len(items))
        else:
            tasks = await asyncio.to_thread(self._new_tasks, items, author)
            result = await self.store.import_tasks(self.id, tasks, None, self._enqueue)
            await asyncio.to_thread(release, tasks)
        if result.completion_count and self._enqueue:
            self.sink_wakeup.set()
        if len(items) >= BIG_IMPORT:
            await asyncio.to_thread(give_back_memory)
        return ImportSummary(
            task_count=len(result.task_ids),
            completion_count=result.completion_count,
            prediction_count=result.prediction_count,
            duration=time.perf_counter() - started,
            new_task_ids=result.task_ids,
        )

    def _new_tasks(self, items: Sequence[Any], author: str | None) -> list[NewTask]:
        """Items checked against the label config as tasks (in a thread: it is CPU work),
        their completions signed by ``author`` when one is given."""
        tasks = to_new_tasks(items, self.label_config.data_types, None, self.label_config)
        return authored(tasks, author)

    # --- tasks -----------------------------------------------------------------------------

    async def task_page(self, page: int, page_size: int, order: TaskOrder) -> AsyncIterator[bytes]:
        """The JSON list of one page of tasks, in chunks of at most 500 tasks."""
        ids = await self.store.page_task_ids(self.id, order, (page - 1) * page_size, page_size)
        yield b"["
        for start in range(0, len(ids), 500):
            records = await self.store.get_tasks(self.id, ids[start : start + 500])
            yield (b"," if start else b"") + b",".join(await self.served(records))
        yield b"]"

    async def served(self, records: Sequence[TaskRecord]) -> list[bytes]:
        """Tasks as clients get them: the source's bucket URLs (``s3://``...) presigned."""
        from lsplug.service.signing import signed_tasks, url_markers

        markers = url_markers(self.plugins)
        return await signed_tasks(records, self.storages.source, markers)

    async def task(self, task_id: int) -> TaskRecord:
        """One task, or 404."""
        found = await self.store.get_tasks(self.id, [task_id])
        if not found:
            raise NotFound(f"task {task_id} not found")
        return found[0]

    async def task_json(self, task_id: int) -> bytes:
        """One task as served."""
        return (await self.served([await self.task(task_id)]))[0]

    async def delete_task(self, task_id: int) -> None:
        """Delete a task, or 404."""
        if not await self.store.delete_task(self.id, task_id, self._enqueue):
            raise NotFound(f"task {task_id} not found")
        self.sink_wakeup.set()

    async def delete_all_tasks(self) -> None:
        """Delete every task; the sink's documents go too."""
        await self.store.delete_all_tasks(self.id, self._enqueue)
        self.sink_wakeup.set()

    async def rewrite_task(self, task_id: int, body: Any, author: str | None = None) -> bytes:
        """Replace the given parts of a task: data, completions, predictions, meta;
        ``author`` signs the completions as in :meth:`import_items`."""
        if not isinstance(body, dict) or not body:
            raise BadInput("the body must be an object with data, completions, predictions or meta")
        unknown = set(body) - {"data", "completions", "annotations", "predictions", "meta", "id"}
        if unknown:
            raise BadInput(f"unknown task fields: {', '.join(sorted(unknown))}")
        current = await self.task(task_id)
        merged = {**body, "data": body.get("data", orjson.loads(current.data))}
        try:
            (new,) = self._new_tasks([merged], author)
        except BadInput as exc:
            raise BadInput(
                exc.detail.replace("item 0: ", f"task {task_id}: "), **exc.extra
            ) from None
        parts: dict[str, Any] = {"data": new.data} if "data" in body else {}
        if "meta" in body:
            parts["meta"] = new.meta or b"{}"
        if "completions" in body or "annotations" in body:
            parts["completions"] = new.completions
        if "predictions" in body:
            parts["predictions"] = new.predictions
        await self.store.replace_task(self.id, task_id, enqueue=self._enqueue, **parts)
        self.sink_wakeup.set()
        return await self.task_json(task_id)

    # --- completions -----------------------------------------------------------------------

    @property
    def _enqueue(self) -> bool:
        return self.storages.sink is not None

    async def add_completion(
        self, task_id: int, body: Any, cancelled: bool, author: str | None = None
    ) -> dict[str, Any]:
        """Save a completion (durable once this returns) and queue it for the sink;
        ``author`` (a signed-in person) is its ``completed_by``, never what a client claims."""
        try:
            stored = completion_body(body, int(time.time()), config=self.label_config)
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        if author is not None:
            stored["completed_by"] = author
        if cancelled:
            stored["was_cancelled"] = True
        saved = await self.store.add_completion(self.id, task_id, stored, self._enqueue)
        if saved is None:
            raise NotFound(f"task {task_id} not found")
        self.sink_wakeup.set()
        if self.predictor is not None:
            self.predictor.completion_added()
        return saved

    async def completions(self, task_id: int) -> list[Any]:
        """A task's completions."""
        return list((await self.task(task_id))["completions"])

    async def update_completion(
        self, task_id: int, completion_id: int, patch: Any, author: str | None = None
    ) -> dict[str, Any]:
        """Merge ``patch`` into a completion; a signed-in ``author`` cannot change its
        ``completed_by``."""
        if not isinstance(patch, dict):
            raise BadInput("the body must be a JSON object of completion fields")
        if author is not None:
            patch = {k: v for k, v in patch.items() if k != "completed_by"}
        try:
            completion_body(
                {k: patch[k] for k in ("result", "created_at") if k in patch},
                0,
                config=self.label_config,
            )
        except ValueError as exc:
            raise BadInput(str(exc)) from None
        if not isinstance(patch.get("created_at", 0), int):
            raise BadInput('"created_at" must be epoch seconds')
        saved = await self.store.update_completion(
            self.id, task_id, completion_id, patch, self._enqueue
        )
        if saved is None:
            raise NotFound(f"completion {completion_id} of task {task_id} not found")
        self.sink_wakeup.set()
        return saved

    async def delete_completion(self, task_id: int, completion_id: int) -> None:
        """Delete one completion, or 404."""
        if not await self.store.delete_completion(self.id, task_id, completion_id, self._enqueue):
            raise NotFound(f"completion {completion_id} of task {task_id} not found")
        self.sink_wakeup.set()

    async def delete_task_completions(self, task_id: int) -> None:
        """Delete a task's completions, or 404 for an unknown task."""
        if not await self.store.delete_task_completions(self.id, task_id, self._enqueue):
            raise NotFound(f"task {task_id} not found")
        self.sink_wakeup.set()

    async def delete_all_completions(self) -> None:
        """Delete every completion of the project."""
        await self.store.delete_all_completions(self.id, self._enqueue)
        self.sink_wakeup.set()

    async def labeled_ids(self) -> AsyncIterator[bytes]:
        """``{"ids": [...]}`` of labeled tasks, streamed."""
        yield b'{"ids":['
        first = True
        async for ids in self.store.labeled_task_ids(self.id):
            yield (b"" if first else b",") + b",".join(b"%d" % i for i in ids)
            first = False
        yield b"]}"

    # --- labeling stream -------------------------------------------------------------------

    async def next_task(self, owner: str) -> bytes:
        """Lease the next task to ``owner`` by the project's sampling; 404 when none is left."""
        strategy: Sampling = self.setting("sampling")
        lease = float(self.setting("lease_seconds"))
        if self.predictor is not None and strategy.startswith("prediction-score"):
            await self.predictor.score_unscored()  # predicted before ranked, never skipped
        record = await self.store.lease_next_task(self.id, owner, strategy, lease)
        if record is None:
            raise NotFound("no more tasks")
        if self.predictor is not None:
            record = await self.predictor.ensure(record)
        return (await self.served([record]))[0]

    async def release(self, task_id: int, owner: str) -> None:
        """End ``owner``'s lease on a task early."""
        await self.task(task_id)
        await self.store.release_lease(self.id, task_id, owner)

    # --- export ----------------------------------------------------------------------------

    def formats(self) -> list[Exporter]:
        """The exporters that fit the current label config."""
        return [e for e in self.plugins.exporters.items.values() if _fits(e, self.label_config)]

    def exporter(self, name: str) -> Exporter:
        """The exporter called ``name`` if it fits the config; else 400 listing those that do."""
        fitting = self.formats()
        for exporter in fitting:
            if exporter.name.upper() == name.upper():
                return exporter
        names = ", ".join(e.name for e in fitting)
        known = self.plugins.exporters.get(name)
        why = "does not fit this label config" if known else "is not a known format"
        raise BadInput(
            f"format {name!r} {why}; formats for this project: {names}",
            formats=[e.name for e in fitting],
        )

    def export_tasks(self, options: ExportOptions) -> TaskStream:
        """The tasks an export reads, batch by batch (or as JSON, see :class:`TaskStream`)."""
        return TaskStream(self.store, self.id, options.only_labeled, self.store.iter_task_json)


def authored(tasks: list[NewTask], author: str | None) -> list[NewTask]:
    """``tasks`` with every completion's ``completed_by`` set to ``author`` (if given)."""
    if author is not None:
        for task in tasks:
            for completion in task.completions:
                completion["completed_by"] = author
    return tasks


def _fits(exporter: Exporter, config: LabelConfig) -> bool:
    try:
        return bool(exporter.fits(config))
    except Exception:  # a broken plugin must not break the format list
        return False


def _public(settings: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if settings is None else dict(redact_settings(settings))


def checked_setting(key: str, value: Any, kinds: Sequence[str]) -> Any:
    """A runtime setting checked as the config file's value is (the same code), plus what
    a running server needs (a lease of a second at least, a model kind a plugin offers);
    400 naming the setting and the place in it otherwise."""
    if key not in RUNTIME_SETTINGS:
        names = ", ".join(RUNTIME_SETTINGS)
        raise BadInput(f"{key}: not a setting that can change while running; settings: {names}")
    try:
        clean = check_setting(key, value)
    except ConfigError as exc:
        raise BadInput(str(exc)) from None
    if key == "lease_seconds" and clean < 1:
        raise BadInput("lease_seconds: expected a whole number of seconds, at least 1")
    for index, entry in enumerate(clean if key == "ml_backends" else []):
        if entry["kind"] not in kinds:
            offered = ", ".join(kinds) or "none"
            raise BadInput(
                f"ml_backends[{index}].kind: no plugin offers the model kind {entry['kind']!r} "
                f"(kinds: {offered})"
            )
    return clean


def config_digest(xml: str) -> str:
    """A short digest of a label config, to notice that the config file changed it."""
    return hashlib.sha1(xml.encode()).hexdigest()[:16]


__all__ = [
    "DEFAULT_LABEL_CONFIG",
    "Project",
    "Storages",
    "config_digest",
    "prediction_body",
    "project_uuid",
]
