"""«Загрузить из Excel» on a catalog's list: upload, map the columns, check, then load with a progress bar.

The page's one form keeps the chosen file: "Проверить" sends it with the column mapping and gets
back the preview (what each row will do, the rows with errors); changing a column's field checks
again; "Загрузить" sends the same file and mapping to start the import, whose progress the page
then polls until it is done or refused. All the work is :mod:`erp.services.catalog_import`,
the same as over the REST API; who may create the catalog's items may import them.
"""

from __future__ import annotations

from functools import cache

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from erp.platform.errors import ErpError, NotFound, ValidationError
from erp.services import catalog_import, import_columns, import_jobs
from erp.services.xlsx_file import MAX_FILE_BYTES, too_large
from ui import context, i18n
from ui.i18n import gettext as _
from ui.lists import catalog_of
from ui.render import is_htmx, render

PREVIEW_ROWS = 100


@cache
def aliases() -> dict[str, tuple[str, ...]]:
    """The UI's words in each other language, back to the Russian the import reads (an English export)."""
    out: dict[str, tuple[str, ...]] = {}
    for lang in i18n.LOCALES:
        if lang != i18n.DEFAULT:
            for russian, translated in i18n.catalog(lang).items():
                key = import_columns.normalize(translated)
                out[key] = (*out.get(key, ()), russian)
    return out


def _importable(request: Request, name: str):
    catalog = catalog_of(request, name)
    if name not in catalog_import.KEYS:
        raise NotFound(_("Загрузка из Excel для этого справочника не предусмотрена"))
    context.require_write(request, catalog)
    return catalog


def _page(request: Request, catalog, **values) -> Response:
    values.setdefault("preview", None)
    values.setdefault("error", None)
    # htmx swaps a 4xx answer too (the layout's htmx-config): the fragment says what is wrong
    return render(request, "lists/_import_preview.html" if is_htmx(request) else "lists/import.html",
                  status=values.pop("status", 200), section="catalogs", obj=catalog,
                  base=f"/catalogs/{catalog.name}", targets=import_columns.targets(catalog),
                  max_mb=MAX_FILE_BYTES // 1024 // 1024, shown=PREVIEW_ROWS, **values)


async def _upload(request: Request) -> tuple[bytes, dict[str, str] | None]:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationError.field("file", "выберите файл Excel (.xlsx)", code="no_file")
    mapping = {key[4:]: str(value) for key, value in form.items() if key.startswith("map-")}
    return await upload.read(), mapping or None


def too_large_page(request: Request, exc: HTTPException) -> Response:
    if exc.status_code != 413:
        from ui.app import handle_http_error

        return handle_http_error(request, exc)
    catalog = catalog_of(request, request.path_params["name"])
    return _page(request, catalog, error=_(too_large().message), status=413)


@get("/catalogs/{name:str}/import", name="ui_catalog_import")
async def import_page(request: Request, name: str) -> Response:
    return _page(request, _importable(request, name))


@post("/catalogs/{name:str}/import/preview", name="ui_catalog_import_preview", status_code=200,
      exception_handlers={HTTPException: too_large_page})
async def import_preview(request: Request, name: str) -> Response:
    catalog = _importable(request, name)
    try:
        content, mapping = await _upload(request)
        async with context.acquire(request) as conn:
            found = await catalog_import.plan(conn, context.registry(request), catalog, content, mapping=mapping,
                                              aliases=aliases(), tz=context.settings(request).tz)
    except ErpError as exc:
        return _page(request, catalog, error=_(exc.message), status=exc.status)
    return _page(request, catalog, preview=found, summary=found.summary())


@post("/catalogs/{name:str}/import", name="ui_catalog_import_start", status_code=303,
      exception_handlers={HTTPException: too_large_page})
async def import_start(request: Request, name: str) -> Response:
    catalog = _importable(request, name)
    try:
        content, mapping = await _upload(request)
    except ErpError as exc:
        return _page(request, catalog, error=_(exc.message), status=exc.status)
    token = await import_jobs.start(request.app.state.pool, context.registry(request), catalog, content,
                                    user_id=request.scope["user"].user_id, mapping=mapping, aliases=aliases(),
                                    tz=context.settings(request).tz)
    return Redirect(f"/catalogs/{name}/import/{token}", status_code=303)


@get("/catalogs/{name:str}/import/{token:str}", name="ui_catalog_import_progress")
async def import_progress(request: Request, name: str, token: str) -> Response:
    catalog = _importable(request, name)
    async with context.acquire(request) as conn:
        job = await import_jobs.load(conn, token, request.scope["user"].user_id)
    if job is None or job.get("catalog") != name:
        raise NotFound(_("Загрузка не найдена: её начал другой пользователь или она была больше суток назад"))
    template = "lists/_import_progress.html" if is_htmx(request) else "lists/import_progress.html"
    return render(request, template, section="catalogs", obj=catalog, base=f"/catalogs/{name}", job=job,
                  token=token)


ROUTES = [import_page, import_preview, import_start, import_progress]
