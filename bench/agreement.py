"""Agreement compute benchmark: matching and per-task parts, no store, no server.

The quality issue's target is a full rescoring of 1,000,000 tasks with 3 completions each
(NER spans and boxes mixed) in under 120 s on a 2-core machine, store included. This measures
the pure compute per task - grouping, matching every pair of completions, the task's parts
and their additive form (:func:`lsplug.agreement.figures.flatten`) - on generated tasks that
look like real work: 5 to 15 regions per completion, three annotators who mostly agree
(boundaries a little off, a region missed, a label changed, a region added now and then).
It also times the project figures with bootstrap intervals from 1,024 bucket sums.

    .venv/bin/python bench/agreement.py                 # 20,000 tasks per kind, 5 runs
    .venv/bin/python bench/agreement.py --tasks 5000 --runs 3

Prints a Markdown table: tasks/s as the median and range of the runs, by the wall clock and
by the process's CPU time (on a shared machine the CPU figure is the fairer one), and the
peak RSS of the process.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

from lsplug.agreement import figures
from lsplug.agreement.parts import task_parts
from lsplug.hooks import MatchOptions
from lsplug.plugins import load_plugins

Item = dict[str, Any]
LABELS = ("PER", "ORG", "LOC", "MISC")


def ner_task(rng: random.Random) -> list[tuple[str, list[Item]]]:
    """Three completions of a text with 5-15 entities."""
    spans, pos = [], 0
    for _ in range(rng.randint(5, 15)):
        pos += rng.randint(2, 40)
        length = rng.randint(3, 20)
        spans.append((pos, pos + length, rng.choice(LABELS)))
        pos += length
    return [(f"ann{a}", _ner_completion(rng, spans)) for a in range(3)]


def _ner_completion(rng: random.Random, spans: list[tuple[int, int, str]]) -> list[Item]:
    out = []
    for start, end, label in spans:
        if rng.random() < 0.08:
            continue
        if rng.random() < 0.25:
            start, end = start + rng.randint(-2, 2), end + rng.randint(-2, 2)
        if rng.random() < 0.08:
            label = rng.choice(LABELS)
        out.append(_span(start, max(end, start + 1), label))
    if rng.random() < 0.3:
        start = rng.randint(0, 600)
        out.append(_span(start, start + rng.randint(3, 12), rng.choice(LABELS)))
    rng.shuffle(out)
    return out


def _span(start: int, end: int, label: str) -> Item:
    return {"id": f"s{start}", "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": start, "end": end, "text": "x" * (end - start),
                      "labels": [label]}}  # fmt: skip


def box_task(rng: random.Random) -> list[tuple[str, list[Item]]]:
    """Three completions of an image with 5-15 boxes (one in 20 turned)."""
    boxes = []
    for _ in range(rng.randint(5, 15)):
        w, h = rng.uniform(3, 25), rng.uniform(3, 25)
        turn = rng.uniform(-30, 30) if rng.random() < 0.05 else 0.0
        boxes.append((rng.uniform(0, 100 - w), rng.uniform(0, 100 - h), w, h, turn,
                      rng.choice(LABELS)))  # fmt: skip
    return [(f"ann{a}", _box_completion(rng, boxes)) for a in range(3)]


def _box_completion(rng: random.Random, boxes: list[tuple[Any, ...]]) -> list[Item]:
    out = []
    for x, y, w, h, turn, label in boxes:
        if rng.random() < 0.08:
            continue
        if rng.random() < 0.08:
            label = rng.choice(LABELS)
        jitter = [rng.gauss(0, 0.6) for _ in range(4)]
        value = {"x": x + jitter[0], "y": y + jitter[1], "width": max(w + jitter[2], 0.5),
                 "height": max(h + jitter[3], 0.5), "rotation": turn,
                 "rectanglelabels": [label]}  # fmt: skip
        out.append({"id": "b", "from_name": "box", "to_name": "image", "type": "rectanglelabels",
                    "original_width": 1280, "original_height": 960, "value": value})  # fmt: skip
    rng.shuffle(out)
    return out


def mixed_task(rng: random.Random) -> list[tuple[str, list[Item]]]:
    """Half NER, half boxes."""
    return ner_task(rng) if rng.random() < 0.5 else box_task(rng)


def run(make: Callable[[random.Random], Any], n: int, seed: int) -> tuple[float, float]:
    """Tasks/s of computing the parts of ``n`` generated tasks (generation excluded), by the
    wall clock and by this process's CPU time (the fairer figure on a shared machine)."""
    rng = random.Random(seed)
    tasks = [make(rng) for _ in range(n)]
    gc.freeze()  # a rescoring streams its tasks: the collector should not rescan these ones
    matchers = load_plugins().matchers.for_type
    options = MatchOptions()
    wall, cpu = time.perf_counter(), time.process_time()
    for completions in tasks:
        figures.flatten(task_parts(completions, matchers, options))
    rates = n / (time.perf_counter() - wall), n / (time.process_time() - cpu)
    gc.unfreeze()
    return rates


def bench_figures(n: int) -> float:
    """Seconds to compute every project figure with intervals from 1,024 bucket sums."""
    rng = random.Random(7)
    matchers, options = load_plugins().matchers.for_type, MatchOptions()
    buckets: list[figures.Totals] = [{} for _ in range(figures.BUCKETS)]
    for task_id in range(n):
        form = figures.flatten(task_parts(mixed_task(rng), matchers, options))
        figures.add(buckets[figures.bucket_of(task_id)], form)
    started = time.perf_counter()
    boot = figures.Bootstrap(buckets)
    figures.project_figures(boot)
    figures.label_figures(boot)
    figures.pair_figures(boot)
    figures.annotator_figures(boot)
    return time.perf_counter() - started


def _spread(rates: list[float]) -> str:
    return f"{statistics.median(rates):,.0f} ({min(rates):,.0f} - {max(rates):,.0f})"


def main() -> None:
    """Run each kind of task several times and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(
        "| tasks (3 completions each) | wall tasks/s: median (range) "
        "| CPU tasks/s: median (range) | CPU s per 1,000,000 tasks, one core |"
    )
    print("|---|---|---|---|")
    for name, make in (("NER spans", ner_task), ("boxes", box_task), ("mixed", mixed_task)):
        runs = [run(make, args.tasks, seed) for seed in range(args.runs)]
        wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
        per_million = 1e6 / statistics.median(cpu)
        print(f"| {name} | {_spread(wall)} | {_spread(cpu)} | {per_million:,.0f} |")
    took = statistics.median(bench_figures(args.tasks) for _ in range(3))
    print(f"\nProject figures with 1,000 bootstrap resamples of {figures.BUCKETS} buckets "
          f"({args.tasks:,} mixed tasks): {took * 1000:,.0f} ms (median of 3)")  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak RSS of this process (tasks held in memory for timing): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
