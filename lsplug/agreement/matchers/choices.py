"""The bundled ``choices`` and ``taxonomy`` agreement matchers: chosen sets compared.

Hooks implemented: :func:`lsplug_agreement_matchers`. An annotator's choices for a control
are one answer (a set for multi-choice); two answers score the Jaccard index of their sets
and agree when the sets are equal (:mod:`.answers`). A taxonomy choice is its path, written
``"A / B"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lsplug.agreement.matchers import answers
from lsplug.hooks import AgreementMatcher, hookimpl


def _paths(value: Mapping[str, Any]) -> list[str]:
    paths = value.get("taxonomy")
    if not isinstance(paths, list):
        return []
    return [" / ".join(map(str, p)) if isinstance(p, list) else str(p) for p in paths]


CHOICES = AgreementMatcher(
    name="choices",
    types=("choices",),
    match=answers.match,
    prepare=answers.preparer(answers.listed("choices")),
    description="Choices: the chosen sets, Jaccard index as the partial score.",
)
TAXONOMY = AgreementMatcher(
    name="taxonomy",
    types=("taxonomy",),
    match=answers.match,
    prepare=answers.preparer(_paths),
    description="Taxonomy: the chosen paths as sets, Jaccard index as the partial score.",
)


@hookimpl
def lsplug_agreement_matchers() -> list[AgreementMatcher]:
    """Register the ``choices`` and ``taxonomy`` matchers."""
    return [CHOICES, TAXONOMY]
