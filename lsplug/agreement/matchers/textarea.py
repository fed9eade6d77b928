"""The bundled ``textarea`` agreement matcher: transcripts by normalised edit distance.

Hooks implemented: :func:`lsplug_agreement_matchers`. Each text area result is a text (its
lines joined, each stripped); texts pair one to one by an optimal assignment over those
with a similarity above 0 (1 minus the Levenshtein distance over the longer length,
``rapidfuzz``), which is both their overlap and their score; they agree when equal.
Transcripts carry no labels, so they add nothing to the per-label figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rapidfuzz.distance import Levenshtein

from lsplug.agreement.matchers.assign import pair_up
from lsplug.hooks import AgreementMatcher, Mark, MatchOptions, MatchOutcome, hookimpl

Item = Mapping[str, Any]


def text_of(item: Item) -> str:
    """The text of a text area result: its lines, each stripped, one per line."""
    value = item.get("value") if isinstance(item, Mapping) else None
    text = value.get("text") if isinstance(value, Mapping) else None
    lines = text if isinstance(text, list) else [text] if text is not None else []
    return "\n".join(str(line).strip() for line in lines)


def prepare(items: Sequence[Item], options: MatchOptions) -> list[Mark]:
    """One mark per text, sorted by text."""
    return sorted((Mark(i, text_of(item), ()) for i, item in enumerate(items)), key=lambda m: m[1])


def match(left: list[Mark], right: list[Mark], options: MatchOptions) -> MatchOutcome:
    """Pair texts by similarity."""
    edges = []
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            similarity = Levenshtein.normalized_similarity(a.value, b.value)
            if similarity > 0:
                edges.append((i, j, similarity))
    return pair_up(left, right, edges)


MATCHER = AgreementMatcher(
    name="textarea",
    types=("textarea",),
    match=match,
    prepare=prepare,
    description="Text areas: 1 minus the normalised edit distance.",
)


@hookimpl
def lsplug_agreement_matchers() -> list[AgreementMatcher]:
    """Register the ``textarea`` matcher."""
    return [MATCHER]
