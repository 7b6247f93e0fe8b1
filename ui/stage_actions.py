"""Администрирование → amoCRM → Действия при смене этапа (administrators only).

The page reads the pipelines and their stages from amoCRM each time it opens (through
:mod:`erp.amocrm.pipelines`; while amoCRM does not answer it shows the list read last and says why)
and shows one row per stage with a checkbox per action. Saving replaces the mapping
(:mod:`erp.amocrm.stage_actions`), which checks every stage against what amoCRM gave.
"""

from __future__ import annotations

import re

from litestar import Request, Response, Router, get, post
from litestar.response import Redirect

from erp.amocrm import pipelines as amo_pipelines
from erp.amocrm import stage_actions
from erp.api.security import allow
from erp.platform.errors import Conflict, ValidationError
from ui import context
from ui.i18n import gettext as _
from ui.render import render

BASE = "/admin/amocrm/stage-actions"
FIELD = re.compile(r"action-([0-9]{1,18})-([0-9]{1,18})")
NOTICES = {"saved": "Действия при смене этапа записаны"}


async def _page(request: Request, *, status: int = 200, notice: str = "", problem: str = "",
                chosen: set[tuple[int, int, str]] | None = None) -> Response:
    async with context.acquire(request) as conn:
        found = await amo_pipelines.read(conn, context.settings(request))
        mapped = await stage_actions.load(conn)
    if chosen is None:
        chosen = {(m.pipeline_id, m.status_id, a) for m in mapped for a in m.actions}
    gone = [m for m in mapped if found.stage(m.pipeline_id, m.status_id) is None]
    return render(request, "admin/stage_actions.html", status=status, section="admin", found=found, gone=gone,
                  chosen=chosen, actions=stage_actions.ACTIONS, problem=problem,
                  notice=_(NOTICES.get(notice, "")) if notice in NOTICES else "")


@get("/", name="ui_stage_actions")
async def stage_actions_page(request: Request, notice: str = "") -> Response:
    return await _page(request, notice=notice)


def parse(form: dict) -> set[tuple[int, int, str]]:
    """``action-{pipeline}-{status}`` fields, each with the actions ticked for that stage."""
    chosen = set()
    for key, value in form.items():
        match = FIELD.fullmatch(key)
        if match is None:
            continue
        for action in value if isinstance(value, list) else [value]:
            chosen.add((int(match.group(1)), int(match.group(2)), str(action)))
    return chosen


@post("/", name="ui_stage_actions_save")
async def save_stage_actions(request: Request) -> Response:
    chosen = parse(await context.form_data(request))
    try:
        await context.transaction(request, lambda conn: stage_actions.save(conn, chosen))
    except (ValidationError, Conflict) as exc:
        return await _page(request, status=exc.status, problem=_(exc.message), chosen=chosen)
    return Redirect(f"{BASE}?notice=saved", status_code=303)


ROUTES = [Router(BASE, route_handlers=[stage_actions_page, save_stage_actions], guards=[allow("admin")])]
