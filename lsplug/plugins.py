"""The plugin host: a fresh plugin manager per app, and the merged registries it yields.

Every plugin, the core's built-in ones included, is found through the entry-point group
``lsplug``; tests and embedders add more with ``extra_plugins``. Two plugins registering
the same name in one family stop the start with a message naming both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any, Generic, TypeVar

import pluggy

from lsplug.hooks import PROJECT_NAME, specs
from lsplug.hooks.agreement import AgreementMatcher
from lsplug.hooks.types import Exporter, MLBackendKind, SinkType, SourceType

T = TypeVar("T", SourceType, SinkType, Exporter, MLBackendKind, AgreementMatcher)


class PluginError(Exception):
    """A plugin set that cannot start: a clash of names, a misspelt hook, a broken plugin."""


@dataclass
class Registry(Generic[T]):
    """Named registrations of one family, with the plugin that registered each."""

    family: str
    items: dict[str, T] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    def add(self, item: T, owner: str) -> None:
        """Register ``item``; a name registered twice is a :class:`PluginError`."""
        if item.name in self.items:
            raise PluginError(
                f"{self.family} {item.name!r} is registered by two plugins: "
                f"{self.owners[item.name]!r} and {owner!r}; disable one of them in "
                f"config.yaml (plugins: {{{owner}: false}})"
            )
        self.items[item.name] = item
        self.owners[item.name] = owner

    def get(self, name: str) -> T | None:
        """The registration called ``name``, if any."""
        return self.items.get(name)

    def names(self) -> list[str]:
        """Every registered name, in registration order."""
        return list(self.items)


@dataclass
class MatcherRegistry(Registry[AgreementMatcher]):
    """Agreement matchers by name, and by the result types they claim (each type once)."""

    by_type: dict[str, AgreementMatcher] = field(default_factory=dict)

    def add(self, item: AgreementMatcher, owner: str) -> None:
        """Register ``item``; a name or a result type registered twice is a :class:`PluginError`."""
        for kind in item.types:
            if kind in self.by_type:
                first = self.by_type[kind].name
                raise PluginError(
                    f"result type {kind!r} is claimed by two agreement matchers: {first!r} "
                    f"of {self.owners[first]!r} and {item.name!r} of {owner!r}; disable one "
                    f"of them in config.yaml (plugins: {{{owner}: false}})"
                )
        super().add(item, owner)
        self.by_type.update(dict.fromkeys(item.types, item))

    def for_type(self, result_type: str) -> AgreementMatcher | None:
        """The matcher that claims ``result_type``, if any."""
        return self.by_type.get(result_type)


@dataclass
class Plugins:
    """A plugin manager and the registries merged from it."""

    pm: pluggy.PluginManager
    sources: Registry[SourceType]
    sinks: Registry[SinkType]
    exporters: Registry[Exporter]
    ml_kinds: Registry[MLBackendKind]
    matchers: MatcherRegistry

    def describe(self) -> list[dict[str, Any]]:
        """One entry per loaded plugin, as `lsplug plugins` prints it."""
        dists = {name: dist for name, dist in _distinfo(self.pm)}
        out = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            dist = dists.get(name)
            hooks = sorted(c.name for c in self.pm.get_hookcallers(plugin) or [])
            out.append(
                {
                    "name": name,
                    "distribution": dist.metadata["name"] if dist else None,
                    "version": dist.version if dist else None,
                    "hooks": hooks,
                    "source_types": self._owned(self.sources, name),
                    "sink_types": self._owned(self.sinks, name),
                    "exporters": self._owned(self.exporters, name),
                    "ml_backend_kinds": self._owned(self.ml_kinds, name),
                    "agreement_matchers": self._owned(self.matchers, name),
                }
            )
        return out

    @staticmethod
    def _owned(registry: Registry[Any], plugin: str) -> list[str]:
        return [n for n, owner in registry.owners.items() if owner == plugin]


def _distinfo(pm: pluggy.PluginManager) -> Iterable[tuple[str, Any]]:
    for plugin, dist in pm.list_plugin_distinfo():
        name = pm.get_name(plugin)
        if name is not None:
            yield name, dist


def load_plugins(
    disabled: Iterable[str] = (), extra_plugins: Sequence[ModuleType | object] = ()
) -> Plugins:
    """Create a plugin manager, load the ``lsplug`` entry points and merge registrations."""
    pm = pluggy.PluginManager(PROJECT_NAME)
    pm.add_hookspecs(specs)
    for name in disabled:
        pm.set_blocked(name)
    try:
        pm.load_setuptools_entrypoints(PROJECT_NAME)
        for plugin in extra_plugins:
            pm.register(plugin, name=getattr(plugin, "__name__", None))
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r} is invalid: {exc}") from None
    return Plugins(
        pm=pm,
        sources=_collect(pm, "source type", "lsplug_source_types", SourceType),
        sinks=_collect(pm, "sink type", "lsplug_sink_types", SinkType),
        exporters=_collect(pm, "exporter", "lsplug_exporters", Exporter),
        ml_kinds=_collect(pm, "ML backend kind", "lsplug_ml_backend_kinds", MLBackendKind),
        matchers=_fill(
            pm, "lsplug_agreement_matchers", AgreementMatcher, MatcherRegistry("agreement matcher")
        ),
    )


R = TypeVar("R", bound=Registry[Any])


def _collect(pm: pluggy.PluginManager, family: str, hook: str, kind: type[T]) -> Registry[T]:
    """The registrations of ``hook``, in a registry of their own."""
    return _fill(pm, hook, kind, Registry[T](family))


def _fill(pm: pluggy.PluginManager, hook: str, kind: type[T], registry: R) -> R:
    """Call each implementation of ``hook`` on its own, so clashes can name both plugins."""
    for impl in getattr(pm.hook, hook).get_hookimpls():  # pluggy lists them in registration order
        function: Callable[[], Sequence[T] | None] = impl.function
        for item in function() or ():
            if not isinstance(item, kind):
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: {hook} returned {type(item).__name__}, "
                    f"expected {kind.__name__}"
                )
            registry.add(item, impl.plugin_name)
    return registry


def entry_point_names() -> Mapping[str, str]:
    """``{entry point name: value}`` of the ``lsplug`` group, for diagnostics."""
    return {ep.name: ep.value for ep in metadata.entry_points(group=PROJECT_NAME)}
