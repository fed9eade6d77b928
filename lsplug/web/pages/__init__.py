"""The HTML pages: one module a page, the shared layout plugins can use, and their set-up.

A plugin adds a page through ``lsplug_routes`` and draws it inside the shared layout with
:func:`render_page` (its own template, which ``{% extends LAYOUT %}``; the plugin adds its
template folder with :func:`add_template_dir` from ``lsplug_startup``) or, without a
template, with :func:`layout_page` and a piece of HTML. :func:`setup_pages`
(:mod:`.routes`) mounts the templates, the pages' routes, the static files and the security
headers (:mod:`.headers`) on the app.
"""

from __future__ import annotations

from lsplug.web.pages.layout import LAYOUT, add_template_dir, layout_page, render_page
from lsplug.web.pages.routes import setup_pages

__all__ = ["LAYOUT", "add_template_dir", "layout_page", "render_page", "setup_pages"]
