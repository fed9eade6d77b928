"""The labeling editor's files, its URL, and the interfaces it is started with."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from lsplug.config import Config
from lsplug.errors import NotFound
from lsplug.web.keys import CONFIG

routes = web.RouteTableDef()
EDITOR_VERSION = "1.4.0"
BUNDLED = Path(__file__).resolve().parent.parent.parent / "static" / "editor" / EDITOR_VERSION
FILES = {("js", "main.js"), ("css", "main.css")}
MAPS = {("js", "main.js.map"), ("css", "main.css.map")}
BUTTONS = {"submit", "update", "skip"}
# The seed's interface names (an older editor) in terms of 1.4's.
OLD_INTERFACES: dict[str, tuple[str, ...]] = {
    "basic": ("topbar", "controls", "infobar", "annotations:menu", "annotations:add-new",
              "annotations:delete"),
    "submit": ("submit", "update"),
    "submit:skip": ("skip",),
    "submit:load": (),  # the next task always loads after a submit
    "submit:check-empty": (),  # checked by the page: see ``Interfaces.check_empty``
    "predictions:hide": (),  # removes the prediction interfaces: see ``editor_interfaces``
    "completions:menu": ("annotations:menu",),
    "completions:add-new": ("annotations:add-new",),
    "completions:delete": ("annotations:delete",),
}  # fmt: skip


@dataclass(frozen=True)
class Interfaces:
    """The editor's interfaces (1.4 names) and the page's own checks."""

    names: list[str]
    check_empty: bool


def editor_interfaces(configured: list[str]) -> Interfaces:
    """Map a configured interface list (old or new names) to 1.4's names."""
    names: list[str] = []
    for name in configured:
        for new in OLD_INTERFACES.get(name, (name,)):
            if new not in names:
                names.append(new)
    if "predictions:hide" in configured:
        names = [n for n in names if not n.startswith("predictions:")]
    if BUTTONS & set(names) and "topbar" not in names:
        names.append("topbar")  # 1.4 draws Submit, Update and Skip in the top bar
    return Interfaces(names, "submit:check-empty" in configured)


def build_dir(config: Config) -> Path:
    """The folder holding ``js/main.js`` and ``css/main.css`` (``editor.build_path``)."""
    if config.editor.build_path:
        return config.path(config.editor.build_path)
    return BUNDLED


def editor_tag(config: Config) -> str:
    """The versioned path segment of the editor's URLs; changes when the build changes."""
    if not config.editor.build_path:
        return EDITOR_VERSION
    main = build_dir(config) / "js" / "main.js"
    stamp = f"{main}:{main.stat().st_mtime_ns if main.exists() else 0}"
    return "custom-" + hashlib.sha1(stamp.encode()).hexdigest()[:12]


def editor_urls(config: Config) -> dict[str, str]:
    """The URLs of the editor's script and style sheet."""
    tag = editor_tag(config)
    return {"js": f"/editor/{tag}/js/main.js", "css": f"/editor/{tag}/css/main.css"}


@routes.get("/editor/{tag}/{kind}/{name}")
async def editor_file(request: web.Request) -> web.FileResponse:
    """The editor's files; source maps only with ``editor.debug``; cached for good."""
    config = request.app[CONFIG]
    kind, name = request.match_info["kind"], request.match_info["name"]
    allowed = FILES | MAPS if config.editor.debug else FILES
    path = build_dir(config) / kind / name
    if request.match_info["tag"] != editor_tag(config) or (kind, name) not in allowed:
        raise NotFound(f"no such editor file: {request.path}")
    if not path.is_file():
        raise NotFound(f"the editor is not installed at {path.parent.parent} (run make install)")
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return web.FileResponse(path, headers=headers)
