"""The owner check of the views that change a project as a whole: they ask
:mod:`lsplug.service.roles` about the caller and the request's project."""

from __future__ import annotations

from aiohttp import web

from lsplug.service import roles
from lsplug.web.access import basic_account, caller_of, current_of
from lsplug.web.keys import ACCOUNTS, PROJECTS


async def require_owner(request: web.Request, what: str) -> None:
    """403 (JSON naming the rule) unless the caller owns the request's project."""
    caller, opened = caller_of(request), current_of(request)
    sign_in = basic_account(request) is not None or await request.app[ACCOUNTS].sign_in_required()
    default = request.app[PROJECTS].default
    await roles.require_owner(
        opened.project.store,
        opened.project.id,
        roles.Asker(caller.user, caller.admin),
        what,
        sign_in=sign_in,
        default=default is not None and default.project.id == opened.project.id,
    )
