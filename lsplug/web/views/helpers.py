"""Helper routes: health, version, example tasks, background jobs."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

import orjson
from aiohttp import web

import lsplug
from lsplug import labelconfig
from lsplug.errors import BadInput, NotFound
from lsplug.web.access import jobs_of, project_of
from lsplug.web.keys import PLUGINS, STORE
from lsplug.web.requests import FORM_TYPES, form_fields, json_body

routes = web.RouteTableDef()
EDITOR_VERSION = "1.4.0"


@routes.get("/api/health")
async def health(request: web.Request) -> web.Response:
    """``{"status": "up"}`` when the server and its store answer."""
    project = project_of(request)
    await request.app[STORE].get_project(project.id)
    return web.json_response({"status": "up"})


@routes.get("/version")
async def version(request: web.Request) -> web.Response:
    """The versions of lsplug, the API it speaks, the editor and each plugin."""
    plugins = {p["name"]: p["version"] for p in request.app[PLUGINS].describe()}
    return web.json_response({
        "lsplug": lsplug.__version__,
        "label-studio-backend": lsplug.LABEL_STUDIO_BACKEND_API,
        "label-studio-frontend": EDITOR_VERSION,
        "plugins": plugins,
    })  # fmt: skip


async def _config_of(request: web.Request) -> labelconfig.LabelConfig:
    """The label config given in the query or body, else the project's."""
    xml = request.query.get("label_config")
    if xml is None and request.method == "POST" and request.can_read_body:
        if request.content_type in FORM_TYPES:
            value = (await form_fields(request)).get("label_config")
            xml = value if isinstance(value, str) else None
        else:
            body = await json_body(request, default={})
            xml = body.get("label_config") if isinstance(body, dict) else None
    if xml is None:
        return project_of(request).label_config
    return await asyncio.to_thread(project_of(request).check_label_config, xml)


@routes.get("/api/import-example")
@routes.post("/api/import-example")
async def import_example(request: web.Request) -> web.Response:
    """One example task's data for a label config."""
    return web.json_response(labelconfig.example_data(await _config_of(request)))


@routes.get("/api/import-example/timeseries.csv")
async def timeseries_example(request: web.Request) -> web.Response:
    """A small CSV for a ``TimeSeries`` example: ``?columns=time,a,b`` (time first)."""
    columns = [c for c in request.query.get("columns", "time,value").split(",") if c][:20]
    if len(columns) < 2:
        columns = [*columns, "value"] if columns else ["time", "value"]
    return web.Response(text=labelconfig.timeseries_csv(columns), content_type="text/csv")


def _example_file(kind: str, data: dict[str, Any]) -> tuple[bytes, str]:
    if kind == "json":
        return orjson.dumps([data, data], option=orjson.OPT_INDENT_2), "application/json"
    if kind in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.DictWriter(
            out, fieldnames=list(data), delimiter="," if kind == "csv" else "\t"
        )
        writer.writeheader()
        writer.writerows(
            [{k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in data.items()}]
            * 2
        )
        return out.getvalue().encode(), f"text/{'csv' if kind == 'csv' else 'tab-separated-values'}"
    if kind == "txt":
        if len(data) != 1:
            raise BadInput(
                "a .txt file suits configs that read one key; this one reads " + ", ".join(data)
            )
        line = str(next(iter(data.values()))) + "\n"
        return (line * 2).encode(), "text/plain"
    raise BadInput(f"q: {kind!r} is not one of json, csv, tsv, txt")


@routes.get("/api/import-example-file")
async def import_example_file(request: web.Request) -> web.Response:
    """An example import file for the project's config, as an attachment."""
    kind = request.query.get("q", "json")
    body, ctype = _example_file(kind, labelconfig.example_data(project_of(request).label_config))
    headers = {"Content-Disposition": f'attachment; filename="example.{kind}"'}
    return web.Response(body=body, content_type=ctype, headers=headers)


@routes.get("/api/jobs")
async def list_jobs(request: web.Request) -> web.Response:
    """Background jobs (sync, sink backfill) of every server process with their progress,
    newest first."""
    kind = request.query.get("kind")
    return web.json_response([j.as_json() for j in await jobs_of(request).list(kind)])


@routes.get("/api/jobs/{job_id}")
async def get_job(request: web.Request) -> web.Response:
    """One background job."""
    job = await jobs_of(request).get(int_param_from(request.match_info["job_id"]))
    if job is None:
        raise NotFound(f"job {request.match_info['job_id']} not found")
    return web.json_response(job.as_json())


def int_param_from(value: str) -> int:
    """An id from the path; 404 when it is not a number (no such job)."""
    try:
        number = int(value)
    except ValueError:
        raise NotFound(f"job {value} not found") from None
    if not -(2**63) <= number < 2**63:  # no store id is that large: unknown, not a crash
        raise NotFound(f"job {value} not found")
    return number
