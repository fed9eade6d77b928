"""The HTML pages: jinja2 set-up, security headers, and the shared layout plugins can use.

A plugin adds a page through ``lsplug_routes`` and draws it inside the shared layout with
:func:`render_page` (its own template, which ``{% extends LAYOUT %}``; the plugin adds its
template folder with :func:`add_template_dir` from ``lsplug_startup``) or, without a
template, with :func:`layout_page` and a piece of HTML.
"""

from __future__ import annotations

from lsplug.web.pages.layout import (
    LAYOUT,
    add_template_dir,
    layout_page,
    render_page,
    setup_pages,
)

__all__ = ["LAYOUT", "add_template_dir", "layout_page", "render_page", "setup_pages"]
