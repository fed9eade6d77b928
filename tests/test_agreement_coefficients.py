"""Krippendorff's alpha, Cohen's and Fleiss' kappa: published examples and reference libraries."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from lsplug.agreement.coefficients import alpha, cohen, coincidences, fleiss

# Krippendorff's reliability-data example: 4 coders, 12 units, nominal, "-" missing.
KRIPPENDORFF = """
1 2 3 3 2 1 4 1 2 - - -
1 2 3 3 2 2 4 1 2 5 - 3
- 3 3 3 2 3 4 2 2 5 1 -
1 2 3 3 2 4 4 1 2 5 1 -
"""

# Fleiss (1971): 30 patients, 6 psychiatrists each, 5 diagnoses (the diagnosis per rater).
FLEISS_1971 = """
4 4 4 4 4 4|2 2 2 5 5 5|2 3 3 3 3 5|5 5 5 5 5 5|2 2 2 4 4 4|1 1 3 3 3 3|3 3 3 3 5 5|1 1 3 3 3 4
1 1 4 4 4 4|5 5 5 5 5 5|1 4 4 4 4 4|1 2 4 4 4 4|2 2 2 3 3 3|1 4 4 4 4 4|2 2 4 4 4 5|3 3 3 3 3 5
1 1 1 4 5 5|1 1 1 1 1 2|2 2 4 4 4 4|1 3 3 5 5 5|5 5 5 5 5 5|2 4 4 4 4 4|2 2 4 5 5 5|1 1 4 4 4 4
1 4 4 4 4 5|2 2 2 2 2 4|1 1 1 1 5 5|2 2 4 4 4 4|1 3 3 3 3 3|5 5 5 5 5 5
"""

# The worked example of Fleiss' kappa in Wikipedia: 10 subjects, 14 raters, 5 categories.
WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def units_of(rows: list[list[float]]) -> list[list[float]]:
    """Columns of a coders x units matrix, without the missing (nan) values."""
    return [[v for v in col if not math.isnan(v)] for col in zip(*rows, strict=True)]


def counts_of(table: list[list[int]]) -> list[dict[int, int]]:
    return [{c: n for c, n in enumerate(row) if n} for row in table]


def test_krippendorff_reliability_data_example() -> None:
    rows = [
        [math.nan if v == "-" else float(v) for v in line.split()]
        for line in KRIPPENDORFF.strip().splitlines()
    ]
    assert alpha(coincidences(units_of(rows))) == pytest.approx(0.743421052631579, abs=1e-12)


def test_fleiss_1971_table() -> None:
    diagnoses = [
        [int(v) for v in p.split()] for p in FLEISS_1971.replace("\n", "|").split("|") if p
    ]
    assert len(diagnoses) == 30
    counts = [{d: row.count(d) for d in set(row)} for row in diagnoses]
    assert round(fleiss(counts), 3) == 0.430  # type: ignore[arg-type]
    table, _ = aggregate_raters(np.array(diagnoses))
    assert fleiss(counts) == pytest.approx(fleiss_kappa(table), abs=1e-12)


def test_fleiss_wikipedia_worked_example() -> None:
    assert round(fleiss(counts_of(WIKIPEDIA)), 3) == 0.210  # type: ignore[arg-type]
    assert fleiss(counts_of(WIKIPEDIA)) == pytest.approx(0.20993070442195522, abs=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_alpha_equals_krippendorff_on_random_data_with_missing_values(seed: int) -> None:
    rng = np.random.default_rng(seed)
    coders, units = rng.integers(2, 7), rng.integers(5, 60)
    data = rng.integers(1, rng.integers(2, 6) + 1, size=(coders, units)).astype(float)
    data[rng.random(data.shape) < rng.uniform(0, 0.4)] = np.nan
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert alpha(coincidences(units_of(data.tolist()))) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_cohen_equals_sklearn_on_random_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = rng.integers(5, 200), rng.integers(2, 6)
    a = rng.integers(0, k, n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, k, n))
    table: dict[tuple[int, int], float] = {}
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        table[x, y] = table.get((x, y), 0) + 1
    assert cohen(table) == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)


@pytest.mark.parametrize("seed", range(20))
def test_fleiss_equals_statsmodels_on_random_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    subjects, raters, k = rng.integers(3, 80), rng.integers(2, 9), rng.integers(2, 6)
    table = rng.multinomial(raters, rng.dirichlet(np.ones(k)), size=subjects)
    if (table.sum(axis=0) == table.sum()).any():
        pytest.skip("one category only: kappa undefined")
    assert fleiss(counts_of(table.tolist())) == pytest.approx(fleiss_kappa(table), abs=1e-9)


def test_undefined_coefficients_are_none() -> None:
    assert alpha(coincidences([["a", "a"], ["a", "a", "a"]])) is None  # one value only
    assert alpha({}) is None
    assert cohen({("x", "x"): 3}) is None
    assert fleiss([{"x": 3}, {"x": 3}]) is None


def test_fleiss_refuses_units_with_different_numbers_of_raters() -> None:
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss([{"x": 3}, {"x": 2}])
