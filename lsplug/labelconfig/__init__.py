"""The label config (``<View>...</View>``): the tag catalogue, checks, task data, templates.

Public names: :func:`parse`, :class:`LabelConfig`, :class:`LabelConfigError`,
:class:`ObjectTag`, :class:`ControlTag`, :func:`check_task_data`, :func:`allowed_types`,
:func:`example_data`, :func:`result_problem`, ``OBJECT_TAGS``.
"""

from __future__ import annotations

from lsplug.labelconfig.catalogue import CONTROL_TAGS, OBJECT_TAGS, OPTION_TAGS, TAGS
from lsplug.labelconfig.check import (
    MAX_CONFIG_BYTES,
    ControlTag,
    LabelConfig,
    LabelConfigError,
    ObjectTag,
    parse,
)
from lsplug.labelconfig.data import (
    allowed_types,
    check_task_data,
    deep_check,
    example_data,
    timeseries_csv,
)
from lsplug.labelconfig.results import result_problem

__all__ = [
    "CONTROL_TAGS",
    "MAX_CONFIG_BYTES",
    "OBJECT_TAGS",
    "OPTION_TAGS",
    "TAGS",
    "ControlTag",
    "LabelConfig",
    "LabelConfigError",
    "ObjectTag",
    "allowed_types",
    "check_task_data",
    "deep_check",
    "example_data",
    "parse",
    "result_problem",
    "timeseries_csv",
]
