"""The project configuration: its schema, reading the config file, and hiding its secrets.

``from lsplug.config import Config, ConfigError, load`` is the way in; the parts live in
:mod:`lsplug.config.schema` (every key with its type, and the checks), :mod:`.loading`
(``config.yaml`` or a Label Studio 0.8 ``config.json`` from disk) and :mod:`.redact`
(secrets masked wherever settings or messages are shown).
"""

from __future__ import annotations

from lsplug.config.loading import load
from lsplug.config.redact import redacted
from lsplug.config.schema import (
    DEFAULT_INTERFACES,
    LEGACY_KEYS,
    SAMPLINGS,
    Config,
    ConfigError,
    EditorConfig,
    MLBackendConfig,
    MLConfig,
    Sampling,
    StoreConfig,
    check_setting,
    from_dict,
    http_url_problem,
    parse_ml_backend,
)

__all__ = [
    "DEFAULT_INTERFACES",
    "LEGACY_KEYS",
    "SAMPLINGS",
    "Config",
    "ConfigError",
    "EditorConfig",
    "MLBackendConfig",
    "MLConfig",
    "Sampling",
    "StoreConfig",
    "check_setting",
    "from_dict",
    "http_url_problem",
    "load",
    "parse_ml_backend",
    "redacted",
]
