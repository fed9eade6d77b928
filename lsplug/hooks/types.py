"""What plugins register and what the core hands them: the contract of every hook family.

Registration hooks return these frozen descriptions; the objects a factory creates
(sources, sinks, model connections) have async methods that the core awaits, because
pluggy itself calls hooks synchronously. The agreement matchers' types are in
:mod:`lsplug.hooks.agreement`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from lsplug.hooks.addresses import AddressPolicy
from lsplug.hooks.agreement import AgreementMatcher
from lsplug.labelconfig import LabelConfig

T = TypeVar("T")
FieldType = Literal["string", "text", "integer", "number", "boolean", "choice", "path", "json"]


@dataclass(frozen=True)
class Field:
    """One field of a storage or model form, shown by `/api/project/storage-settings`."""

    name: str
    type: FieldType = "string"
    description: str = ""
    default: Any = None
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """The field as the storage-settings API shows it."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "default": None if self.secret else self.default,
            "description": self.description,
            "required": self.required,
            "secret": self.secret,
        }
        if self.choices:
            out["choices"] = list(self.choices)
        return out


class StorageError(Exception):
    """A storage form that is wrong or a storage that cannot be reached, by field.

    The key ``""`` holds errors that belong to no single field.
    """

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors = {key: list(msgs) for key, msgs in errors.items()}
        super().__init__("; ".join(f"{k or 'storage'}: {' '.join(v)}" for k, v in errors.items()))


# --- storage: task sources and completion sinks -------------------------------------------


@dataclass(frozen=True)
class StorageContext:
    """What a storage factory may use: where the project lives, how to run blocking work,
    and what settings set through the API may reach.

    ``allowed_roots`` and ``addresses`` are None for settings from the config file (the
    operator's: any path, any endpoint). For settings set through the API they bound the
    storage: a local path must resolve, links followed, inside one of ``allowed_roots``
    (the ``local_files_roots`` setting; empty: no local path at all), see
    :meth:`confined`; an endpoint URL must obey ``addresses`` (the rule of URL imports),
    see :meth:`check_endpoint` and :meth:`AddressPolicy.resolver`.
    """

    config_dir: Path
    data_dir: Path
    data_key: str | None
    run_in_thread: Callable[..., Awaitable[Any]]
    plugin_settings: Mapping[str, Any] = field(default_factory=dict)
    allowed_roots: tuple[Path, ...] | None = None
    addresses: AddressPolicy | None = None

    def confined(self, path: Path, field_name: str = "path") -> Path:
        """``path`` (relative to the config folder) resolved, links followed; a
        :class:`StorageError` for ``field_name`` unless it lies inside an allowed root."""
        if self.allowed_roots is None:
            return self.config_dir / path.expanduser()
        full = (self.config_dir / path.expanduser()).resolve()
        if any(full.is_relative_to(root.resolve()) for root in self.allowed_roots):
            return full
        if not self.allowed_roots:
            why = (
                "a path on the server can only be set in config.yaml, unless it lies in "
                "a folder of local_files_roots: list folders in local_files_roots"
            )
        else:
            roots = ", ".join(str(r) for r in self.allowed_roots)
            why = f"{full} is outside the folders of local_files_roots ({roots})"
        raise StorageError({field_name: [why]})

    async def check_endpoint(self, url: str, field_name: str = "endpoint_url") -> None:
        """A :class:`StorageError` for ``field_name`` unless ``addresses`` lets ``url``'s
        host be reached (resolved now; pass :meth:`AddressPolicy.resolver` to the client
        too, so that every later connection is checked)."""
        if self.addresses is None or not url:
            return
        try:
            await self.addresses.check_reachable(url, field_name)
        except OSError as exc:
            raise StorageError({field_name: [str(exc)]}) from None


@dataclass(frozen=True)
class SourceObject:
    """One listed object of a source: a file, a bucket object.

    ``version`` changes whenever the content does (mtime and size, an ETag), so that the
    core re-reads only objects that are new or changed since the last sync.
    """

    key: str
    version: str
    size: int | None = None


@dataclass(frozen=True)
class SourceItem:
    """One task read from an object, with a key that is stable while the item is unchanged.

    The core never imports the same ``(object key, item key)`` twice.
    """

    key: str
    task: Any


@runtime_checkable
class TaskSource(Protocol):
    """A configured place tasks come from."""

    async def check(self) -> None:
        """Raise :class:`StorageError` unless the source can be reached and read."""

    def list_objects(self) -> AsyncIterator[SourceObject]:
        """Yield every object of the source, recursively and page by page."""

    def read_object(self, obj: SourceObject) -> AsyncIterator[SourceItem]:
        """Yield the tasks one object holds (one for a media object).

        Raise ``ValueError`` with a message naming the object and the place for content
        that does not parse.
        """

    async def sign_url(self, url: str) -> str | None:
        """A URL a browser can open for ``url`` (``s3://...``), or None when not ours."""

    async def close(self) -> None:
        """Release clients and connections."""


@runtime_checkable
class CompletionSink(Protocol):
    """A configured place completions go to, one document per task."""

    async def check(self) -> None:
        """Raise :class:`StorageError` unless the sink can be reached and written."""

    async def write_task(self, task_id: int, document: bytes) -> None:
        """Store the JSON ``document`` of a task with its completions (replace any older one)."""

    async def delete_task(self, task_id: int) -> None:
        """Remove the document of a task that has no completion left (no error if absent)."""

    async def close(self) -> None:
        """Release clients and connections."""


@dataclass(frozen=True)
class SourceType:
    """A kind of task source a plugin offers, with its form and its factory."""

    name: str
    title: str
    description: str
    fields: Sequence[Field]
    create: Callable[[Mapping[str, Any], StorageContext], TaskSource]
    url_schemes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SinkType:
    """A kind of completion sink a plugin offers, with its form and its factory."""

    name: str
    title: str
    description: str
    fields: Sequence[Field]
    create: Callable[[Mapping[str, Any], StorageContext], CompletionSink]


# --- exporters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportOptions:
    """What the person asked of an export.

    ``include_cancelled`` is whether skipped completions (``was_cancelled``) go in; ``None``
    (not asked) means the format's own default, :attr:`Exporter.include_cancelled`. The core
    settles it before an exporter runs: ``ctx.options.include_cancelled`` is always a bool
    in :attr:`Exporter.export`.
    """

    only_labeled: bool = True
    completions: Literal["all", "newest"] = "all"
    include_cancelled: bool | None = None
    download_resources: bool = False


MAX_LISTED = 1000
"""An export summary lists this many problems one by one, then only counts them."""


@dataclass
class ExportSummary:
    """What an export wrote and what it left out (results it cannot express), and why.

    An exporter that meets data it cannot write (a malformed result, a region its format
    has no room for) calls :meth:`skip` and goes on: the stream never breaks on data. The
    zip formats put it in the zip as ``export_summary.json``; the server answers it for any
    format at ``GET /api/project/export/summary`` and ``lsplug export`` prints it.
    """

    format: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, task: Mapping[str, Any], **where: Any) -> None:
        """Note one thing of ``task`` left out, and why (``where``: completion, result...)."""
        self.counts[reason] = self.counts.get(reason, 0) + 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append({"task": task.get("id"), "reason": reason, **where})

    def count(self, what: str, n: int = 1) -> None:
        """Count something written (images, regions...)."""
        self.written[what] = self.written.get(what, 0) + n

    def as_json(self) -> dict[str, Any]:
        """The summary as ``export_summary.json`` and the summary route show it."""
        return {
            "format": self.format,
            "written": dict(self.written),
            "skipped": dict(self.counts),
            "skipped_total": sum(self.counts.values()),
            "problems": self.problems,
            "problems_listed": len(self.problems),
        }


@dataclass(frozen=True)
class ExportContext:
    """What an exporter gets besides the tasks; ``summary`` collects what it left out."""

    label_config: LabelConfig
    options: ExportOptions
    project_title: str
    open_resource: Callable[[str], Awaitable[bytes | None]]
    summary: ExportSummary = field(default_factory=ExportSummary)


TaskBatches = AsyncIterator[Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class Exporter:
    """A named export format.

    ``export(batches, ctx)`` gets the tasks in id order, in batches, each a dict shaped as
    in the tasks API, and yields the bytes of the file (or of the zip) as it goes. It
    should report data it cannot write in ``ctx.summary`` rather than raise: once the first
    bytes are sent, an error cannot reach the person any more.

    ``include_cancelled`` is the format's default for skipped completions when the export
    does not say: formats that train models leave skips out (``False``), a format that keeps
    everything (``JSON``) keeps them. The core calls :meth:`stream`, which settles it.
    """

    name: str
    title: str
    description: str
    extension: str
    media_type: str
    fits: Callable[[LabelConfig], bool]
    export: Callable[[TaskBatches, ExportContext], AsyncIterator[bytes]]
    include_cancelled: bool = True

    def options_for(self, options: ExportOptions) -> ExportOptions:
        """``options`` with ``include_cancelled`` settled: as asked, else this format's default."""
        if options.include_cancelled is not None:
            return options
        return replace(options, include_cancelled=self.include_cancelled)

    def stream(self, batches: TaskBatches, ctx: ExportContext) -> AsyncIterator[bytes]:
        """Run :attr:`export` with the options settled; ``ctx.summary`` fills as it goes."""
        if not ctx.summary.format:
            ctx.summary.format = self.name
        return self.export(batches, replace(ctx, options=self.options_for(ctx.options)))

    def as_json(self) -> dict[str, Any]:
        """The format as `/api/project/export/formats` shows it (with its skip default)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "extension": self.extension,
            "include_cancelled": self.include_cancelled,
        }


# --- machine learning backends -------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """A model's answer for one task."""

    result: Sequence[Mapping[str, Any]]
    score: float | None = None
    model_version: str | None = None


@dataclass(frozen=True)
class ModelHealth:
    """Whether a model server answers, and what it says of itself."""

    connected: bool
    model_version: str | None = None
    is_training: bool = False
    error: str | None = None


@dataclass(frozen=True)
class MLContext:
    """What a model connection may use: the project it serves, an HTTP timeout, and the
    addresses its connections may reach.

    ``addresses`` is None for a model server of the config file (the operator's). For one
    set through the API, every connection must obey it: give an aiohttp client
    ``TCPConnector(resolver=ctx.addresses.resolver())``, follow no redirect, and keep a
    server's answer out of errors beyond a short excerpt.
    """

    project_id: str
    label_config: Callable[[], str]
    timeout: float
    plugin_settings: Mapping[str, Any] = field(default_factory=dict)
    addresses: AddressPolicy | None = None


@runtime_checkable
class MLBackend(Protocol):
    """A connection to one model server."""

    name: str
    url: str

    async def setup(self) -> ModelHealth:
        """Introduce the project to the model server; its answer gives the model version."""

    async def health(self) -> ModelHealth:
        """Ask whether the model server answers."""

    async def predict(self, tasks: Sequence[Mapping[str, Any]]) -> list[Prediction | None]:
        """Predict a batch of tasks (dicts with ``id`` and ``data``); None where it had none."""

    async def train(
        self, completed: Callable[[], AsyncIterator[Mapping[str, Any]]]
    ) -> Mapping[str, Any]:
        """Send the training signal with every completed task; return the server's job info.

        ``completed()`` starts a new stream of the completed tasks (call it more than once
        to read them again); stream them into the request rather than collecting them.
        """

    async def close(self) -> None:
        """Release HTTP sessions."""


@dataclass(frozen=True)
class MLBackendKind:
    """A kind of model connection (``http`` is the bundled one)."""

    name: str
    title: str
    description: str
    fields: Sequence[Field]
    create: Callable[[str, str, Mapping[str, Any], MLContext], MLBackend]


Named = SourceType | SinkType | Exporter | MLBackendKind | AgreementMatcher
