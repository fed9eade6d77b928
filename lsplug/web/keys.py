"""Every piece of app state, under typed keys (no module globals)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from lsplug.config import Config
from lsplug.plugins import Plugins
from lsplug.service.auth import Accounts
from lsplug.service.jobs import Jobs
from lsplug.service.ml import Models
from lsplug.service.project import Project
from lsplug.service.projects import OpenProject, Projects
from lsplug.store import Store, UserRow


@dataclass(frozen=True)
class Caller:
    """Who sent a request: a signed-in person (and how), or nobody when sign-in is off."""

    user: UserRow | None = None
    via: str = "anonymous"  # "session", "token", "basic" or "anonymous"
    admin: bool = False  # the --username/--password account of the config file


@dataclass(frozen=True)
class ClientId:
    """An anonymous client's lease identity from its signed cookie; ``new`` when this
    request brought no valid cookie (the id is then set in the response)."""

    value: str
    new: bool


CONFIG = web.AppKey("config", Config)
PLUGINS = web.AppKey("plugins", Plugins)
STORE = web.AppKey("store", Store)
PROJECT = web.AppKey("project", Project)
JOBS = web.AppKey("jobs", Jobs)
MODELS = web.AppKey("models", Models)
PROJECTS = web.AppKey("projects", Projects)
ACCOUNTS = web.AppKey("accounts", Accounts)
CALLER = web.RequestKey("caller", Caller)
CURRENT = web.RequestKey("current_project", OpenProject)
CLIENT = web.RequestKey("client", ClientId)
