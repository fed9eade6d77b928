"""Project agreement figures, summed from stored per-task parts, with bootstrap intervals.

The stored parts
----------------
A task's :class:`~lsplug.agreement.parts.TaskParts` is kept as its *additive form*,
:func:`flatten`: a flat mapping of keys (tuples, JSON arrays when stored) to numbers, such
that a project's (or any subset's) :data:`Totals` is the key-wise sum of its tasks' forms.
Saving, changing or deleting a completion recomputes that task's form; the store subtracts
the old form from the sums it keeps and adds the new one (``add(totals, form, -1)``), so no
figure ever needs a rescan. The keys (``a < b`` annotators, ``c``/``k`` values, None for
"marked nothing here", ``r`` raters, ``L`` a label):

================================  ================================================================
``("tasks",)``                    1 per task
``("score",)``, ``("scored",)``   the task's mean pairwise score; 1 if it has one
``("pair", a, b, f)``             ``f`` = ``score`` (the pair's score), ``scored`` (1 if it has
                                  one), ``units``, ``agreed``
``("cohen", a, b, c, k)``         Cohen's contingency count: units where a gave c and b gave k
``("label", L, f)``               ``f`` = ``marked`` (marks of L, both sides of every pair),
                                  ``agreed`` (pairs where both carry L), ``tasks`` (1)
``("alpha", c, k)``               Krippendorff's coincidence ``o[c, k]`` of the task's units
``("alpha_tasks",)``              1 if the task has a unit of two raters or more
``("fleiss", r, f)``              over tasks of ``r`` raters: ``units``, ``sumsq`` (sum of the
                                  squared per-unit category counts), ``tasks``
``("fleiss", r, "total", c)``     the number of values c over the task's units
``("unmatched",)``, ``("unknown",)``  marks left alone; results no matcher reads
================================  ================================================================

Every project figure is a function of a few of these sums: the mean task score
``score / scored``; per pair ``score / scored`` and Cohen's kappa of its table; per
annotator the pair sums of every pair they are in; per label the Dice ratio ``2 * agreed /
marked``; Krippendorff's alpha of the coincidences; Fleiss' kappa of the ``fleiss`` sums of
the most common number of raters (it needs one number of raters per unit). Each figure
comes with the number of tasks it rests on.

Intervals
---------
A 95% interval is the 2.5 and 97.5 percentiles of the figure over ``replicates`` bootstrap
resamples (seeded) of *groups*: the sums of each group's tasks. With one group per task this
is the textbook bootstrap over tasks. For a large project the store keeps the sums of
:data:`BUCKETS` groups (``task_id % BUCKETS``, :func:`bucket_of`): resampling them is the
bootstrap of a cluster sample of tasks, whose spread matches the task bootstrap's up to the
Monte Carlo error of about ``1 / sqrt(2 * BUCKETS)`` (2%), and costs milliseconds instead of a
pass over every task. A project of at most ``BUCKETS`` tasks numbered from 0 or 1 has one
task per bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lsplug.agreement.coefficients import alpha_array, cohen_array, fleiss_array
from lsplug.agreement.parts import TaskParts

Key = tuple[Any, ...]
Totals = dict[Key, float]
BUCKETS = 1024
REPLICATES = 1000
Evaluate = Callable[[np.ndarray], np.ndarray]


def bucket_of(task_id: int, buckets: int = BUCKETS) -> int:
    """The bootstrap group a task's parts are summed into."""
    return task_id % buckets


def flatten(parts: TaskParts) -> Totals:
    """The additive form of a task's parts (see the module's docstring for the keys)."""
    out: Totals = {("tasks",): 1}
    if parts.score is not None:
        out["score",], out["scored",] = parts.score, 1
    for (a, b), pair in parts.pairs.items():
        if pair.score is not None:
            out["pair", a, b, "score"], out["pair", a, b, "scored"] = pair.score, 1
        out["pair", a, b, "units"], out["pair", a, b, "agreed"] = pair.units, pair.agreed
        for (c, k), n in pair.table.items():
            out["cohen", a, b, c, k] = n
    for label, (marked, agreed) in parts.labels.items():
        out["label", label, "marked"], out["label", label, "agreed"] = marked, agreed
        out["label", label, "tasks"] = 1
    for (c, k), w in parts.coincidence.items():
        out["alpha", c, k] = w
    if parts.coincidence:
        out["alpha_tasks",] = 1
    _flatten_fleiss(parts, out)
    out["unmatched",], out["unknown",] = parts.unmatched, parts.unknown
    return out


def _flatten_fleiss(parts: TaskParts, out: Totals) -> None:
    if not parts.units:
        return
    r = parts.raters
    out["fleiss", r, "units"], out["fleiss", r, "sumsq"] = parts.units, parts.sumsq
    out["fleiss", r, "tasks"] = 1
    for c, n in parts.totals.items():
        out["fleiss", r, "total", c] = n


def add(totals: Totals, form: Mapping[Key, float], sign: int = 1) -> Totals:
    """Add (``sign=-1``: take away) one form or sum into ``totals``; returns ``totals``."""
    for key, value in form.items():
        totals[key] = totals.get(key, 0) + sign * value
    return totals


def to_json(form: Mapping[Key, float]) -> list[list[Any]]:
    """A form or a sum as JSON: ``[[*key, value], ...]``."""
    return [[*key, value] for key, value in form.items()]


def from_json(rows: Iterable[Sequence[Any]]) -> Totals:
    """A form or a sum read back from :func:`to_json`."""
    return {tuple(row[:-1]): row[-1] for row in rows}


def total(groups: Iterable[Mapping[Key, float]]) -> Totals:
    """The sum of several groups' (or tasks') forms."""
    out: Totals = {}
    for group in groups:
        add(out, group)
    return out


@dataclass(frozen=True)
class Figure:
    """A figure, its 95% bootstrap interval, and the number of tasks it rests on."""

    value: float | None
    low: float | None
    high: float | None
    tasks: int

    def as_json(self) -> dict[str, Any]:
        """The figure as the API shows it."""
        return {"value": self.value, "low": self.low, "high": self.high, "tasks": self.tasks}


class Bootstrap:
    """Resamples of groups, drawn once and shared by every figure of one answer."""

    def __init__(self, groups: Sequence[Mapping[Key, float]], replicates: int = REPLICATES,
                 seed: int = 0, summed: Totals | None = None) -> None:  # fmt: skip
        """Draw ``replicates`` resamples of ``groups``; ``summed`` is their sum if known
        (the project sums the store keeps), else it is added up here."""
        self.groups = groups
        self.total = summed if summed is not None else total(groups)
        n = len(groups)
        rng = np.random.default_rng(seed)
        picks = rng.integers(0, n, size=(replicates, n)) if n > 1 else np.zeros((0, n), int)
        offsets = np.arange(len(picks))[:, None] * n
        counts = np.bincount((picks + offsets).ravel(), minlength=len(picks) * n)
        self.weights = counts.reshape(len(picks), n).astype(float)

    def figure(self, keys: Sequence[Key], evaluate: Evaluate, tasks: float) -> Figure:
        """``evaluate`` (of sums of ``keys``, one row per resample) with its interval."""
        if not keys:
            return Figure(None, None, None, int(tasks))
        point = _finite(evaluate(np.array([[self.total.get(k, 0.0) for k in keys]]))[0])
        if not len(self.weights) or point is None:
            return Figure(point, None, None, int(tasks))
        rows = np.array([[g.get(k, 0.0) for k in keys] for g in self.groups]).reshape(-1, len(keys))
        values = evaluate(self.weights @ rows)
        values = values[np.isfinite(values)]
        if not values.size:
            return Figure(point, None, None, int(tasks))
        low, high = np.percentile(values, [2.5, 97.5])
        return Figure(point, float(low), float(high), int(tasks))


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _ratio(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x[:, 1] > 0, x[:, 0] / x[:, 1], np.nan)


def _dice(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x[:, 0] > 0, 2 * x[:, 1] / x[:, 0], np.nan)


def _square(
    keys: Callable[[Any, Any], Key], values: list[Any], f: Evaluate
) -> tuple[list[Key], Evaluate]:
    """Keys of a values x values matrix, and ``f`` of it reshaped."""
    n = len(values)
    return [keys(c, k) for c in values for k in values], lambda x: f(x.reshape(-1, n, n))


def _values(totals: Totals, head: tuple[Any, ...]) -> list[Any]:
    """The values (categories) found at the end of keys starting with ``head``."""
    width = len(head) + 2
    found = {k[-2] for k in totals if len(k) == width and k[: len(head)] == head}
    found |= {k[-1] for k in totals if len(k) == width and k[: len(head)] == head}
    return sorted(found, key=lambda v: (v is not None, str(v)))


def project_figures(boot: Bootstrap) -> dict[str, Any]:
    """Mean task score, Krippendorff's alpha and Fleiss' kappa of the whole project."""
    t = boot.total
    out: dict[str, Any] = {
        "score": boot.figure([("score",), ("scored",)], _ratio, t.get(("scored",), 0)),
        "alpha": alpha_figure(boot),
        "fleiss": fleiss_figure(boot),
        "tasks": int(t.get(("tasks",), 0)),
        "unmatched": int(t.get(("unmatched",), 0)),
        "unknown": int(t.get(("unknown",), 0)),
    }
    return out


def alpha_figure(boot: Bootstrap) -> Figure:
    """Nominal Krippendorff's alpha over every unit of the project."""
    cats = _values(boot.total, ("alpha",))
    keys, evaluate = _square(lambda c, k: ("alpha", c, k), cats, alpha_array)
    return boot.figure(keys, evaluate, boot.total.get(("alpha_tasks",), 0))


def fleiss_raters(totals: Totals) -> int | None:
    """The number of raters of most tasks with units (Fleiss' kappa is computed over those)."""
    tasks = {k[1]: v for k, v in totals.items() if k[0] == "fleiss" and k[2:] == ("tasks",)}
    tasks = {r: n for r, n in tasks.items() if n > 0}
    return max(tasks, key=lambda r: (tasks[r], r)) if tasks else None


def fleiss_figure(boot: Bootstrap) -> Figure:
    """Fleiss' kappa over the tasks with the most common number of raters."""
    r = fleiss_raters(boot.total)
    if r is None:
        return Figure(None, None, None, 0)
    cats = sorted({k[3] for k in boot.total if k[:3] == ("fleiss", r, "total")},
                  key=lambda v: (v is not None, str(v)))  # fmt: skip
    keys = [("fleiss", r, "units"), ("fleiss", r, "sumsq")] + [
        ("fleiss", r, "total", c) for c in cats
    ]

    def evaluate(x: np.ndarray) -> np.ndarray:
        return fleiss_array(x[:, 0], x[:, 1], x[:, 2:], r)

    return boot.figure(keys, evaluate, boot.total.get(("fleiss", r, "tasks"), 0))


def label_figures(boot: Bootstrap) -> dict[str, Figure]:
    """Per label: how often a mark of it is matched by the same label (Dice ratio)."""
    out = {}
    for label in sorted({k[1] for k in boot.total if k[0] == "label"}):
        keys = [("label", label, "marked"), ("label", label, "agreed")]
        out[label] = boot.figure(keys, _dice, boot.total.get(("label", label, "tasks"), 0))
    return out


def pairs_of(totals: Totals) -> list[tuple[str, str]]:
    """Every annotator pair of the sums."""
    return sorted({(k[1], k[2]) for k in totals if k[0] == "pair"})


def pair_figures(boot: Bootstrap) -> dict[tuple[str, str], dict[str, Figure]]:
    """Per annotator pair: the mean of their task scores, and Cohen's kappa."""
    out = {}
    for a, b in pairs_of(boot.total):
        tasks = boot.total.get(("pair", a, b, "scored"), 0)
        scores = [("pair", a, b, "score"), ("pair", a, b, "scored")]
        out[a, b] = {
            "score": boot.figure(scores, _ratio, tasks),
            "kappa": boot.figure(*_cohen_keys(boot.total, a, b), tasks),
        }
    return out


def _cohen_keys(totals: Totals, a: str, b: str) -> tuple[list[Key], Evaluate]:
    cats = _values(totals, ("cohen", a, b))
    return _square(lambda c, k: ("cohen", a, b, c, k), cats, cohen_array)


def annotator_figures(boot: Bootstrap) -> dict[str, Figure]:
    """Per annotator: the mean score of their task pairs with every other annotator."""
    pairs = pairs_of(boot.total)
    keys = [("pair", a, b, f) for a, b in pairs for f in ("score", "scored")]
    out = {}
    for person in sorted({p for pair in pairs for p in pair}):
        mine = [i for i, k in enumerate(keys) if person in k[1:3]]
        tasks = sum(boot.total.get(keys[i], 0) for i in mine if keys[i][3] == "scored")
        out[person] = boot.figure(keys, _sums_of(mine), tasks)
    return out


def _sums_of(columns: list[int]) -> Evaluate:
    """The ratio of the summed (score, scored) columns among ``columns``."""
    scores, counts = columns[0::2], columns[1::2]
    return lambda x: _ratio(np.stack([x[:, scores].sum(1), x[:, counts].sum(1)], 1))
