"""Печать: the services the API and the web UI call to print documents.

- :func:`render_preview` — the form as an HTML page (nothing is stored);
- :func:`render_pdf` — one document's PDF, kept in the generated documents registry;
- :func:`render_batch` — several documents (of one or several kinds) in one PDF,
  each document also kept in the registry with its own pages.

Printing an unposted document is allowed and watermarked "Не проведён".
With ``facsimile=True`` the signatures the user may use and the stamp are
printed over the signature lines; without it the lines stay blank for a pen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import asyncpg

from erp.platform.errors import ValidationError

from . import forms, images, registry, render, sandbox, templates_store, variables
from .forms import PrintData

MAX_BATCH = 500


@dataclass(frozen=True)
class Printed:
    """A generated PDF: its bytes, a file name, and the registry rows it was kept as."""

    content: bytes
    file_name: str
    documents: tuple[PrintData, ...]
    generated_ids: tuple[int, ...] = ()


def _registry(config):
    if config is not None:
        return config
    from erp.configuration import registry as configured

    return configured()


def _tz(tz) -> ZoneInfo:
    if tz is not None:
        return tz
    from erp.app.settings import timezone_name

    return ZoneInfo(timezone_name())


async def _signatures(conn: asyncpg.Connection, docs: Sequence[PrintData], user_id: int | None,
                      facsimile: bool) -> list[render.Signatures]:
    if not facsimile:
        return [render.NO_SIGNATURES] * len(docs)
    by_org = await images.signatures_for(conn, (d.organization_id for d in docs), user_id)
    return [by_org[d.organization_id] for d in docs]


async def load_documents(conn: asyncpg.Connection, documents: Sequence[tuple[str, int]], form: str | None,
                         *, tz=None, config=None) -> list[PrintData]:
    """The print data of ``documents`` (``(kind, id)`` pairs) in their order, grouped
    into one load per kind; ``form`` names the form for all of them, or each
    kind's first form when empty. A form the administrator changed carries its text."""
    config, tz = _registry(config), _tz(tz)
    by_kind: dict[str, list[int]] = {}
    for kind, doc_id in documents:
        if kind not in config.documents and kind not in forms.SOURCES:
            raise ValidationError.field("documents", f"неизвестный вид документа «{kind}»")
        by_kind.setdefault(kind, []).append(doc_id)
    loaded: dict[tuple[str, int], PrintData] = {}
    for kind, ids in by_kind.items():
        chosen = await templates_store.resolve(conn, kind, form)
        for data in await forms.load(conn, config, chosen, ids, tz):
            loaded[(kind, data.doc_id)] = data
    return [loaded[key] for key in documents]


async def _user(conn: asyncpg.Connection, user_id: int | None) -> dict[str, str]:
    row = await conn.fetchrow("SELECT username, full_name FROM users WHERE id = $1", user_id) if user_id else None
    return {"name": (row["full_name"] or row["username"]) if row else "", "username": row["username"] if row else ""}


async def html_of(conn: asyncpg.Connection, datas: Sequence[PrintData], signatures: Sequence[render.Signatures],
                  user_id: int | None, *, inline_css: bool, tz=None) -> list[str]:
    """Each document's HTML: the standard forms through the package's templates, the
    administrator's texts in the sandbox (one call per text, whatever the number of documents)."""
    out: list[str | None] = [None if d.form.body is not None else render.render_html(d, s, inline_css=inline_css)
                             for d, s in zip(datas, signatures, strict=True)]
    pending = [i for i, html in enumerate(out) if html is None]
    if not pending:
        return [html for html in out if html is not None]
    user, today = await _user(conn, user_id), dt.datetime.now(_tz(tz)).date()
    css = render.stylesheet_text() if inline_css else ""
    by_body: dict[tuple[str, str], list[int]] = {}
    for i in pending:
        by_body.setdefault((datas[i].kind, datas[i].form.body or ""), []).append(i)
    for (kind, body), indexes in by_body.items():
        values, combined = variables.derived_values(await templates_store.user_variables(conn, kind))
        filled = [variables.build(datas[i], dataclasses.asdict(signatures[i]), user=user, inline_css=css,
                                  lines_table=render.lines_table_html(datas[i]), today=today, derived=values)
                  for i in indexes]
        for i, html in zip(indexes, await sandbox.render_many(body, filled, combined), strict=True):
            out[i] = html
    return [html or "" for html in out]


async def render_preview(conn: asyncpg.Connection, kind: str, doc_id: int, form: str | None = None,
                         user_id: int | None = None, facsimile: bool = False, *, tz=None, config=None) -> str:
    """Предварительный просмотр: the form as a standalone HTML page."""
    [data] = await load_documents(conn, [(kind, doc_id)], form, tz=tz, config=config)
    signatures = await _signatures(conn, [data], user_id, facsimile)
    [html] = await html_of(conn, [data], signatures, user_id, inline_css=True, tz=tz)
    return html


async def render_pdf(conn: asyncpg.Connection, kind: str, doc_id: int, form: str | None = None,
                     user_id: int | None = None, facsimile: bool = False, *, tz=None, config=None,
                     store: bool = True) -> Printed:
    """One document's PDF; with ``store`` it is kept in the registry (``generated_ids``)."""
    [data] = await load_documents(conn, [(kind, doc_id)], form, tz=tz, config=config)
    signatures = await _signatures(conn, [data], user_id, facsimile)
    [pdf] = await render.to_pdfs(await html_of(conn, [data], signatures, user_id, inline_css=False, tz=tz))
    ids = await registry.store(conn, [(data, pdf)], user_id=user_id, facsimile=facsimile) if store else []
    return Printed(pdf, data.file_name, (data,), tuple(ids))


async def render_batch(conn: asyncpg.Connection, documents: Sequence[tuple[str, int]], form: str | None = None,
                       user_id: int | None = None, facsimile: bool = False, *, tz=None, config=None) -> Printed:
    """Пакетная печать: the documents one after another in one PDF, each with its
    own page numbers; every document is kept in the registry."""
    documents = list(dict.fromkeys((str(k), int(i)) for k, i in documents))
    if not documents:
        raise ValidationError.field("documents", "выберите хотя бы один документ")
    if len(documents) > MAX_BATCH:
        raise ValidationError.field("documents", f"не больше {MAX_BATCH} документов за раз")
    datas = await load_documents(conn, documents, form, tz=tz, config=config)
    signatures = await _signatures(conn, datas, user_id, facsimile)
    htmls = await html_of(conn, datas, signatures, user_id, inline_css=False, tz=tz)
    combined, singles = await render.to_pdf(htmls)
    ids = await registry.store(conn, list(zip(datas, singles, strict=True)), user_id=user_id, facsimile=facsimile)
    name = datas[0].file_name if len(datas) == 1 else f"Пакет документов ({len(datas)}).pdf"
    return Printed(combined, name, tuple(datas), tuple(ids))
