"""The plugin markers and the types plugins exchange with the core.

A plugin is a module (found through the entry-point group ``lsplug``) whose functions
are decorated with :data:`hookimpl` and named after the specs in :mod:`lsplug.hooks.specs`.
"""

import pluggy

PROJECT_NAME = "lsplug"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

from lsplug.hooks.addresses import AddressPolicy, AddressRefused, refusal_in  # noqa: E402
from lsplug.hooks.types import (  # noqa: E402  (the markers must exist first)
    AgreementMatcher,
    CompletionSink,
    ExportContext,
    Exporter,
    ExportOptions,
    ExportSummary,
    Field,
    LabelCount,
    Mark,
    MatchedPair,
    MatchOptions,
    MatchOutcome,
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
    TaskSource,
)

__all__ = [
    "PROJECT_NAME",
    "AddressPolicy",
    "AddressRefused",
    "AgreementMatcher",
    "CompletionSink",
    "ExportContext",
    "ExportOptions",
    "ExportSummary",
    "Exporter",
    "Field",
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
    "TaskSource",
    "hookimpl",
    "hookspec",
    "refusal_in",
]
