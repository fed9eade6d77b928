"""Reading the config file: ``config.yaml`` (or a Label Studio 0.8 ``config.json``).

A file that cannot be read or parsed is a :class:`ConfigError` naming the file and, for a
syntax error, the line and column. Relative paths in it are relative to the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from lsplug.config.schema import Config, ConfigError, from_dict, kind_of


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
        raise ConfigError(f"{file}: the config must be a mapping of keys, not {kind_of(raw)}")
    return raw
