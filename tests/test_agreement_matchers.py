"""The bundled agreement matchers: pairing by overlap, independent of order, at the threshold."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest
import shapely

from lsplug.export import rle
from lsplug.hooks import AgreementMatcher, MatchOptions, MatchOutcome
from lsplug.plugins import load_plugins

Item = dict[str, Any]
OPTIONS = MatchOptions()
MATCHERS = load_plugins().matchers


def match(kind: str, left: list[Item], right: list[Item], **options: Any) -> MatchOutcome:
    """Match two result lists with the matcher registered for ``kind``."""
    matcher = MATCHERS.for_type(kind)
    assert isinstance(matcher, AgreementMatcher)
    opts = MatchOptions(**options)
    return matcher.match(matcher.prepare(left, opts), matcher.prepare(right, opts), opts)


def summary(outcome: MatchOutcome) -> tuple[Any, ...]:
    """What an outcome says, whatever the order of the results it came from."""
    pairs = sorted(
        (p.left.value, p.right.value, round(p.overlap, 12), round(p.score, 12))
        for p in outcome.pairs
    )
    return (
        pairs,
        sorted(m.value for m in outcome.left_only),
        sorted(m.value for m in outcome.right_only),
    )


def span(start: int, end: int, label: str = "PER", **extra: Any) -> Item:
    return {
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "labels": [label], **extra},
    }


def box(
    x: float,
    y: float,
    w: float,
    h: float,
    label: str = "A",
    rotation: float = 0,
    size: tuple[int, int] | None = (200, 100),
) -> Item:
    item: Item = {
        "from_name": "box",
        "to_name": "img",
        "type": "rectanglelabels",
        "value": {
            "x": x,
            "y": y,
            "width": w,
            "height": h,
            "rotation": rotation,
            "rectanglelabels": [label],
        },
    }
    if size:
        item["original_width"], item["original_height"] = size
    return item


def polygon(points: list[tuple[float, float]], label: str = "A") -> Item:
    return {
        "from_name": "poly",
        "to_name": "img",
        "type": "polygonlabels",
        "original_width": 100,
        "original_height": 100,
        "value": {"points": [list(p) for p in points], "polygonlabels": [label]},
    }


# --- spans ----------------------------------------------------------------------------------


def test_spans_pair_by_overlap_and_agree_by_label() -> None:
    out = match("labels", [span(0, 10), span(20, 30, "ORG")], [span(0, 8), span(22, 30, "PER")])
    assert summary(out) == ([("ORG", "PER", 0.8, 0.0), ("PER", "PER", 0.8, 0.8)], [], [])
    assert out.label_counts()["PER"] == (1, 2, 1)
    assert out.label_counts()["ORG"] == (1, 0, 0)


@pytest.mark.parametrize("seed", range(10))
def test_span_matching_does_not_depend_on_order(seed: int) -> None:
    rng = random.Random(seed)
    left = [span(s, s + rng.randint(1, 15), rng.choice("AB")) for s in rng.sample(range(100), 12)]
    right = [
        span(
            s["value"]["start"] + rng.randint(-3, 3),
            s["value"]["end"] + rng.randint(-3, 3),
            rng.choice("AB"),
        )
        for s in left
        if s["value"]["end"] - s["value"]["start"] > 6
    ]
    expected = summary(match("labels", left, right))
    for _ in range(5):
        rng.shuffle(left)
        rng.shuffle(right)
        assert summary(match("labels", left, right)) == expected


@pytest.mark.parametrize(
    ("end", "threshold", "pairs"),
    [
        (5, 0.5, True),  # overlap 5 / union 10 = 0.5: at the threshold counts
        (4, 0.5, False),  # 0.4 is below it
        (4, 0.4, True),
        (10, 1.0, True),  # identical spans at the strictest threshold
        (9, 1.0, False),
    ],
)
def test_span_threshold_edges(end: int, threshold: float, pairs: bool) -> None:
    out = match("labels", [span(0, 10)], [span(0, end)], threshold=threshold)
    assert bool(out.pairs) is pairs
    assert out.units == (1 if pairs else 2)


def test_touching_or_disjoint_spans_never_pair_even_at_threshold_zero() -> None:
    out = match("labels", [span(0, 10)], [span(10, 20)], threshold=0.0)
    assert not out.pairs and len(out.left_only) == len(out.right_only) == 1


def test_the_assignment_is_optimal_not_greedy() -> None:
    # Greedy by best overlap would pair L0-R1 (0.9) and leave L1 and R0 alone; the optimum
    # pairs L0-R0 and L1-R1, two agreeing pairs.
    left = [span(0, 10), span(9, 19)]
    right = [span(0, 6), span(1, 11), span(10, 19)]
    out = match("labels", left, right, threshold=0.5)
    assert len(out.pairs) == 2 and len(out.right_only) == 1


def test_label_agreement_wins_over_a_better_overlap() -> None:
    out = match("labels", [span(0, 10, "A")], [span(0, 10, "B"), span(1, 10, "A")])
    assert [(p.left.value, p.right.value) for p in out.pairs] == [("A", "A")]


def test_several_labels_on_a_span_score_their_jaccard_index() -> None:
    left = [{**span(0, 10), "value": {"start": 0, "end": 10, "labels": ["A", "B"]}}]
    out = match("labels", left, [span(0, 10, "A")])
    assert out.pairs[0].score == pytest.approx(0.5)
    assert not out.pairs[0].agree
    assert out.label_counts() == {"A": (1, 1, 1), "B": (1, 0, 0)}


def test_hypertext_spans_use_global_offsets_then_node_offsets() -> None:
    def ht(start: str, end: str, so: int, eo: int, offsets: tuple[int, int] | None) -> Item:
        value: Item = {
            "start": start,
            "end": end,
            "startOffset": so,
            "endOffset": eo,
            "hypertextlabels": ["P"],
        }
        if offsets:
            value["globalOffsets"] = {"start": offsets[0], "end": offsets[1]}
        return {"type": "hypertextlabels", "from_name": "h", "value": value}

    same_global = match(
        "hypertextlabels",
        [ht("/p[1]", "/p[2]", 0, 3, (0, 20))],
        [ht("/p[1]/b", "/p[2]", 0, 3, (2, 20))],
    )
    assert same_global.pairs[0].overlap == pytest.approx(0.9)
    one_node = match(
        "hypertextlabels",
        [ht("/p[1]", "/p[1]", 0, 10, None)],
        [ht("/p[1]", "/p[1]", 5, 10, None), ht("/p[2]", "/p[2]", 0, 10, None)],
    )
    assert summary(one_node)[0] == [("P", "P", 0.5, 0.5)]
    across = match(
        "hypertextlabels",
        [ht("/p[1]", "/p[2]", 1, 2, None)],
        [ht("/p[1]", "/p[2]", 1, 2, None), ht("/p[1]", "/p[2]", 1, 3, None)],
    )
    assert len(across.pairs) == 1 and across.pairs[0].overlap == 1.0


def test_paragraph_spans_compare_offsets_within_a_paragraph() -> None:
    def para(start: str, end: str, so: int, eo: int) -> Item:
        return {
            "type": "paragraphlabels",
            "from_name": "p",
            "value": {
                "start": start,
                "end": end,
                "startOffset": so,
                "endOffset": eo,
                "paragraphlabels": ["Q"],
            },
        }

    out = match(
        "paragraphlabels",
        [para("0", "0", 0, 20), para("1", "1", 0, 10)],
        [para("0", "0", 0, 10), para("2", "2", 0, 10)],
    )
    assert summary(out) == ([("Q", "Q", 0.5, 0.5)], ["Q"], ["Q"])


def test_audio_regions_in_seconds_per_channel() -> None:
    left = [
        span(0, 0, "S1") | {"value": {"start": 0.5, "end": 2.5, "channel": 0, "labels": ["S1"]}}
    ]
    right = [
        {
            "type": "labels",
            "from_name": "label",
            "value": {"start": 1.0, "end": 2.5, "channel": 0, "labels": ["S1"]},
        },
        {
            "type": "labels",
            "from_name": "label",
            "value": {"start": 0.5, "end": 2.5, "channel": 1, "labels": ["S1"]},
        },
    ]
    out = match("labels", left, right)
    assert [round(p.overlap, 9) for p in out.pairs] == [0.75]


def test_time_series_regions_with_dates_and_instants() -> None:
    def ts(start: Any, end: Any, instant: bool = False) -> Item:
        return {
            "type": "timeserieslabels",
            "from_name": "t",
            "value": {"start": start, "end": end, "instant": instant, "timeserieslabels": ["Run"]},
        }

    out = match(
        "timeserieslabels",
        [ts("2024-01-01 00:00:00", "2024-01-01 00:00:10"), ts(5, 5, True)],
        [ts("2024-01-01T00:00:05+00:00", "2024-01-01 00:00:10"), ts(5, 5, True)],
    )
    assert sorted(round(p.overlap, 9) for p in out.pairs) == [0.5, 1.0]


# --- boxes, polygons, ellipses ---------------------------------------------------------------


def test_upright_boxes_by_intersection_over_union() -> None:
    out = match("rectanglelabels", [box(0, 0, 50, 50)], [box(0, 25, 50, 50)], threshold=0.3)
    assert out.pairs[0].overlap == pytest.approx(1 / 3)


def iou(a: Any, b: Any) -> float:
    return float(a.intersection(b).area / a.union(b).area)


def turned_box(
    x: float, y: float, w: float, h: float, degrees: float, size: tuple[int, int]
) -> Any:
    """The reference: the box in pixels turned about its top-left corner, with shapely."""
    px, py, pw, ph = x * size[0] / 100, y * size[1] / 100, w * size[0] / 100, h * size[1] / 100
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    corners = [
        (px + dx * c - dy * s, py + dx * s + dy * c)
        for dx, dy in ((0, 0), (pw, 0), (pw, ph), (0, ph))
    ]
    return shapely.Polygon(corners)


@pytest.mark.parametrize("seed", range(8))
def test_rotated_boxes_match_shapely_in_pixels(seed: int) -> None:
    rng = random.Random(seed)
    size = (rng.randint(100, 2000), rng.randint(100, 2000))
    a = (
        rng.uniform(20, 40),
        rng.uniform(20, 40),
        rng.uniform(10, 30),
        rng.uniform(10, 30),
        rng.uniform(-90, 90),
    )
    b = (
        a[0] + rng.uniform(-3, 3),
        a[1] + rng.uniform(-3, 3),
        a[2],
        a[3],
        a[4] + rng.uniform(-15, 15),
    )
    out = match(
        "rectanglelabels",
        [box(*a[:4], rotation=a[4], size=size)],
        [box(*b[:4], rotation=b[4], size=size)],
        threshold=0.01,
    )
    expected = iou(turned_box(*a, size), turned_box(*b, size))
    assert out.pairs[0].overlap == pytest.approx(expected, abs=1e-9)


def test_rotation_is_in_pixels_not_percent() -> None:
    # A box turned by 90 degrees on a wide image is not the same region as it is in percent.
    turned = match(
        "rectanglelabels",
        [box(50, 10, 10, 40, rotation=90, size=(400, 100))],
        [box(10, 10, 40, 10, size=(400, 100))],
        threshold=0.0,
    )
    expected = iou(
        turned_box(50, 10, 10, 40, 90, (400, 100)), turned_box(10, 10, 40, 10, 0, (400, 100))
    )
    assert (turned.pairs[0].overlap if turned.pairs else 0.0) == pytest.approx(expected, abs=1e-9)


def test_a_full_turn_is_upright_and_a_box_without_size_is_in_percent() -> None:
    out = match(
        "rectanglelabels",
        [box(10, 10, 20, 20, rotation=360, size=None)],
        [box(10, 10, 20, 20, size=None)],
    )
    assert out.pairs[0].overlap == 1.0


POLYGONS = [
    [(0, 0), (40, 0), (40, 40), (0, 40)],
    [(0, 0), (40, 0), (40, 10), (10, 10), (10, 40), (0, 40)],  # concave: an L
    [(5, 5), (30, 2), (35, 30), (20, 38), (2, 25)],
    [(20, 0), (40, 20), (20, 40), (0, 20)],
]


@pytest.mark.parametrize("a", range(len(POLYGONS)))
@pytest.mark.parametrize("b", range(len(POLYGONS)))
def test_polygons_match_shapely(a: int, b: int) -> None:
    out = match("polygonlabels", [polygon(POLYGONS[a])], [polygon(POLYGONS[b])], threshold=0.01)
    expected = iou(shapely.Polygon(POLYGONS[a]), shapely.Polygon(POLYGONS[b]))
    got = out.pairs[0].overlap if out.pairs else 0.0
    assert got == pytest.approx(expected if expected >= 0.01 else 0.0, abs=1e-9)


def test_a_polygon_and_a_box_of_one_control_compare() -> None:
    square = {**box(0, 0, 40, 40, size=(100, 100)), "type": "rectangle", "from_name": "poly"}
    out = match("polygonlabels", [polygon(POLYGONS[3])], [square], threshold=0.1)
    assert out.pairs[0].overlap == pytest.approx(
        iou(shapely.Polygon(POLYGONS[3]), shapely.box(0, 0, 40, 40))
    )


def test_a_crossed_polygon_is_repaired_and_one_without_area_is_left_alone() -> None:
    bow_tie = polygon([(0, 0), (40, 40), (40, 0), (0, 40)])
    flat = polygon([(0, 0), (10, 10), (20, 20)])
    lobe = [(20, 20), (40, 0), (40, 40)]  # the right half of the bow tie
    out = match("polygonlabels", [bow_tie, flat], [polygon(lobe)], threshold=0.1)
    assert [round(p.overlap, 9) for p in out.pairs] == [0.5]
    assert len(out.left_only) == 1


def ellipse(x: float, y: float, rx: float, ry: float, rotation: float = 0) -> Item:
    return {
        "type": "ellipselabels",
        "from_name": "e",
        "original_width": 100,
        "original_height": 100,
        "value": {
            "x": x,
            "y": y,
            "radiusX": rx,
            "radiusY": ry,
            "rotation": rotation,
            "ellipselabels": ["C"],
        },
    }


def test_ellipses_close_to_their_exact_overlap() -> None:
    # concentric circles of radius 10 and 8: IoU = 64 / 100
    out = match("ellipselabels", [ellipse(50, 50, 10, 10)], [ellipse(50, 50, 8, 8)])
    assert out.pairs[0].overlap == pytest.approx(0.64, abs=0.002)
    turned = match("ellipselabels", [ellipse(50, 50, 20, 5, 90)], [ellipse(50, 50, 5, 20)])
    assert turned.pairs[0].overlap == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_box_matching_does_not_depend_on_order(seed: int) -> None:
    rng = random.Random(seed)
    left = [
        box(
            rng.uniform(0, 80),
            rng.uniform(0, 80),
            rng.uniform(5, 20),
            rng.uniform(5, 20),
            rng.choice("AB"),
            rng.choice([0, 0, 15]),
        )
        for _ in range(12)
    ]
    right = [
        box(
            b["value"]["x"] + rng.uniform(-3, 3),
            b["value"]["y"] + rng.uniform(-3, 3),
            b["value"]["width"],
            b["value"]["height"],
            rng.choice("AB"),
        )
        for b in left
    ]
    expected = summary(match("rectanglelabels", left, right))
    for _ in range(4):
        rng.shuffle(left)
        rng.shuffle(right)
        assert summary(match("rectanglelabels", left, right)) == expected


# --- brush masks ----------------------------------------------------------------------------


def brush(mask: np.ndarray, label: str = "A", colour: tuple[int, int, int] = (255, 0, 0)) -> Item:
    h, w = mask.shape
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[mask] = (*colour, 255)
    return {
        "type": "brushlabels",
        "from_name": "m",
        "original_width": w,
        "original_height": h,
        "value": {"format": "rle", "rle": rle.encode(rgba.tobytes()), "brushlabels": [label]},
    }


def test_brush_rle_round_trips_through_the_editors_packing() -> None:
    from lsplug.agreement.matchers import masks

    rng = np.random.default_rng(0)
    for _ in range(5):
        words = rng.integers(0, 256, rng.integers(1, 3000)).astype(np.uint8)
        words[rng.random(words.size) < 0.7] = 0  # runs as well as literals
        packed = rle.encode(words.tobytes())
        assert masks.decode(packed).tobytes() == words.tobytes() == rle.decode(packed)


def test_brush_masks_by_pixel_intersection_over_union() -> None:
    a = np.zeros((40, 60), bool)
    a[10:30, 10:30] = True
    b = np.zeros((40, 60), bool)
    b[10:30, 20:40] = True
    out = match("brushlabels", [brush(a)], [brush(b, colour=(0, 0, 255))], threshold=0.3)
    assert out.pairs[0].overlap == pytest.approx(200 / 600)


def test_brush_masks_that_do_not_decode_are_left_alone() -> None:
    a = np.zeros((4, 4), bool)
    a[1:3, 1:3] = True
    broken = brush(a)
    broken["value"]["rle"] = broken["value"]["rle"][:5]
    wrong_size = brush(a) | {"original_width": 5}
    out = match("brushlabels", [brush(a)], [broken, wrong_size])
    assert not out.pairs and len(out.right_only) == 2


# --- key points, text areas, choices, values ------------------------------------------------


def point(x: float, y: float, size: tuple[int, int] | None = (1000, 500)) -> Item:
    item: Item = {
        "type": "keypointlabels",
        "from_name": "k",
        "value": {"x": x, "y": y, "width": 1, "keypointlabels": ["Eye"]},
    }
    if size:
        item["original_width"], item["original_height"] = size
    return item


def test_key_points_within_a_share_of_the_diagonal() -> None:
    diagonal = math.hypot(1000, 500)
    step = 0.05 * diagonal / 1000 * 100  # percent of the width that is 5% of the diagonal
    at_limit = match("keypointlabels", [point(10, 10)], [point(10 + step * 0.999, 10)])
    assert at_limit.pairs and at_limit.pairs[0].overlap == pytest.approx(0.5, abs=1e-3)
    beyond = match("keypointlabels", [point(10, 10)], [point(10 + step * 1.01, 10)])
    assert not beyond.pairs
    wider = match("keypointlabels", [point(10, 10)], [point(10 + step * 1.01, 10)], distance=0.1)
    assert wider.pairs
    same = match("keypointlabels", [point(10, 10, None)], [point(10, 10, None)])
    assert same.pairs[0].overlap == 1.0


def textarea(*lines: str) -> Item:
    return {"type": "textarea", "from_name": "t", "value": {"text": list(lines)}}


def test_text_areas_by_normalised_edit_distance() -> None:
    out = match("textarea", [textarea("hello world ")], [textarea("hello word")])
    assert out.pairs[0].score == pytest.approx(1 - 1 / 11)
    assert not out.pairs[0].agree
    assert match("textarea", [textarea("a", "b")], [textarea(" a", "b ")]).pairs[0].agree
    assert out.label_counts() == {}


def choices(*values: str, kind: str = "choices") -> Item:
    return {"type": kind, "from_name": "c", "value": {kind: list(values)}}


def test_choices_score_their_jaccard_index_and_agree_when_equal() -> None:
    assert match("choices", [choices("a")], [choices("a")]).pairs[0][2:] == (1.0, 1.0)
    multi = match("choices", [choices("a", "b")], [choices("b", "c")])
    assert multi.pairs[0].score == pytest.approx(1 / 3) and not multi.pairs[0].agree
    assert multi.label_counts()["b"] == (1, 1, 1)
    assert match("choices", [choices("b", "a")], [choices("a", "b")]).pairs[0].agree


def test_an_answer_against_none_is_left_alone() -> None:
    out = match("choices", [choices("a")], [])
    assert not out.pairs and [m.value for m in out.left_only] == ["a"]


def test_taxonomy_paths_and_equal_values() -> None:
    tax = {"type": "taxonomy", "from_name": "t", "value": {"taxonomy": [["A", "B"], ["C"]]}}
    same = {"type": "taxonomy", "from_name": "t", "value": {"taxonomy": [["C"], ["A", "B"]]}}
    assert match("taxonomy", [tax], [same]).pairs[0].agree
    rating = {"type": "rating", "from_name": "r", "value": {"rating": 3}}
    assert match("rating", [rating], [{**rating, "value": {"rating": 3.0}}]).pairs[0].agree
    assert (
        not match(
            "number",
            [{"type": "number", "value": {"number": 2}}],
            [{"type": "number", "value": {"number": 2.5}}],
        )
        .pairs[0]
        .agree
    )


@pytest.mark.parametrize("kind", sorted(MATCHERS.by_type))
@pytest.mark.parametrize(
    "junk",
    [
        {},
        {"value": None},
        {"value": {}},
        {"value": "x"},
        {"value": {"start": "a", "end": None, "x": "y"}},
        "not a dict",
    ],
)
def test_malformed_results_are_left_alone_never_an_error(kind: str, junk: Any) -> None:
    item = {"type": kind, "from_name": "f", **junk} if isinstance(junk, dict) else junk
    out = match(kind, [item], [item])
    assert out.units >= 1 or kind in {"choices", "taxonomy", "rating", "number", "datetime"}
