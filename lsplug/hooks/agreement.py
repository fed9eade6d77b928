"""What agreement matchers register and return: the contract of ``lsplug_agreement_matchers``.

A matcher (:class:`AgreementMatcher`) pairs two annotators' results of one control; the core
builds every agreement figure on the outcomes (:class:`MatchOutcome`) it returns. Kept apart
from :mod:`lsplug.hooks.types` so that each module holds one family's contract.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

Result = Mapping[str, Any]


@dataclass(frozen=True)
class MatchOptions:
    """How strict a match is: the project's ``agreement`` settings, as matchers read them.

    ``threshold`` is the least overlap (intersection over union of spans, boxes, masks) for
    two regions to pair; ``distance`` is the farthest two key points may be, as a share of
    the image diagonal; ``extra`` holds settings of third-party matchers.
    """

    threshold: float = 0.5
    distance: float = 0.05
    extra: Mapping[str, Any] = field(default_factory=dict)


class Mark(NamedTuple):
    """One region (or one answer) of one annotator, as agreement counts it.

    ``value`` is the category that chance-corrected figures (alpha, kappas) compare: two
    marks agree when their values are equal (a region's labels, a choice set, a rating, a
    transcript). ``labels`` are counted one by one in the per-label figures (empty for a
    transcript). ``position`` is the mark's place in the result list the matcher got (the
    first item's when a matcher merges several, such as a multi-choice answer).
    """

    position: int
    value: str
    labels: tuple[str, ...]


class MatchedPair(NamedTuple):
    """Two annotators' marks that a matcher paired: the same region, or the same question.

    ``overlap`` (0 to 1, above 0) says how well the two line up whatever their labels
    (intersection over union, 1 minus the share of the allowed distance, text
    similarity); ``score`` (0 to 1) says how much they agree, labels included (the overlap
    when the labels agree, a Jaccard index of two choice sets).
    """

    left: Mark
    right: Mark
    overlap: float
    score: float

    @property
    def agree(self) -> bool:
        """Whether the two marks carry the same value (labels, choices, rating)."""
        return self.left.value == self.right.value


class LabelCount(NamedTuple):
    """How often one label was used on each side of a comparison, and how often both agreed."""

    left: int
    right: int
    agreed: int


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    """What a matcher found between two annotators' results for one control of one task.

    Every mark of both sides is either in one pair or left alone (``left_only``,
    ``right_only``): results a matcher cannot read are left alone too, never an error.
    """

    pairs: tuple[MatchedPair, ...] = ()
    left_only: tuple[Mark, ...] = ()
    right_only: tuple[Mark, ...] = ()

    @property
    def units(self) -> int:
        """The regions or answers compared: pairs plus marks left alone."""
        return len(self.pairs) + len(self.left_only) + len(self.right_only)

    def label_counts(self) -> dict[str, LabelCount]:
        """Per label: the marks carrying it on each side, and the pairs where both carry it."""
        left: dict[str, int] = {}
        right: dict[str, int] = {}
        agreed: dict[str, int] = {}
        for pair in self.pairs:
            _count(left, pair.left.labels)
            _count(right, pair.right.labels)
            _count(agreed, set(pair.left.labels).intersection(pair.right.labels))
        for mark in self.left_only:
            _count(left, mark.labels)
        for mark in self.right_only:
            _count(right, mark.labels)
        return {
            label: LabelCount(left.get(label, 0), right.get(label, 0), agreed.get(label, 0))
            for label in sorted({*left, *right})
        }


def _count(counts: dict[str, int], labels: Iterable[str]) -> None:
    for label in labels:
        counts[label] = counts.get(label, 0) + 1


def _as_given(results: Sequence[Result], options: MatchOptions) -> Sequence[Result]:
    return results


@dataclass(frozen=True)
class AgreementMatcher:
    """How two annotators' results of some result ``types`` pair up and score.

    The core groups each completion's results by control (``from_name``) and by matcher,
    calls ``prepare(results, options)`` once per annotator and task (the default hands the
    results on as they are), then ``match(left, right, options)`` once per pair of
    annotators with what ``prepare`` returned, and builds every agreement figure on the
    :class:`MatchOutcome`. Both must be pure functions (no I/O): they run in a worker
    thread, once per task and pair, over millions of tasks when a project is rescored.
    ``match`` must not depend on the order of the results (pair by an optimal assignment).
    """

    name: str
    types: tuple[str, ...]
    match: Callable[[Any, Any, MatchOptions], MatchOutcome]
    prepare: Callable[[Sequence[Result], MatchOptions], Any] = _as_given
    description: str = ""
