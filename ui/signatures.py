"""Администрирование → Подписи и печати (Документы 2.0 "Подписи"): the stamp of
each organization and the facsimile of each user's signature, with who else
may print with it.

An administrator uploads, replaces and removes the images here and sees a
preview of the current one. Uploads are checked by :mod:`erp.printing.images`
(PNG or JPEG, at most 1 MB, really decodable); a refused file comes back as
the page with the message next to the field it was chosen in, and nothing
is stored.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect

from erp.api.security import allow
from erp.auth import service as users
from erp.platform import catalog_list
from erp.platform.errors import ErpError, ValidationError
from erp.printing import images
from ui import context
from ui.formdata import errors_from
from ui.i18n import gettext as _
from ui.render import render

BASE = "/admin/signatures"


def notice_text(key: str) -> str:
    return {"stamp_saved": _("Печать организации загружена"), "stamp_removed": _("Печать организации удалена"),
            "facsimile_saved": _("Факсимиле подписи загружено"), "facsimile_removed": _("Факсимиле подписи удалено"),
            "allowed_saved": _("Список пользователей факсимиле записан")}.get(key, "")


def position_title(position: str) -> str:
    return {"director": _("Руководитель"), "accountant": _("Бухгалтер")}.get(position, position)


async def _page(request: Request, *, status: int = 200, notice: str = "",
                errors: dict[str, dict[str, str]] | None = None, form: dict[str, Any] | None = None) -> Response:
    """The page; ``errors`` maps a form's key (``stamp-<org>``, ``facsimile``,
    ``allowed-<user>``) to its field errors."""
    organizations = context.registry(request).catalogs["organizations"]
    async with context.acquire(request) as conn:
        orgs = (await catalog_list.list_items(conn, organizations, deletion_mark=False, limit=200)).rows
        stamps = await images.list_stamps(conn)
        facsimiles = await images.list_facsimiles(conn)
        people = [dict(u) for u in await users.list_users(conn) if u["active"]]
    return render(request, "admin/signatures.html", status=status, section="admin", organizations=orgs,
                  stamps=stamps, facsimiles=facsimiles, people=people, names={u["id"]: u["username"] for u in people},
                  positions=[(p, position_title(p)) for p in images.POSITIONS], position_title=position_title,
                  errors=errors or {}, form=form or {"allowed": []}, notice=notice_text(notice),
                  max_kb=images.MAX_IMAGE_BYTES // 1024, base=BASE)


async def _content(value: Any) -> bytes:
    """The bytes of an uploaded file (nothing chosen, or not a file: empty)."""
    return await value.read() if isinstance(value, UploadFile) else b""


def _id(raw: Any, field: str, label: str) -> int:
    text = str(raw or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise ValidationError.field(field, _("выберите: %(what)s") % {"what": label})
    return int(text)


def _many(raw: Any) -> list[int]:
    values = raw if isinstance(raw, list) else [raw] if raw else []
    return [int(v) for v in values if str(v).isdigit()]


def _refused(exc: ErpError) -> dict[str, str]:
    fields = errors_from(exc.details).header
    return fields or {"file": _(exc.message)}


@get("/", name="ui_signatures")
async def signatures_page(request: Request, notice: str = "") -> Response:
    return await _page(request, notice=notice)


@get("/stamps/{organization_id:int}/image", name="ui_stamp_image")
async def stamp_image(request: Request, organization_id: int) -> Response:
    async with context.acquire(request) as conn:
        content_type, content = await images.stamp_image(conn, organization_id)
    return Response(content, media_type=content_type, headers={"Cache-Control": "no-store"})


@post("/stamps/{organization_id:int}", name="ui_stamp_upload")
async def upload_stamp(request: Request, organization_id: int) -> Response:
    data = await context.form_data(request)
    content = await _content(data.get("file"))
    try:
        async with context.acquire(request) as conn:
            await images.set_stamp(conn, organization_id, content, request.scope["user"].user_id)
    except ValidationError as exc:
        return await _page(request, status=exc.status, errors={f"stamp-{organization_id}": _refused(exc)})
    return Redirect(f"{BASE}?notice=stamp_saved", status_code=303)


@post("/stamps/{organization_id:int}/delete", name="ui_stamp_delete")
async def delete_stamp(request: Request, organization_id: int) -> Response:
    async with context.acquire(request) as conn:
        await images.delete_stamp(conn, organization_id)
    return Redirect(f"{BASE}?notice=stamp_removed", status_code=303)


@get("/facsimiles/{user_id:int}/image", name="ui_facsimile_image")
async def facsimile_image(request: Request, user_id: int) -> Response:
    async with context.acquire(request) as conn:
        content_type, content = await images.facsimile_image(conn, user_id)
    return Response(content, media_type=content_type, headers={"Cache-Control": "no-store"})


@post("/facsimiles", name="ui_facsimile_upload")
async def upload_facsimile(request: Request) -> Response:
    data = await context.form_data(request)
    form = {"user_id": str(data.get("user_id", "")), "organization_id": str(data.get("organization_id", "")),
            "position": str(data.get("position", "")), "allowed": _many(data.get("allowed_user_ids"))}
    try:
        user_id = _id(form["user_id"], "user_id", _("чья подпись"))
        organization_id = _id(form["organization_id"], "organization_id", _("организация"))
        content = await _content(data.get("file"))
        async with context.acquire(request) as conn:
            await images.set_facsimile(conn, user_id, organization_id=organization_id, position=form["position"],
                                       allowed_user_ids=form["allowed"], content=content,
                                       uploaded_by=request.scope["user"].user_id)
    except ValidationError as exc:
        return await _page(request, status=exc.status, errors={"facsimile": _refused(exc)}, form=form)
    return Redirect(f"{BASE}?notice=facsimile_saved", status_code=303)


@post("/facsimiles/{user_id:int}/allowed", name="ui_facsimile_allowed")
async def save_allowed(request: Request, user_id: int) -> Response:
    data = await context.form_data(request)
    try:
        async with context.acquire(request) as conn:
            await images.set_allowed_users(conn, user_id, _many(data.get("allowed_user_ids")))
    except ValidationError as exc:
        return await _page(request, status=exc.status, errors={f"allowed-{user_id}": _refused(exc)})
    return Redirect(f"{BASE}?notice=allowed_saved", status_code=303)


@post("/facsimiles/{user_id:int}/delete", name="ui_facsimile_delete")
async def delete_facsimile(request: Request, user_id: int) -> Response:
    async with context.acquire(request) as conn:
        await images.delete_facsimile(conn, user_id)
    return Redirect(f"{BASE}?notice=facsimile_removed", status_code=303)


ROUTES = [Router(BASE, route_handlers=[signatures_page, stamp_image, upload_stamp, delete_stamp, facsimile_image,
                                       upload_facsimile, save_allowed, delete_facsimile], guards=[allow("admin")])]
