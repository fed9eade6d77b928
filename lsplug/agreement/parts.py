"""One task's agreement parts: what its completions contribute to every project figure.

:func:`task_parts` compares every two completions of a task control by control with the
registered matchers, and keeps only additive counts (see :mod:`lsplug.agreement.figures`
for the design): per annotator pair the task's pair score and Cohen's contingency table,
per label the marks and the agreed pairs, Krippendorff's coincidences and Fleiss' counts
over the task's units, and how many results were left unmatched or had no matcher.

Units: for two annotators, each matched pair is a unit and so is each region left alone.
For three or more, the pairwise matches are joined into units (regions of different
annotators, one region per annotator at most), strongest overlap first. In a unit, an
annotator who marked nothing there gives the value :data:`ABSENT` (None): not a missing
value but an answer of its own, so that a region one annotator missed counts as a
disagreement in alpha and the kappas.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import permutations
from typing import Any

from lsplug.hooks import AgreementMatcher, Mark, MatchOptions, MatchOutcome

log = logging.getLogger(__name__)

Cat = str | None  # a mark's value, or ABSENT
ABSENT: Cat = None
Item = Mapping[str, Any]
Matchers = Callable[[str], AgreementMatcher | None]


@dataclass
class PairPart:
    """One annotator pair on one task: its score and Cohen's contingency table."""

    score: float | None  # sum of pair scores / units; 1.0 with no units; None: no comparison
    units: int = 0
    agreed: int = 0  # units whose two values are equal
    table: dict[tuple[Cat, Cat], int] = field(default_factory=dict)  # (first's, second's)


@dataclass
class TaskParts:
    """Everything one task adds to the project figures (all of it additive)."""

    raters: int
    score: float | None = None  # mean of the pairs' scores; None below two raters
    pairs: dict[tuple[str, str], PairPart] = field(default_factory=dict)  # (a, b), a < b
    labels: dict[str, tuple[int, int]] = field(default_factory=dict)  # marked, agreed
    coincidence: dict[tuple[Cat, Cat], float] = field(default_factory=dict)
    units: int = 0  # units of all raters (alpha, Fleiss)
    sumsq: int = 0  # Fleiss: sum over units and categories of the squared count
    totals: dict[Cat, int] = field(default_factory=dict)  # Fleiss: per category
    unmatched: int = 0  # marks left alone, over all pairs
    unknown: int = 0  # results no matcher reads (unknown type, or a failing matcher)


@dataclass
class Prepared:
    """One annotator's results, grouped by control and matcher and prepared."""

    groups: dict[tuple[str, str], Any]
    unknown: int
    sizes: dict[tuple[str, str], int] = field(default_factory=dict)  # results per group


Group = tuple[str, str]  # from_name, matcher name


def task_parts(
    completions: Sequence[tuple[str, Sequence[Item]]], matchers: Matchers,
    options: MatchOptions,
) -> TaskParts:  # fmt: skip
    """The parts of a task from its completions, ``(annotator, result)`` each, one per person."""
    ordered = sorted(completions, key=lambda c: c[0])
    by_name: dict[str, AgreementMatcher] = {}
    prepared = [prepare(result, matchers, options, by_name) for _, result in ordered]
    parts = TaskParts(raters=len(ordered), unknown=sum(p.unknown for p in prepared))
    outcomes: dict[Group, dict[tuple[int, int], MatchOutcome]] = {}
    for i in range(len(ordered)):
        for j in range(i + 1, len(ordered)):
            found, failed = compare(prepared[i], prepared[j], by_name, options)
            parts.unknown += failed
            parts.pairs[ordered[i][0], ordered[j][0]] = _pair_part(found, parts)
            for group, outcome in found.items():
                outcomes.setdefault(group, {})[i, j] = outcome
    _units(parts, outcomes)
    scores = [p.score for p in parts.pairs.values() if p.score is not None]
    parts.score = sum(scores) / len(scores) if scores else None
    return parts


def prepare(
    result: Sequence[Item], matchers: Matchers, options: MatchOptions,
    by_name: dict[str, AgreementMatcher],
) -> Prepared:  # fmt: skip
    """Group one completion's results by control and matcher, and prepare each group."""
    grouped: dict[Group, list[Item]] = {}
    unknown = 0
    for item in result:
        kind = item.get("type") if type(item) is dict or isinstance(item, Mapping) else None
        matcher = matchers(kind) if type(kind) is str else None
        if matcher is None:
            unknown += 1
            continue
        by_name[matcher.name] = matcher
        name = item.get("from_name")
        group = (name if type(name) is str else str(name or ""), matcher.name)
        found = grouped.get(group)
        if found is None:
            grouped[group] = [item]
        else:
            found.append(item)
    groups: dict[Group, Any] = {}
    sizes = {group: len(items) for group, items in grouped.items()}
    for group, items in grouped.items():
        try:
            groups[group] = by_name[group[1]].prepare(items, options)
        except Exception:  # a third party's matcher must not fail the save of a completion
            log.exception("agreement matcher %r failed to prepare results", group[1])
            unknown += len(items)
    return Prepared(groups, unknown, sizes)


def compare(
    left: Prepared, right: Prepared, by_name: Mapping[str, AgreementMatcher],
    options: MatchOptions,
) -> tuple[dict[Group, MatchOutcome], int]:  # fmt: skip
    """Each control's outcome between two prepared completions (gold accuracy uses it too),
    and the number of results of controls whose matcher failed (to count as unknown)."""
    out: dict[Group, MatchOutcome] = {}
    failed = 0
    for group in sorted(left.groups.keys() | right.groups.keys()):
        matcher = by_name[group[1]]
        try:
            a = left.groups[group] if group in left.groups else matcher.prepare([], options)
            b = right.groups[group] if group in right.groups else matcher.prepare([], options)
            out[group] = matcher.match(a, b, options)
        except Exception:
            log.exception("agreement matcher %r failed to match results", group[1])
            failed += left.sizes.get(group, 0) + right.sizes.get(group, 0)
    return out, failed


def _pair_part(found: Mapping[Group, MatchOutcome], parts: TaskParts) -> PairPart:
    """A pair's part from its outcomes; label and unmatched counts go to the task's."""
    table: dict[tuple[Cat, Cat], int] = {}
    labels = parts.labels
    agreed = alone = 0
    total = 0.0
    for outcome in found.values():
        for a, b, _, score in outcome.pairs:
            total += score
            cell = (a[1], b[1])
            table[cell] = table.get(cell, 0) + 1
            agreed += a[1] == b[1]
            _count_pair(labels, a[2], b[2])
        _alone(table, labels, outcome.left_only, True)
        _alone(table, labels, outcome.right_only, False)
        alone += len(outcome.left_only) + len(outcome.right_only)
    units = sum(table.values())
    parts.unmatched += alone
    # no units and nothing unknown: both left it empty, which is agreement
    mean = total / units if units else None if parts.unknown else 1.0
    return PairPart(mean, units, agreed, table)


def _alone(
    table: dict[tuple[Cat, Cat], int], labels: dict[str, tuple[int, int]],
    marks: tuple[Mark, ...], left: bool,
) -> None:  # fmt: skip
    """Marks without a partner: a cell against ABSENT each, and their labels."""
    for m in marks:
        cell = (m[1], ABSENT) if left else (ABSENT, m[1])
        table[cell] = table.get(cell, 0) + 1
        for label in m[2]:
            marked, both = labels.get(label, (0, 0))
            labels[label] = (marked + 1, both)


def _count_pair(labels: dict[str, tuple[int, int]], a: tuple[str, ...], b: tuple[str, ...]) -> None:
    """A matched pair's labels: each side's marks, and the labels both carry."""
    if a == b:
        for label in a:
            marked, both = labels.get(label, (0, 0))
            labels[label] = (marked + 2, both + 1)
        return
    shared = set(a).intersection(b)
    for label in (*a, *b):
        marked, both = labels.get(label, (0, 0))
        labels[label] = (marked + 1, both)
    for label in shared:
        marked, both = labels[label]
        labels[label] = (marked, both + 1)


def _units(
    parts: TaskParts, outcomes: Mapping[Group, Mapping[tuple[int, int], MatchOutcome]]
) -> None:
    """Coincidences and Fleiss' counts over the units of all raters.

    Every unit holds one value per rater (ABSENT included), so both come from the ordered
    pairs of values within units: a coincidence is their count over ``raters - 1``; a
    category's total is its row of pairs over ``raters - 1``; the sum of squared counts per
    unit is ``raters`` plus the pairs of equal values.
    """
    r = parts.raters
    if r < 2:
        return
    pairs: list[tuple[Cat, Cat]] = []
    for by_pair in outcomes.values():
        for values in _unit_values(by_pair, r):
            pairs += permutations(values, 2)
            parts.units += 1
    counted = Counter(pairs)
    same = 0
    for (c, k), n in counted.items():
        parts.coincidence[c, k] = n / (r - 1)
        parts.totals[c] = parts.totals.get(c, 0) + n
        same += n if c == k else 0
    for c in parts.totals:
        parts.totals[c] //= r - 1
    parts.sumsq = parts.units * r + same


def _unit_values(by_pair: Mapping[tuple[int, int], MatchOutcome], raters: int) -> list[list[Cat]]:
    """Each unit's value per rater (ABSENT where the rater marked nothing there)."""
    if raters == 2:
        (outcome,) = by_pair.values()
        units: list[list[Cat]] = [[p[0][1], p[1][1]] for p in outcome.pairs]
        units += [[m[1], ABSENT] for m in outcome.left_only]
        return units + [[ABSENT, m[1]] for m in outcome.right_only]
    return [[c[r][1] if r in c else ABSENT for r in range(raters)] for c in _clusters(by_pair)]


def _clusters(by_pair: Mapping[tuple[int, int], MatchOutcome]) -> list[dict[int, Mark]]:
    """Marks joined across raters by their pairs, strongest first, one mark per rater.

    A mark is known by its rater and its position (unique within a control's results).
    """
    edges = [
        (-overlap, i, a[0], j, b[0], a, b)
        for (i, j), outcome in by_pair.items()
        for a, b, overlap, _ in outcome.pairs
    ]
    edges.sort()  # (rater, position) pairs are unique: the sort never compares marks
    members: dict[tuple[int, int], dict[int, Mark]] = {}
    for _, i, at, j, bt, a, b in edges:
        first = members.get((i, at)) or members.setdefault((i, at), {i: a})
        second = members.get((j, bt)) or members.setdefault((j, bt), {j: b})
        if first is not second and first.keys().isdisjoint(second):
            first.update(second)
            for r, m in second.items():
                members[r, m[0]] = first
    for (i, j), outcome in by_pair.items():
        for rater, marks in ((i, outcome.left_only), (j, outcome.right_only)):
            for m in marks:
                if (rater, m[0]) not in members:
                    members[rater, m[0]] = {rater: m}
    return list({id(c): c for c in members.values()}.values())
