"""What the commands share: the config file they read, with the command line's overrides.

Its own module so that every command imports it from below, and none imports another
command for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsplug import config as configmod
from lsplug.config import Config

DEFAULT_CONFIG = "config.yaml"
PATH_FLAGS = ("input_path", "output_dir", "data_dir", "label_config")


def load_config(path: str | None, overrides: dict[str, Any]) -> Config:
    """The config file (``config.yaml`` here if present) with command-line overrides."""
    if path is None and Path(DEFAULT_CONFIG).exists():
        path = DEFAULT_CONFIG
    if path is not None:
        overrides = {k: absolute_path(v) if k in PATH_FLAGS else v for k, v in overrides.items()}
    return configmod.load(path, overrides)


def absolute_path(value: Any) -> Any:
    """Paths given on the command line are relative to where the command runs."""
    if isinstance(value, str) and value and not value.lstrip().startswith("<"):
        return str(Path(value).expanduser().resolve())
    return value
