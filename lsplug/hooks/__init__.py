"""The plugin API: the one module a plugin imports.

A plugin is a module (found through the entry-point group ``lsplug``) whose functions
are decorated with :data:`hookimpl` and named after the specs in :mod:`lsplug.hooks.specs`.
Everything a plugin may use is exported here, and the bundled plugins import nothing else
of lsplug:

- the markers :data:`hookimpl` and :data:`hookspec`;
- the types of each hook family (:mod:`lsplug.hooks.types`: storage, exporters, model
  servers; :mod:`lsplug.hooks.agreement`: agreement matchers);
- the address policy of outgoing requests (:class:`AddressPolicy`, :func:`refusal_in`);
- the task-file readers every task source uses: :func:`read_tasks` (a file's tasks, its
  extension choosing the format), :data:`SUPPORTED_EXTENSIONS` and :class:`FormatError`
  (the core's own, from :mod:`lsplug.importer.formats`);
- the helpers of sources over buckets (:mod:`lsplug.hooks.buckets`): :func:`key_filter`,
  :func:`media_key` and :data:`MEDIA_ITEM`.

A plugin that adds pages draws them with the page helpers of :mod:`lsplug.web.pages`
(``layout_page``, ``render_page``, ``add_template_dir``, ``LAYOUT``): they belong to the
web layer, which these foundations cannot import.
"""

import pluggy

PROJECT_NAME = "lsplug"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

# What plugins use, imported once the markers exist (modules of this package import them).
from lsplug.hooks.addresses import AddressPolicy, AddressRefused, refusal_in  # noqa: E402
from lsplug.hooks.agreement import (  # noqa: E402
    AgreementMatcher,
    LabelCount,
    Mark,
    MatchedPair,
    MatchOptions,
    MatchOutcome,
)
from lsplug.hooks.buckets import MEDIA_ITEM, key_filter, media_key  # noqa: E402
from lsplug.hooks.types import (  # noqa: E402
    CompletionSink,
    ExportContext,
    Exporter,
    ExportOptions,
    ExportSummary,
    Field,
    MLBackend,
    MLBackendKind,
    MLContext,
    ModelHealth,
    Prediction,
    SinkType,
    SourceItem,
    SourceObject,
    SourceType,
    StorageContext,
    StorageError,
    TaskBatches,
    TaskSource,
)
from lsplug.importer.formats import SUPPORTED_EXTENSIONS, FormatError, read_tasks  # noqa: E402

__all__ = [
    "MEDIA_ITEM",
    "PROJECT_NAME",
    "SUPPORTED_EXTENSIONS",
    "AddressPolicy",
    "AddressRefused",
    "AgreementMatcher",
    "CompletionSink",
    "ExportContext",
    "ExportOptions",
    "ExportSummary",
    "Exporter",
    "Field",
    "FormatError",
    "LabelCount",
    "MLBackend",
    "MLBackendKind",
    "MLContext",
    "Mark",
    "MatchOptions",
    "MatchOutcome",
    "MatchedPair",
    "ModelHealth",
    "Prediction",
    "SinkType",
    "SourceItem",
    "SourceObject",
    "SourceType",
    "StorageContext",
    "StorageError",
    "TaskBatches",
    "TaskSource",
    "hookimpl",
    "hookspec",
    "key_filter",
    "media_key",
    "read_tasks",
    "refusal_in",
]
