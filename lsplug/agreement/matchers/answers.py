"""Answers to one question per control (choices, taxonomy, rating, number, date): one mark.

Each annotator's answer for a control is the set of the values of its results (several
results of one control are merged): two answers always pair, their score is the Jaccard
index of the two sets (1 or 0 for single values), and they agree when the sets are equal.
An annotator who gave no answer leaves the other's answer alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from lsplug.agreement.matchers.marks import canonical, jaccard, mark
from lsplug.hooks import Mark, MatchedPair, MatchOptions, MatchOutcome

Item = Mapping[str, Any]
Reader = Callable[[Mapping[str, Any]], Iterable[Any]]


def preparer(read: Reader) -> Callable[[Sequence[Item], MatchOptions], Mark | None]:
    """A ``prepare`` that merges the answers ``read`` finds in each item's ``value``."""

    def prepare(items: Sequence[Item], options: MatchOptions) -> Mark | None:
        found: list[Any] = []
        for item in items:
            value = item.get("value") if isinstance(item, Mapping) else None
            if isinstance(value, Mapping):
                found += read(value)
        return mark(0, canonical(found)) if items else None

    return prepare


def match(left: Mark | None, right: Mark | None, options: MatchOptions) -> MatchOutcome:
    """Pair two answers (or leave the one given alone)."""
    if left is None or right is None:
        alone = tuple(m for m in (left,) if m is not None)
        return MatchOutcome((), alone, tuple(m for m in (right,) if m is not None))
    score = jaccard(left.labels, right.labels)
    return MatchOutcome((MatchedPair(left, right, 1.0, score),))


def listed(key: str) -> Reader:
    """A reader of the list (or single value) under ``value[key]``."""

    def read(value: Mapping[str, Any]) -> list[Any]:
        found = value.get(key)
        if found is None:
            return []
        return list(found) if isinstance(found, list) else [found]

    return read
