"""The ``http`` ML backend kind: Label Studio ML backend servers over HTTP.

Implements ``lsplug_ml_backend_kinds``.
"""

from __future__ import annotations

from lsplug.hooks import Field, MLBackendKind, hookimpl
from lsplug_ml_http.client import HttpModel

HTTP_KIND = MLBackendKind(
    name="http",
    title="Label Studio ML backend (HTTP)",
    description="A model server speaking the Label Studio ML backend protocol, "
    "such as one started with label-studio-ml.",
    fields=[Field("url", "string", "The model server's base URL", required=True)],
    create=HttpModel,
)


@hookimpl
def lsplug_ml_backend_kinds() -> list[MLBackendKind]:
    """The ``http`` kind."""
    return [HTTP_KIND]
