"""Per-task parts and project figures: summed from parts, equal to the reference libraries."""

from __future__ import annotations

import json
import random
from typing import Any

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from lsplug.agreement import figures
from lsplug.agreement.parts import TaskParts, task_parts
from lsplug.hooks import MatchOptions
from lsplug.plugins import load_plugins

MATCHERS = load_plugins().matchers.for_type
OPTIONS = MatchOptions()
NONE = 0  # the reference libraries' code for "gave no answer" / "marked nothing there"


def choice(value: int) -> dict[str, Any]:
    return {
        "type": "choices",
        "from_name": "c",
        "to_name": "t",
        "value": {"choices": [f"c{value}"]},
    }


def span(slot: int, label: int) -> dict[str, Any]:
    return {
        "type": "labels",
        "from_name": "ner",
        "to_name": "t",
        "value": {"start": slot * 10, "end": slot * 10 + 5, "labels": [f"L{label}"]},
    }


def parts_of(rows: np.ndarray, item: Any) -> list[TaskParts]:
    """Tasks (columns of ``rows``: raters x tasks x slots, 0 = nothing) through task_parts."""
    out = []
    for t in range(rows.shape[1]):
        completions = [
            (f"ann{r}", [item(s, int(v)) for s, v in enumerate(rows[r, t]) if v])
            for r in range(rows.shape[0])
        ]
        out.append(task_parts(completions, MATCHERS, OPTIONS))
    return out


def boot(parts: list[TaskParts], replicates: int = 200, seed: int = 0) -> figures.Bootstrap:
    return figures.Bootstrap([figures.flatten(p) for p in parts], replicates, seed)


@pytest.mark.parametrize("seed", range(8))
def test_classification_alpha_fleiss_and_cohen_equal_the_reference_libraries(seed: int) -> None:
    rng = np.random.default_rng(seed)
    raters, tasks = int(rng.integers(2, 5)), int(rng.integers(20, 80))
    truth = rng.integers(1, 5, tasks)
    rows = np.where(rng.random((raters, tasks)) < 0.7, truth, rng.integers(0, 5, (raters, tasks)))
    b = boot(parts_of(rows[:, :, None], lambda s, v: choice(v)))
    assert figures.alpha_figure(b).value == pytest.approx(
        krippendorff.alpha(reliability_data=rows, level_of_measurement="nominal"), abs=1e-9
    )
    answered = rows[:, (rows > 0).any(axis=0)]  # a task nobody answered has no unit
    table, _ = aggregate_raters(answered.T)
    assert figures.fleiss_figure(b).value == pytest.approx(fleiss_kappa(table), abs=1e-9)
    pairs = figures.pair_figures(b)
    for i in range(raters):
        for j in range(i + 1, raters):
            both = (rows[i] > 0) | (rows[j] > 0)
            expected = cohen_kappa_score(rows[i][both], rows[j][both])
            assert pairs[f"ann{i}", f"ann{j}"]["kappa"].value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_span_alpha_on_matched_units_equals_krippendorff(seed: int) -> None:
    # Each task has slots (disjoint spans); a rater labels a slot or leaves it: a unit per slot
    # that someone labeled, whose values are the labels or "nothing" (0).
    rng = np.random.default_rng(seed)
    raters, tasks, slots = int(rng.integers(2, 5)), int(rng.integers(10, 40)), 6
    truth = rng.integers(0, 4, (tasks, slots))
    rows = np.where(
        rng.random((raters, tasks, slots)) < 0.75, truth, rng.integers(0, 4, (raters, tasks, slots))
    )
    parts = parts_of(rows, span)
    units = rows.reshape(raters, -1)
    units = units[:, (units > 0).any(axis=0)]
    b = boot(parts)
    expected = krippendorff.alpha(reliability_data=units, level_of_measurement="nominal")
    assert figures.alpha_figure(b).value == pytest.approx(expected, abs=1e-9)
    table, _ = aggregate_raters(units.T)
    assert figures.fleiss_figure(b).value == pytest.approx(fleiss_kappa(table), abs=1e-9)


def test_three_raters_join_into_one_unit_per_region() -> None:
    near = {"type": "labels", "from_name": "ner", "value": {"start": 0, "end": 9, "labels": ["A"]}}
    parts = task_parts([("a", [span(0, 1)]), ("b", [near]), ("c", [span(0, 2)])], MATCHERS, OPTIONS)
    assert parts.units == 1 and parts.totals == {"L1": 1, "A": 1, "L2": 1}
    assert parts.coincidence[("L1", "A")] == pytest.approx(0.5)


def test_a_task_score_is_the_mean_of_its_pairs() -> None:
    parts = task_parts(
        [("b", [choice(1)]), ("a", [choice(1)]), ("c", [choice(2)])], MATCHERS, OPTIONS
    )
    assert {k: p.score for k, p in parts.pairs.items()} == {
        ("a", "b"): 1.0,
        ("a", "c"): 0.0,
        ("b", "c"): 0.0,
    }
    assert parts.score == pytest.approx(1 / 3)
    assert task_parts([("a", [choice(1)])], MATCHERS, OPTIONS).score is None
    assert task_parts([("a", []), ("b", [])], MATCHERS, OPTIONS).score == 1.0


def test_unknown_results_are_counted_never_an_error() -> None:
    relation = {"type": "relation", "from_id": "x", "to_id": "y"}
    parts = task_parts(
        [("a", [relation, choice(1), "junk"]), ("b", [choice(1)])],  # type: ignore[list-item]
        MATCHERS,
        OPTIONS,
    )
    assert parts.unknown == 2 and parts.score == 1.0


def test_project_figures_come_from_summed_parts_not_a_rescan() -> None:
    rng = np.random.default_rng(5)
    rows = rng.integers(1, 4, (3, 50))
    parts = parts_of(rows[:, :, None], lambda s, v: choice(v))
    forms = [figures.flatten(p) for p in parts]
    whole = figures.total(forms)
    buckets: list[figures.Totals] = [{} for _ in range(7)]
    for task_id, form in enumerate(forms):
        figures.add(buckets[figures.bucket_of(task_id, 7)], form)
    assert figures.total(buckets) == pytest.approx(whole)
    # a completion changes: take the task's old form away, add its new one
    changed = figures.add(figures.add(dict(whole), forms[3], -1), forms[4])
    expected = figures.total(forms[:3] + forms[4:] + [forms[4]])
    assert {k: v for k, v in changed.items() if v} == pytest.approx(
        {k: v for k, v in expected.items() if v}
    )


def test_a_stored_form_reads_back_the_same() -> None:
    parts = task_parts([("a", [span(0, 1), choice(2)]), ("b", [span(0, 1)])], MATCHERS, OPTIONS)
    form = figures.flatten(parts)
    assert figures.from_json(json.loads(json.dumps(figures.to_json(form)))) == form


def test_bootstrap_intervals_are_seeded_and_hold_the_figure() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(1, 4, 200)
    rows = np.where(rng.random((3, 200)) < 0.8, truth, rng.integers(1, 4, (3, 200)))
    parts = parts_of(rows[:, :, None], lambda s, v: choice(v))
    first = figures.project_figures(boot(parts, 500, seed=3))
    again = figures.project_figures(boot(parts, 500, seed=3))
    other = figures.project_figures(boot(parts, 500, seed=4))
    assert first == again and first["alpha"] != other["alpha"]
    for name in ("score", "alpha", "fleiss"):
        fig = first[name]
        assert fig.low < fig.value < fig.high and fig.tasks == 200
        assert fig.high - fig.low < 0.25


def test_bootstrap_interval_matches_a_direct_resampling_of_tasks() -> None:
    rng = np.random.default_rng(2)
    scores = rng.random(60)
    forms = [{("score",): s, ("scored",): 1} for s in scores]
    fig = figures.Bootstrap(forms, 2000, seed=0).figure(
        [("score",), ("scored",)], figures._ratio, 60
    )
    means = [rng.choice(scores, 60).mean() for _ in range(4000)]
    low, high = np.percentile(means, [2.5, 97.5])
    assert fig.value == pytest.approx(scores.mean())
    assert fig.low == pytest.approx(low, abs=0.02) and fig.high == pytest.approx(high, abs=0.02)


def test_per_label_pair_and_annotator_figures() -> None:
    tasks = [
        [("a", [span(0, 1), span(1, 2)]), ("b", [span(0, 1), span(1, 1)])],
        [("a", [span(0, 1)]), ("b", [span(0, 1)]), ("c", [])],
    ]
    b = boot([task_parts(t, MATCHERS, OPTIONS) for t in tasks])
    labels = figures.label_figures(b)
    # L1 marks: 3 in task 1 (one pair agreeing), 4 in task 2 (a-b agree; c has nothing)
    assert labels["L1"].value == pytest.approx(2 * 2 / 7) and labels["L1"].tasks == 2
    assert labels["L2"].value == 0.0
    pairs = figures.pair_figures(b)
    assert pairs["a", "b"]["score"].value == pytest.approx((0.5 + 1.0) / 2)
    assert pairs["a", "c"]["score"].value == 0.0 and pairs["a", "c"]["score"].tasks == 1
    people = figures.annotator_figures(b)
    assert people["a"].value == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert people["c"].value == 0.0 and people["c"].tasks == 2


def test_fleiss_uses_the_most_common_number_of_raters() -> None:
    two = task_parts([("a", [choice(1)]), ("b", [choice(1)])], MATCHERS, OPTIONS)
    three = [
        task_parts([("a", [choice(v)]), ("b", [choice(1)]), ("c", [choice(2)])], MATCHERS, OPTIONS)
        for v in (1, 2)
    ]
    b = boot([two, *three])
    assert figures.fleiss_raters(b.total) == 3
    table, _ = aggregate_raters(np.array([[1, 1, 2], [2, 1, 2]]))
    assert figures.fleiss_figure(b).value == pytest.approx(fleiss_kappa(table), abs=1e-12)
    assert figures.fleiss_figure(b).tasks == 2


def test_no_tasks_no_figures() -> None:
    out = figures.project_figures(figures.Bootstrap([]))
    assert out["alpha"] == figures.Figure(None, None, None, 0) and out["tasks"] == 0


def test_order_of_completions_and_regions_does_not_change_the_parts() -> None:
    rng = random.Random(0)
    completions = [
        (f"p{i}", [span(s, rng.randint(1, 3)) for s in range(6) if rng.random() < 0.8])
        for i in range(3)
    ]
    expected = figures.flatten(task_parts(completions, MATCHERS, OPTIONS))
    for _ in range(5):
        shuffled = [(name, rng.sample(result, len(result))) for name, result in completions]
        rng.shuffle(shuffled)
        assert figures.flatten(task_parts(shuffled, MATCHERS, OPTIONS)) == pytest.approx(expected)
