"""The hook specifications: every way a plugin can extend lsplug.

Registration hooks (``lsplug_*_types``, ``lsplug_exporters``, ``lsplug_ml_backend_kinds``,
``lsplug_agreement_matchers``, ``lsplug_routes``) are called once when an app is created;
the core merges the lists from every plugin and refuses to start when two plugins register
the same name. Lifecycle hooks are called at start-up and clean-up. pluggy calls hooks
synchronously, so hooks return descriptions and objects whose methods are async; the core
awaits those.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

from lsplug.hooks import hookspec
from lsplug.hooks.agreement import AgreementMatcher
from lsplug.hooks.types import Exporter, MLBackendKind, SinkType, SourceType

if TYPE_CHECKING:
    from aiohttp import web

# --- storage ---------------------------------------------------------------------------------


@hookspec
def lsplug_source_types() -> Sequence[SourceType]:
    """Register kinds of task source (``local``, ``s3``, ``gcs``, ...).

    Called once per app, when it is created. A source type names its form fields (shown by
    ``GET /api/project/storage-settings``) and a factory; the core calls the factory with
    the settings of ``config.yaml``'s ``source:`` or of a ``POST
    /api/project/storage-settings?storage_for=source``, checks the result can be reached,
    and syncs tasks from it.

    Settings set through the API are bounded by the factory's ``StorageContext``: a path on
    the server goes through ``ctx.confined(path)`` (inside ``allowed_roots``, the
    ``local_files_roots`` setting, links followed; call it from ``check``, in a thread),
    and an endpoint URL through ``await ctx.check_endpoint(url)`` and, for an aiohttp
    client, ``ctx.addresses.resolver()`` on every connection. Both are None (anything goes)
    for the settings of ``config.yaml``, which are the operator's.

    :returns: the source types this plugin offers (may be empty).

    Example::

        @hookimpl
        def lsplug_source_types():
            return [SourceType(name="local", title="Local files", description="...",
                               fields=[Field("path", required=True)], create=LocalSource)]
    """


@hookspec
def lsplug_sink_types() -> Sequence[SinkType]:
    """Register kinds of completion sink (``local``, ``s3``, ``gcs``, ...).

    Called once per app, when it is created. The factory gets the settings of
    ``config.yaml``'s ``target:`` (or ``output_dir``) or of a ``POST
    /api/project/storage-settings?storage_for=target``. The core writes each task's document
    to the sink after every saved, changed or deleted completion, from its outbox, so that
    a sink that is down delays writes but never loses them. Paths and endpoints set through
    the API are bounded by the context as for :func:`lsplug_source_types`.

    :returns: the sink types this plugin offers (may be empty).
    """


# --- export ----------------------------------------------------------------------------------


@hookspec
def lsplug_exporters() -> Sequence[Exporter]:
    """Register export formats (``JSON``, ``COCO``, ...).

    Called once per app, when it is created. ``Exporter.fits(label_config)`` decides whether
    the format is offered for a project; ``Exporter.export(batches, ctx)`` streams the file
    and notes in ``ctx.summary`` (an ``ExportSummary``) each result it cannot express instead
    of raising. ``Exporter.include_cancelled`` is the format's default for skipped
    completions when the export does not say (``False`` for formats that train models).

    :returns: the formats this plugin offers (may be empty).
    """


# --- machine learning ------------------------------------------------------------------------


@hookspec
def lsplug_ml_backend_kinds() -> Sequence[MLBackendKind]:
    """Register kinds of model connection (``http`` for Label Studio ML backends).

    Called once per app, when it is created. The core creates one connection per entry of
    ``ml_backends`` (``{name, url, kind}``), asks it for predictions of tasks it hands out
    and sends it training signals. A connection set through the API gets
    ``MLContext.addresses``: every connection it opens must obey it (for aiohttp,
    ``TCPConnector(resolver=ctx.addresses.resolver())``), follow no redirect, and quote a
    server's answer in an error only as a short excerpt. It is None for ``config.yaml``'s
    model servers (the operator's).

    :returns: the model kinds this plugin offers (may be empty).
    """


# --- quality ---------------------------------------------------------------------------------


@hookspec
def lsplug_agreement_matchers() -> Sequence[AgreementMatcher]:
    """Register how results of some types pair up and score between two annotators.

    Called once per app, when it is created. The core compares every two completions of a
    task control by control: each control's results go to the matcher registered for their
    ``type`` (``choices``, ``labels``, ``rectanglelabels``, ...), and the agreement figures
    (per task, label, annotator pair and annotator, Krippendorff's alpha, Cohen's and
    Fleiss' kappa) and gold accuracy are built on its :class:`MatchOutcome`. Results of a
    type no matcher claims are counted as unmatched, never an error. Matcher names must be
    unique, and each result type may be claimed by one matcher only: a second claim stops
    the start with a message naming both plugins (disable one in ``config.yaml``).

    :returns: the matchers this plugin offers (may be empty).

    Example::

        @hookimpl
        def lsplug_agreement_matchers():
            return [AgreementMatcher(name="ranker", types=("ranker",), match=match_rankings)]
    """


# --- web and lifecycle -----------------------------------------------------------------------


@hookspec
def lsplug_routes() -> Sequence[web.AbstractRouteDef]:
    """Add HTTP routes (API endpoints or pages) to the app.

    Called once per app, when it is created, before the core's own routes are frozen. A
    handler reaches the caller's project through ``lsplug.web.access.project_of(request)``
    (``request.app[lsplug.web.keys.PROJECT]`` is the default project only), and the
    caller through ``caller_of(request)``. A route that collides with the core's stops the
    start.

    :returns: route definitions, e.g. those of an ``aiohttp.web.RouteTableDef``.
    """


@hookspec
def lsplug_startup(app: web.Application) -> Awaitable[None] | None:
    """Do start-up work once the project and its store are open.

    Called once per app, in start-up order of plugin registration. Return an awaitable
    for async work (the core awaits it before the server accepts requests), or None.

    :param app: the aiohttp application; project state under ``lsplug.web.keys``.
    """


@hookspec
def lsplug_cleanup(app: web.Application) -> Awaitable[None] | None:
    """Release what :func:`lsplug_startup` acquired.

    Called once per app, when it shuts down, before the store is closed.

    :param app: the aiohttp application.
    :returns: an awaitable for async clean-up (the core awaits it), or None.
    """
