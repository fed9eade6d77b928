"""The seams between the core's parts, read from the imports: plugins import only the plugin
API (`lsplug.hooks`), and no module of the core imports, even late, one that imports it back."""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator
from pathlib import Path

import pytest

import lsplug.hooks
from lsplug.hooks import buckets
from lsplug.importer import formats

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_PACKAGES = sorted(
    [p.parent for p in (ROOT / "plugins").glob("*/lsplug_*/__init__.py")]
    + [ROOT / "examples" / "lsplug-export-example" / "lsplug_export_example"]
)


def imported(path: Path) -> Iterator[str]:
    """Every module name an import of ``path`` names (``from a import b`` names a and a.b),
    imports under ``if TYPE_CHECKING:`` left out: they are not run."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for sub in node.body
        for n in ast.walk(sub)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("package", PLUGIN_PACKAGES, ids=lambda p: p.name)
def test_bundled_plugins_import_only_the_plugin_api(package: Path) -> None:
    leaks = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted(package.rglob("*.py"))
        for name in imported(path)
        if name.startswith("lsplug.") and not name.startswith("lsplug.hooks")
    ]
    assert leaks == []


def test_no_import_circle_among_the_core_modules() -> None:
    files = {module_name(p): p for p in sorted((ROOT / "lsplug").rglob("*.py"))}
    graph = {
        module: {name for name in imported(path) if name in files and name != module}
        for module, path in files.items()
    }
    graphlib.TopologicalSorter(graph).prepare()  # CycleError naming the circle


@pytest.mark.parametrize(
    ("name", "implementation"),
    [
        ("read_tasks", formats.read_tasks),
        ("SUPPORTED_EXTENSIONS", formats.SUPPORTED_EXTENSIONS),
        ("FormatError", formats.FormatError),
        ("key_filter", buckets.key_filter),
        ("media_key", buckets.media_key),
        ("MEDIA_ITEM", buckets.MEDIA_ITEM),
    ],
)
def test_the_plugin_api_exports_what_sources_use(name: str, implementation: object) -> None:
    assert name in lsplug.hooks.__all__
    assert getattr(lsplug.hooks, name) is implementation
