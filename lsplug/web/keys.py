"""Every piece of app state, under typed keys (no module globals)."""

from __future__ import annotations

from aiohttp import web

from lsplug.config import Config
from lsplug.plugins import Plugins
from lsplug.service.jobs import Jobs
from lsplug.service.ml import Models
from lsplug.service.project import Project
from lsplug.store.base import Store

CONFIG = web.AppKey("config", Config)
PLUGINS = web.AppKey("plugins", Plugins)
STORE = web.AppKey("store", Store)
PROJECT = web.AppKey("project", Project)
JOBS = web.AppKey("jobs", Jobs)
MODELS = web.AppKey("models", Models)
