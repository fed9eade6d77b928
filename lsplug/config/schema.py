"""The schema of the project configuration, and the checks of values against it.

Every key is declared here with its type; an unknown key or a wrong type is a
:class:`ConfigError` naming the key and what was expected, so a typo never passes silently.
The same checks serve the config file (:mod:`lsplug.config.loading`) and the settings
changed through the API (:func:`check_setting`).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

from yarl import URL

Sampling = Literal["sequential", "uniform", "prediction-score-min", "prediction-score-max"]
SAMPLINGS: tuple[str, ...] = typing.get_args(Sampling)
DEFAULT_INTERFACES = [
    "panel", "update", "submit", "skip", "controls", "topbar", "infobar", "side-column",
    "annotations:menu", "annotations:add-new", "annotations:delete", "predictions:menu",
]  # fmt: skip
# Keys a Label Studio 0.8 config.json may hold that mean nothing here; read and ignored.
LEGACY_KEYS = frozenset(
    {
        "protocol", "allow_serving_local_files", "task_page_auto_update_timer",
        "show_project_links_in_multisession", "templates_dir", "label_config_updated",
        "input_format", "use_gevent", "log_level", "init", "force",
        "allow_delete_completions", "description",
    }
)  # fmt: skip


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the key."""


@dataclass
class EditorConfig:
    """Where the labeling editor comes from and what it shows."""

    build_path: str | None = None
    debug: bool = False
    interfaces: list[str] = field(default_factory=lambda: list(DEFAULT_INTERFACES))


@dataclass
class MLBackendConfig:
    """One model server connection."""

    url: str
    name: str | None = None
    kind: str = "http"


@dataclass
class MLConfig:
    """How the project talks to model servers."""

    timeout: float = 10.0  # seconds, for every call to a model server
    batch_size: int = 100  # tasks per predict call when predicting many
    concurrency: int = 4  # predict calls under way at once
    train_every: int = 0  # train after this many new completions (0: only when asked)


@dataclass
class StoreConfig:
    """Where the project's state lives."""

    url: str | None = None  # default: sqlite under data_dir
    synchronous: Literal["full", "normal"] = "full"


@dataclass
class Config:
    """Every setting of a project; see the README's configuration section."""

    label_config: str | None = None
    input_path: str | None = None
    output_dir: str | None = None
    instruction: str = ""
    editor: EditorConfig = field(default_factory=EditorConfig)
    title: str = "lsplug"
    project_name: str = "default"
    host: str = "127.0.0.1"
    port: int = 8200
    debug: bool = False
    logger: dict[str, Any] | None = None
    data_dir: str = "data"
    sampling: Sampling = "sequential"
    ml_backends: list[MLBackendConfig] = field(default_factory=list)
    source: dict[str, Any] | None = None
    target: dict[str, Any] | None = None
    plugins: dict[str, Any] = field(default_factory=dict)
    auth: dict[str, Any] | None = None
    store: StoreConfig = field(default_factory=StoreConfig)
    ml: MLConfig = field(default_factory=MLConfig)
    lease_seconds: int = 600
    max_body_mb: int = 256
    max_expanded_mb: int | None = None  # task files of one request, zips expanded (2 x max_body_mb)
    multi_session: bool = False
    allowed_hosts: list[str] = field(default_factory=list)  # URL imports, model servers
    server_names: list[str] | None = None  # Host names answered (None: loopback and host)
    local_files_roots: list[str] = field(default_factory=list)  # served at /data/local-files
    config_dir: Path = field(default=Path("."), metadata={"internal": True})

    def path(self, value: str) -> Path:
        """``value`` as a path: relative paths are relative to the config file."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.config_dir / p)

    @property
    def data_path(self) -> Path:
        """The folder of the project's state."""
        return self.path(self.data_dir)

    @property
    def max_body_bytes(self) -> int:
        """The largest request body accepted."""
        return self.max_body_mb * 1024 * 1024

    @property
    def max_expanded_bytes(self) -> int:
        """The most the task files of one request may expand to, zip members counted."""
        mb = self.max_expanded_mb if self.max_expanded_mb is not None else 2 * self.max_body_mb
        return mb * 1024 * 1024

    def disabled_plugins(self) -> list[str]:
        """Plugins set to ``false`` under ``plugins:``."""
        return [name for name, value in self.plugins.items() if value is False]

    def plugin_settings(self, name: str) -> dict[str, Any]:
        """The settings under ``plugins: {name: {...}}``."""
        value = self.plugins.get(name)
        return value if isinstance(value, dict) else {}


def from_dict(raw: dict[str, Any]) -> Config:
    """Check ``raw`` against the schema; raise :class:`ConfigError` naming the bad key."""
    raw = {k: v for k, v in raw.items() if k not in LEGACY_KEYS}
    raw["ml_backends"] = _ml_backends(raw.get("ml_backends", []))
    for key in ("source", "target"):
        if isinstance(raw.get(key), dict):
            raw[key] = _legacy_storage(raw[key])
    config: Config = _build(Config, raw, "")
    _check_server_names(config.server_names)
    _check_ml_urls(config.ml_backends, "ml_backends")
    return config


def _check_server_names(names: list[str] | None) -> None:
    """Each entry a host name, ``.domain`` (it and its subdomains), an IP address or ``*``."""
    for i, entry in enumerate(names or []):
        name = entry.strip().removeprefix(".").strip("[]")
        if entry.strip() == "*" or (name and _is_address(name)):
            continue
        if not name or ":" in name or "/" in name or any(ch.isspace() for ch in name):
            raise ConfigError(
                f"server_names[{i}]: {entry!r} is not a host name; write names such as "
                "labels.example.com (no scheme, port or path), .example.com or *"
            )


# --- checks shared by the config file and the settings changed through the API -------------

HOST_NAME = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?")


def http_url_problem(url: str) -> str | None:
    """Why ``url`` is not an absolute http(s) URL with a host name or address, or None."""
    try:
        parsed = URL(url)
        host, port = parsed.raw_host, parsed.port
    except (ValueError, TypeError) as exc:
        return f"{url!r} is not a URL ({exc})"
    if parsed.scheme not in ("http", "https"):
        return f"{url!r} is not an http or https URL"
    if not host or not (_is_address(host) or HOST_NAME.fullmatch(host)):
        return f"{url!r} has no valid host name"
    return None if port else f"{url!r} has no port"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_ml_urls(entries: list[MLBackendConfig], where: str) -> None:
    for index, entry in enumerate(entries):
        problem = http_url_problem(entry.url)
        if problem:
            raise ConfigError(f"{where}[{index}].url: {problem}")


def check_setting(key: str, value: Any) -> Any:
    """``value`` for the config key ``key``, checked as the config file's own value would be
    (``ml_backends`` entries normalized to ``{name, url, kind}``); :class:`ConfigError`
    naming the key and the place otherwise."""
    hints = typing.get_type_hints(Config)
    if key not in hints or key == "config_dir":
        raise ConfigError(f"{key}: unknown key")
    if key != "ml_backends":
        return _value(hints[key], value, key)
    entries: list[MLBackendConfig] = _value(hints[key], _ml_backends(value), key)
    _check_ml_urls(entries, key)
    return [dataclasses.asdict(entry) for entry in entries]


def _ml_backends(value: Any) -> Any:
    """Accept ``"URL"``, ``"name=URL"`` or ``{name, url}`` entries."""
    if not isinstance(value, list):
        return value
    return [parse_ml_backend(v) if isinstance(v, str) else v for v in value]


def parse_ml_backend(text: str) -> dict[str, str]:
    """``"name=URL"`` or ``"URL"`` as a model server entry."""
    name, sep, url = text.partition("=")
    if sep and not name.startswith(("http:", "https:")):
        return {"name": name.strip(), "url": url.strip()}
    return {"url": text.strip()}


def _legacy_storage(value: dict[str, Any]) -> dict[str, Any]:
    """Label Studio 0.8 wrote ``{type, path, params}``; flatten it to ``{type, ...}``."""
    if "params" not in value and "path" not in value:
        return value
    kind = {"tasks-json": "local", "completions-dir": "local", "s3-completions": "s3",
            "gcs-completions": "gcs"}.get(value.get("type", ""), value.get("type"))  # fmt: skip
    out = {"type": kind, **(value.get("params") or {})}
    if value.get("path"):
        out["path" if kind == "local" else "bucket"] = value["path"]
    return out


def _build(cls: type[Any], raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{where.rstrip('.') or 'config'}: expected a mapping, got {kind_of(raw)}"
        )
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    hints = typing.get_type_hints(cls)
    for key in raw:
        if key not in fields:
            raise ConfigError(
                f"{where}{key}: unknown key; known keys are {', '.join(sorted(fields))}"
            )
    kwargs = {key: _value(hints[key], raw[key], f"{where}{key}") for key in raw}
    missing = [n for n, f in fields.items() if _required(f) and n not in raw]
    if missing:
        raise ConfigError(f"{where}{missing[0]}: this key is required")
    return cls(**kwargs)


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _value(hint: Any, value: Any, where: str) -> Any:
    """``value`` checked against the type ``hint``."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return _union(hint, value, where)
    if origin is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(map(str, allowed))}")
        return value
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {kind_of(value)}")
        return [_value(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {kind_of(value)}")
        return value
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, f"{where}.")  # type: ignore[arg-type]
    return _scalar(hint, value, where)


def _union(hint: Any, value: Any, where: str) -> Any:
    args = typing.get_args(hint)
    if value is None and type(None) in args:
        return None
    (inner,) = [a for a in args if a is not type(None)]
    return _value(inner, value, where)


def _scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        raise ConfigError(f"{where}: expected an integer, got a boolean")
    if not isinstance(value, hint):
        names = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}
        raise ConfigError(f"{where}: expected {names.get(hint, hint)}, got {kind_of(value)}")
    return value


def kind_of(value: Any) -> str:
    """How a value of the wrong type is named in a message: \"a mapping\", \"a list\"..."""
    if value is None:
        return "nothing (null)"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
