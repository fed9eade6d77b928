"""Chance-corrected agreement coefficients from additive counts: alpha, Cohen's and Fleiss' kappa.

Each coefficient is a function of sums that add up over units and tasks, so that a project's
figure is its tasks' counts summed, and a bootstrap replicate is a weighted sum of them:

- Krippendorff's alpha (nominal) from the coincidence matrix ``o[c, k]``: a unit with ``m``
  pairable values adds, for every ordered pair of its values from different coders,
  ``1 / (m - 1)`` to ``o[value1, value2]``; ``alpha = 1 - (n - 1) * sum_{c != k} o[c, k] /
  sum_{c != k} n_c * n_k`` with ``n_c`` the row sums and ``n`` their total.
- Cohen's kappa from the contingency table of two coders' values over shared units.
- Fleiss' kappa from, over units rated by the same number ``r`` of raters, the number of
  units, the sum of squared per-unit category counts and the per-category totals.

The array functions take a leading batch axis (bootstrap replicates) and give ``nan`` where a
coefficient is undefined (one category only, too few values); the dict functions give None.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

import numpy as np

V = TypeVar("V", bound=Hashable)


def coincidences(units: Iterable[Sequence[V]]) -> dict[tuple[V, V], float]:
    """The coincidence matrix of units, each given as its pairable values (missing left out)."""
    out: dict[tuple[V, V], float] = {}
    for values in units:
        add_unit(out, values)
    return out


def add_unit(out: dict[tuple[V, V], float], values: Sequence[V]) -> None:
    """Add one unit's coincidences (nothing for a unit of fewer than two values)."""
    m = len(values)
    if m < 2:
        return
    counts: dict[V, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    for c, nc in counts.items():
        for k, nk in counts.items():
            pairs = nc * (nc - 1) if c == k else nc * nk
            if pairs:
                out[c, k] = out.get((c, k), 0.0) + pairs / (m - 1)


def alpha_array(o: np.ndarray) -> np.ndarray:
    """Nominal alpha of coincidence matrices ``o[..., c, k]``."""
    n_c = o.sum(axis=-1)
    n = n_c.sum(axis=-1)
    observed = n - np.trace(o, axis1=-2, axis2=-1)
    expected = n**2 - (n_c**2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((n > 1) & (expected > 0), 1 - (n - 1) * observed / expected, np.nan)


def cohen_array(table: np.ndarray) -> np.ndarray:
    """Cohen's kappa of contingency tables ``table[..., first coder's value, second's]``."""
    n = table.sum(axis=(-2, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.trace(table, axis1=-2, axis2=-1) / n
        chance = (table.sum(axis=-1) * table.sum(axis=-2)).sum(axis=-1) / n**2
        return np.where((n > 0) & (chance < 1), (observed - chance) / (1 - chance), np.nan)


def fleiss_array(
    units: np.ndarray, sumsq: np.ndarray, totals: np.ndarray, raters: int
) -> np.ndarray:
    """Fleiss' kappa from unit counts, sums of squared counts and totals ``[..., category]``."""
    r = float(raters)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = (sumsq - units * r) / (units * r * (r - 1))
        p = totals / (units * r)[..., None]
        chance = (p**2).sum(axis=-1)
        ok = (units > 0) & (r > 1) & (chance < 1)
        return np.where(ok, (observed - chance) / (1 - chance), np.nan)


def _index(categories: Iterable[Hashable]) -> dict[Hashable, int]:
    return {c: i for i, c in enumerate(dict.fromkeys(categories))}


def _scalar(x: np.ndarray) -> float | None:
    value = float(x)
    return None if np.isnan(value) else value


def alpha(o: Mapping[tuple[V, V], float]) -> float | None:
    """Nominal alpha of a coincidence matrix given as a dict, or None when undefined."""
    index = _index(c for pair in o for c in pair)
    matrix = np.zeros((len(index), len(index)))
    for (c, k), w in o.items():
        matrix[index[c], index[k]] += w
    return _scalar(alpha_array(matrix))


def cohen(table: Mapping[tuple[V, V], float]) -> float | None:
    """Cohen's kappa of a contingency table given as a dict, or None when undefined."""
    index = _index(c for pair in table for c in pair)
    matrix = np.zeros((len(index), len(index)))
    for (a, b), w in table.items():
        matrix[index[a], index[b]] += w
    return _scalar(cohen_array(matrix))


def fleiss(counts: Iterable[Mapping[V, int]]) -> float | None:
    """Fleiss' kappa of units given as category counts (every unit the same number of raters)."""
    rows = list(counts)
    raters = {sum(row.values()) for row in rows}
    if len(raters) != 1:
        return None if not rows else _raise_raters(raters)
    index = _index(c for row in rows for c in row)
    totals = np.zeros(len(index))
    sumsq = 0
    for row in rows:
        for c, n in row.items():
            totals[index[c]] += n
            sumsq += n * n
    return _scalar(fleiss_array(np.array(float(len(rows))), np.array(float(sumsq)), totals,
                                raters.pop()))  # fmt: skip


def _raise_raters(raters: set[int]) -> float | None:
    raise ValueError(
        f"Fleiss' kappa needs the same number of raters per unit, not {sorted(raters)}"
    )
