"""The project configuration: ``config.yaml`` (or a Label Studio 0.8 ``config.json``).

Every key is declared here with its type; an unknown key or a wrong type is a
:class:`ConfigError` naming the key and what was expected, so a typo never passes silently.
Relative paths are relative to the config file.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml

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


def load(path: str | Path | None, overrides: dict[str, Any] | None = None) -> Config:
    """Read the config file at ``path`` (None: defaults) and apply command-line overrides."""
    raw: dict[str, Any] = {}
    config_dir = Path.cwd()
    if path is not None:
        file = Path(path)
        raw = _read_file(file)
        config_dir = file.resolve().parent
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = from_dict(raw)
    config.config_dir = config_dir
    return config


def _read_file(file: Path) -> dict[str, Any]:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {file}: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)  # YAML reads JSON too
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{file}{where}: {problem}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: the config must be a mapping of keys, not {_kind(raw)}")
    return raw


def from_dict(raw: dict[str, Any]) -> Config:
    """Check ``raw`` against the schema; raise :class:`ConfigError` naming the bad key."""
    raw = {k: v for k, v in raw.items() if k not in LEGACY_KEYS}
    raw["ml_backends"] = _ml_backends(raw.get("ml_backends", []))
    for key in ("source", "target"):
        if isinstance(raw.get(key), dict):
            raw[key] = _legacy_storage(raw[key])
    config: Config = _build(Config, raw, "")
    return config


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
        raise ConfigError(f"{where.rstrip('.') or 'config'}: expected a mapping, got {_kind(raw)}")
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
            raise ConfigError(f"{where}: expected a list, got {_kind(value)}")
        return [_value(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {_kind(value)}")
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
        raise ConfigError(f"{where}: expected {names.get(hint, hint)}, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def redacted(config: Config) -> dict[str, Any]:
    """The effective configuration with secrets hidden, for `GET /api/project`."""
    data = dataclasses.asdict(config)
    data.pop("config_dir", None)
    return typing.cast(dict[str, Any], _redact(data))


# Parts of setting names that hold secrets ("data_key" or "key_prefix" do not).
SECRET_WORDS = ("secret", "password", "token", "access_key", "private_key", "credential", "api_key")


def _redact(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, key) for v in value]
    if value and any(w in key.lower() for w in SECRET_WORDS) and key != "label_config":
        return "********"
    return value
