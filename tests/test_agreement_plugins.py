"""The agreement matcher hook family: bundled matchers by entry point, third parties, clashes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lsplug.agreement.parts import task_parts
from lsplug.config import from_dict
from lsplug.hooks import AgreementMatcher, Mark, MatchedPair, MatchOptions, MatchOutcome, hookimpl
from lsplug.plugins import PluginError, load_plugins
from lsplug.web import keys
from lsplug.web.app import create_app


def rank_match(left: Any, right: Any, options: MatchOptions) -> MatchOutcome:
    """A third party's matcher for ``ranker`` results: the same order agrees."""
    a = Mark(0, "/".join(left[0]["value"]["ranker"]), ()) if left else None
    b = Mark(0, "/".join(right[0]["value"]["ranker"]), ()) if right else None
    if a and b:
        return MatchOutcome((MatchedPair(a, b, 1.0, float(a.value == b.value)),))
    return MatchOutcome((), (a,) if a else (), (b,) if b else ())


RANKER = AgreementMatcher(name="ranker", types=("ranker",), match=rank_match)


class RankerPlugin:
    """A test plugin adding a matcher for a tag the core has none for."""

    __name__ = "ranker_plugin"

    @hookimpl
    def lsplug_agreement_matchers(self) -> list[AgreementMatcher]:
        return [RANKER]


def plugin(name: str, *matchers: AgreementMatcher) -> Any:
    class Plugin:
        __name__ = name

        @hookimpl
        def lsplug_agreement_matchers(self) -> list[AgreementMatcher]:
            return list(matchers)

    return Plugin()


def test_bundled_matchers_come_through_entry_points_like_a_third_partys() -> None:
    owners = load_plugins().matchers.owners
    assert owners == {
        "choices": "agreement_choices",
        "taxonomy": "agreement_choices",
        "values": "agreement_values",
        "spans": "agreement_spans",
        "shapes": "agreement_shapes",
        "brush": "agreement_brush",
        "keypoints": "agreement_keypoints",
        "textarea": "agreement_textarea",
    }


def test_every_bundled_matcher_module_imports_only_the_plugin_api() -> None:
    import ast

    folder = Path(__file__).parents[1] / "lsplug" / "agreement" / "matchers"
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lsplug"):
                assert node.module.startswith(("lsplug.hooks", "lsplug.agreement.matchers")), path


def ranked(*order: str) -> dict[str, Any]:
    return {"type": "ranker", "from_name": "rank", "value": {"ranker": list(order)}}


def test_a_third_party_matcher_scores_its_own_result_type() -> None:
    plugins = load_plugins(extra_plugins=[RankerPlugin()])
    assert plugins.matchers.for_type("ranker") is RANKER
    assert plugins.matchers.owners["ranker"] == "ranker_plugin"
    parts = task_parts(
        [("a", [ranked("x", "y")]), ("b", [ranked("x", "y")]), ("c", [ranked("y", "x")])],
        plugins.matchers.for_type,
        MatchOptions(),
    )
    assert parts.unknown == 0
    assert parts.score == pytest.approx(1 / 3)


def test_without_the_plugin_its_results_are_unknown_not_an_error() -> None:
    plugins = load_plugins()
    parts = task_parts(
        [("a", [ranked("x")]), ("b", [ranked("x")])], plugins.matchers.for_type, MatchOptions()
    )
    assert parts.unknown == 2 and parts.score is None and parts.pairs["a", "b"].units == 0


async def test_a_third_party_matcher_through_create_app(tmp_path: Path) -> None:
    config = from_dict(
        {
            "data_dir": str(tmp_path / "data"),
            "label_config": '<View><Text name="t" value="$text"/></View>',
        }
    )
    app = create_app(config, extra_plugins=[RankerPlugin()])
    assert app[keys.PLUGINS].matchers.for_type("ranker") is RANKER
    described = {p["name"]: p for p in app[keys.PLUGINS].describe()}
    assert described["ranker_plugin"]["agreement_matchers"] == ["ranker"]
    assert described["agreement_spans"]["agreement_matchers"] == ["spans"]


def test_two_matchers_claiming_one_result_type_stop_the_start() -> None:
    mine = AgreementMatcher(name="my_spans", types=("hypertextlabels",), match=rank_match)
    with pytest.raises(
        PluginError,
        match="'hypertextlabels' is claimed by two agreement matchers: "
        "'spans' of 'agreement_spans' and 'my_spans' of 'my_plugin'",
    ):
        load_plugins(extra_plugins=[plugin("my_plugin", mine)])


def test_two_third_parties_claiming_one_type_are_both_named() -> None:
    first = plugin("first", AgreementMatcher(name="r1", types=("ranker",), match=rank_match))
    second = plugin("second", AgreementMatcher(name="r2", types=("ranker",), match=rank_match))
    with pytest.raises(PluginError, match="'r1' of 'first' and 'r2' of 'second'"):
        load_plugins(extra_plugins=[first, second])


def test_a_matcher_name_registered_twice_is_refused() -> None:
    again = plugin("again", AgreementMatcher(name="spans", types=("ranker",), match=rank_match))
    with pytest.raises(PluginError, match="'spans' is registered by two plugins"):
        load_plugins(extra_plugins=[again])


def test_replacing_a_bundled_matcher_after_disabling_it() -> None:
    mine = AgreementMatcher(name="my_text", types=("textarea",), match=rank_match)
    plugins = load_plugins(disabled=["agreement_textarea"], extra_plugins=[plugin("mine", mine)])
    assert plugins.matchers.for_type("textarea") is mine


def test_a_hook_returning_something_else_is_refused() -> None:
    with pytest.raises(PluginError, match="returned str, expected AgreementMatcher"):
        load_plugins(extra_plugins=[plugin("odd", "spans")])  # type: ignore[arg-type]


def test_a_failing_third_party_matcher_counts_its_results_as_unknown() -> None:
    def boom(left: Any, right: Any, options: MatchOptions) -> MatchOutcome:
        raise RuntimeError("boom")

    plugins = load_plugins(extra_plugins=[plugin("boom", AgreementMatcher("b", ("ranker",), boom))])
    parts = task_parts(
        [("a", [ranked("x")]), ("b", [ranked("x")])], plugins.matchers.for_type, MatchOptions()
    )
    assert parts.unknown == 2 and parts.pairs["a", "b"].units == 0


def test_lsplug_plugins_lists_the_agreement_matchers(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "lsplug", "plugins"], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "agreement_spans  (lsplug" in result.stdout
    assert "agreement matchers: spans" in result.stdout
    assert "agreement matchers: choices, taxonomy" in result.stdout
