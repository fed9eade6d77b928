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
from itertools import compress

import numpy as np
from scipy.optimize import linear_sum_assignment

from lsplug.agreement.matchers.marks import jaccard
from lsplug.hooks import Mark, MatchedPair, MatchOutcome

Edge = tuple[int, int, float]  # left index, right index, overlap


def pair_up(left: Sequence[Mark], right: Sequence[Mark], edges: Sequence[Edge]) -> MatchOutcome:
    """The outcome of pairing ``left`` and ``right`` optimally over the candidate ``edges``.

    A pair scores its overlap times the Jaccard index of the two label sets (the overlap
    when the labels are the same, 0 when they share none).
    """
    pairs = []
    free_left, free_right = [True] * len(left), [True] * len(right)
    for i, j, overlap in assign(left, right, edges):
        a, b = left[i], right[j]
        free_left[i] = free_right[j] = False
        score = overlap if a[2] == b[2] else overlap * jaccard(a[2], b[2])
        pairs.append(MatchedPair(a, b, overlap, score))
    return MatchOutcome(
        tuple(pairs),
        tuple(compress(left, free_left)),
        tuple(compress(right, free_right)),
    )


def assign(left: Sequence[Mark], right: Sequence[Mark], edges: Sequence[Edge]) -> list[Edge]:
    """The candidate edges of an optimal one-to-one assignment (see the module's docstring)."""
    if len(edges) <= 1:
        return list(edges)
    seen_left, seen_right = [0] * len(left), [0] * len(right)
    for i, j, _ in edges:
        seen_left[i] += 1
        seen_right[j] += 1
    if max(seen_left) == 1 and max(seen_right) == 1:  # every region in one pair at most
        return list(edges)
    big = float(min(len(left), len(right)) + 1)
    weights = [big * (left[i][1] == right[j][1]) + w for i, j, w in edges]
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
