"""Who may change a project as a whole: its owners.

Storage settings, model connections, deleting every task or completion, the label config,
the project's settings and its members are project-wide changes: only an owner makes
them. Labeling (next task, completions) is for every member.

Who is an owner:
- everyone, when nobody can sign in (no person and no ``auth`` account: the server then
  listens on localhost only);
- the config file's ``auth`` account (basic auth, Label Studio 0.8's admin);
- a member whose role is ``owner`` (whoever creates a project becomes one);
- on the default project, which every signed-in person may open: its ``owner`` members,
  and while it has none, the first person created (the lowest user id).
"""

from __future__ import annotations

from dataclasses import dataclass

from lsplug.config import Config
from lsplug.errors import Forbidden
from lsplug.store import Store, UserRow

OWNER_RULE = (
    "an owner of the project: a member with the role owner (on the default project, while "
    "it has none, the first person created), or the config file's auth account"
)


@dataclass(frozen=True)
class Asker:
    """Who asks, as the roles need to know it."""

    user: UserRow | None
    admin: bool  # the config file's auth account


def sign_in_off(config: Config, people: int) -> bool:
    """Whether nobody can sign in: no ``auth`` account and no person (``people``)."""
    auth = config.auth or {}
    return not (auth.get("username") and auth.get("password")) and people == 0


async def internal_addresses_ok(config: Config, store: Store) -> bool:
    """Whether what people set through the API may reach internal addresses (model
    servers): only while nobody can sign in and the server listens on localhost only."""
    remote = bool((config.auth or {}).get("allow_anonymous_remote"))
    return not remote and sign_in_off(config, await store.count_users())


async def is_owner(
    store: Store, project_id: int, asker: Asker, *, sign_in: bool, default: bool
) -> bool:
    """Whether ``asker`` owns the project (``sign_in``: someone can sign in; ``default``:
    the project is the default one)."""
    if not sign_in or asker.admin:
        return True
    if asker.user is None:
        return False
    if await store.member_role(project_id, asker.user.id) == "owner":
        return True
    if not default or await store.has_owner(project_id):
        return False
    return await store.first_user_id() == asker.user.id


async def require_owner(
    store: Store, project_id: int, asker: Asker, what: str, *, sign_in: bool, default: bool
) -> None:
    """403 naming the rule unless ``asker`` owns the project; ``what`` names the change."""
    if not await is_owner(store, project_id, asker, sign_in=sign_in, default=default):
        raise Forbidden(f"{what} needs {OWNER_RULE}", rule="owner")


async def add_member(store: Store, project_id: int, asker: Asker, user: UserRow, role: str) -> None:
    """Make ``user`` a member with ``role`` (``asker`` owns the project). On a project
    with no owner member yet, ``asker`` (the first person created) becomes one first, so
    that naming another owner never takes the project from them."""
    if asker.user is not None and not await store.has_owner(project_id):
        await store.set_member(project_id, asker.user.id, "owner")
    await store.set_member(project_id, user.id, role)
