"""The "Печать ▾" menu and batch printing from a list.

The forms come from :mod:`erp.printing`, and printing goes through its
service — the same calls the print API (``/api/documents/{kind}/{id}/print/{form}``,
``/api/print/batch``) makes, here behind the UI's session and CSRF instead of
a bearer token. Every PDF lands in the registry of generated documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from litestar import Request, Response, get, post
from markupsafe import escape

from erp.platform.db import in_transaction
from erp.platform.errors import ValidationError
from erp.printing import forms, images, render, service, templates_store
from erp.printing.api import pdf_response
from ui import context


@dataclass(frozen=True)
class PrintForm:
    name: str
    title: str


async def forms_for(request: Request, kind: str, header=None) -> list[PrintForm]:
    """The «Печать ▾» menu of ``kind``: the standard forms and the administrator's templates;
    with a document's ``header``, only those that print it (a cash order only for cash)."""
    async with context.acquire(request) as conn:
        return [PrintForm(name, title) for name, title in await templates_store.menu(conn, kind)
                if header is None or forms.offered(name, header)]


async def can_sign(request: Request, kind, doc) -> bool:
    """Whether the «с факсимиле» choices are offered: the document's organization has a
    signature the user may print with."""
    org = doc.header.get(kind.organization_field) if kind.organization_field else None
    async with context.acquire(request) as conn:
        return await images.can_sign(conn, org, request.scope["user"].user_id)


def url(kind: str, doc_id: int, form: str, *, preview: bool = False, facsimile: bool = False) -> str:
    """The "Печать ▾" menu's link: the PDF or the preview, with or without facsimile."""
    params = [p for p, on in (("format=html", preview), ("facsimile=true", facsimile)) if on]
    return f"/print/{kind}/{doc_id}/{form}" + ("?" + "&".join(params) if params else "")


@get("/print/{kind:str}/{doc_id:int}/{form:str}", name="ui_print")
async def print_one(request: Request, kind: str, doc_id: int, form: str,
                    format: Literal["pdf", "html"] = "pdf", facsimile: bool = False) -> Response:
    settings, user_id = context.settings(request), request.scope["user"].user_id
    if format == "html":
        try:
            async with context.acquire(request) as conn:
                text = await service.render_preview(conn, kind, doc_id, form, user_id, facsimile, tz=settings.tz,
                                                    config=context.registry(request))
        except ValidationError as exc:
            if not exc.code.startswith("template_"):
                raise
            # A template's own error, shown where its preview is (the editor's frame).
            text = ('<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Ошибка шаблона</title></head>'
                    f'<body><p role="alert" data-template-error="{escape(exc.code)}">{escape(exc.message)}</p>'
                    "</body></html>")
            return Response(text, status_code=exc.status, media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": render.preview_policy()})
        return Response(text, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": render.preview_policy()})
    printed = await in_transaction(request.app.state.pool, lambda conn: service.render_pdf(
        conn, kind, doc_id, form, user_id, facsimile, tz=settings.tz, config=context.registry(request)))
    return pdf_response(printed.content, printed.file_name, printed.generated_ids)


@post("/print/batch", name="ui_print_batch", status_code=200)
async def print_batch(request: Request) -> Response:
    """The documents ticked in a list, in one PDF."""
    data = await context.form_data(request)
    raw = data.get("doc", [])
    ids = [int(v) for v in (raw if isinstance(raw, list) else [raw]) if str(v).isdigit()]
    kind, form = str(data.get("kind", "")), str(data.get("form", "")) or None
    facsimile = data.get("facsimile") == "1"
    settings, user_id = context.settings(request), request.scope["user"].user_id
    printed = await in_transaction(request.app.state.pool, lambda conn: service.render_batch(
        conn, [(kind, i) for i in ids], form, user_id, facsimile, tz=settings.tz, config=context.registry(request)))
    return pdf_response(printed.content, printed.file_name, printed.generated_ids)


ROUTES = [print_one, print_batch]
