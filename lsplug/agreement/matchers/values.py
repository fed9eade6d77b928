"""The bundled ``values`` agreement matcher: ratings, numbers and dates must be equal.

Hooks implemented: :func:`lsplug_agreement_matchers`. An annotator's value for a control is
one answer (:mod:`.answers`); two answers agree, and score 1, when they are equal (``3`` and
``3.0`` are). Dates are compared as the editor wrote them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lsplug.agreement.matchers import answers
from lsplug.hooks import AgreementMatcher, hookimpl


def _scalars(value: Mapping[str, Any]) -> list[str]:
    found = [value[k] for k in ("rating", "number", "datetime") if value.get(k) is not None]
    return [_text(x) for x in found]


def _text(x: Any) -> str:
    """A value as text, numbers without a needless ``.0``."""
    if isinstance(x, float) and math.isfinite(x) and x.is_integer():
        return str(int(x))
    return x.strip() if isinstance(x, str) else str(x)


MATCHER = AgreementMatcher(
    name="values",
    types=("rating", "number", "datetime"),
    match=answers.match,
    prepare=answers.preparer(_scalars),
    description="Ratings, numbers and dates: equal values agree.",
)


@hookimpl
def lsplug_agreement_matchers() -> list[AgreementMatcher]:
    """Register the ``values`` matcher."""
    return [MATCHER]
