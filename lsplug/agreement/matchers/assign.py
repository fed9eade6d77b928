"""Optimal one-to-one pairing of two annotators' regions, and the outcome it makes.

The pairing maximises first the number of pairs whose values (labels) agree, then the total
overlap, over candidate pairs (overlap above 0 and at least the threshold): an optimal
assignment (Hungarian, :func:`scipy.optimize.linear_sum_assignment`), so that the result does
not depend on the order of the regions. Most tasks need no solver: where the candidate pairs
form separate components of one pair each (no region overlaps two of the other side) taking
every candidate is the optimum, and a component whose pairs all share one region is solved
by its best pair; only larger components go to the solver.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from lsplug.agreement.matchers.marks import jaccard
from lsplug.hooks import Mark, MatchedPair, MatchOutcome

Edge = tuple[int, int, float]  # left index, right index, overlap


def pair_up(left: Sequence[Mark], right: Sequence[Mark], edges: Sequence[Edge]) -> MatchOutcome:
    """The outcome of pairing ``left`` and ``right`` optimally over the candidate ``edges``."""
    chosen = assign(left, right, edges)
    pairs = tuple(_pair(left[i], right[j], overlap) for i, j, overlap in chosen)
    used_left = {i for i, _, _ in chosen}
    used_right = {j for _, j, _ in chosen}
    return MatchOutcome(
        pairs,
        tuple(m for i, m in enumerate(left) if i not in used_left),
        tuple(m for j, m in enumerate(right) if j not in used_right),
    )


def _pair(a: Mark, b: Mark, overlap: float) -> MatchedPair:
    score = overlap if a.labels == b.labels else overlap * jaccard(a.labels, b.labels)
    return MatchedPair(a, b, overlap, score)


def assign(left: Sequence[Mark], right: Sequence[Mark], edges: Sequence[Edge]) -> list[Edge]:
    """The candidate edges of an optimal one-to-one assignment (see the module's docstring)."""
    if len(edges) <= 1:
        return list(edges)
    degree: dict[tuple[int, int], int] = {}
    for i, j, _ in edges:
        degree[0, i] = degree.get((0, i), 0) + 1
        degree[1, j] = degree.get((1, j), 0) + 1
    if len(degree) == 2 * len(edges):  # every region in at most one candidate pair
        return list(edges)
    big = float(min(len(left), len(right)) + 1)
    weights = [big * (left[i].value == right[j].value) + w for i, j, w in edges]
    out: list[Edge] = []
    for component in _components(edges):
        out += _solve([edges[k] for k in component], [weights[k] for k in component])
    return out


def _components(edges: Sequence[Edge]) -> list[list[int]]:
    """Edge numbers grouped by connected component (union-find over both sides' regions)."""
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def root(node: tuple[int, int]) -> tuple[int, int]:
        while parent.setdefault(node, node) != node:
            parent[node] = node = parent[parent[node]]
        return node

    for i, j, _ in edges:
        parent[root((0, i))] = root((1, j))
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (i, _, _) in enumerate(edges):
        groups.setdefault(root((0, i)), []).append(k)
    return list(groups.values())


def _solve(edges: list[Edge], weights: list[float]) -> list[Edge]:
    """The best one-to-one subset of the edges of one component."""
    if len(edges) == 1:
        return edges
    if len({i for i, _, _ in edges}) == 1 or len({j for _, j, _ in edges}) == 1:
        return [edges[max(range(len(edges)), key=weights.__getitem__)]]  # a star: one pair
    rows = sorted({i for i, _, _ in edges})
    cols = sorted({j for _, j, _ in edges})
    matrix = np.zeros((len(rows), len(cols)))
    where = {}
    for k, (i, j, _) in enumerate(edges):
        r, c = rows.index(i), cols.index(j)
        matrix[r, c] = weights[k]
        where[r, c] = edges[k]
    picked_rows, picked_cols = linear_sum_assignment(matrix, maximize=True)
    return [where[r, c] for r, c in zip(picked_rows, picked_cols, strict=True) if (r, c) in where]
