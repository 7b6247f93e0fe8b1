"""``/api/catalogs/{catalog}``: the generic REST of every declared catalog.

Routes are generated per catalog so that OpenAPI shows each one with its own
fields. Handlers are thin: decode, call the catalog service, encode.
"""

import datetime as dt
from typing import Any

import msgspec
from litestar import Request, delete, get, patch, post
from litestar.params import JSONBody

from erp.api.schemas import Id, catalog_types, plain, to_input
from erp.api.security import ANY_USER, allow
from erp.platform import catalog_list, listing
from erp.platform import catalog_service as svc
from erp.platform.catalog import Catalog
from erp.platform.catalog_usage import catalog_usage

RESERVED_QUERY = {"q", "limit", "after", "sort", "deletion_mark"}


class Usage(msgspec.Struct):
    kind: str
    title: str
    id: int
    number: str
    date: dt.datetime
    posted: bool


class PurgeKept(msgspec.Struct):
    id: int
    referenced_by: list[dict[str, Any]]


class PurgeResult(msgspec.Struct):
    deleted: list[int]
    kept: list[PurgeKept]


def _out(out_type: type, row: dict) -> Any:
    return msgspec.convert({k: plain(v) for k, v in row.items()}, out_type, strict=False)


def catalog_routes(registry, catalog: Catalog) -> list:
    create_t, update_t, out_t = catalog_types(catalog)
    page_t = msgspec.defstruct(f"{out_t.__name__}Page", [("items", list[out_t]), ("next", str | None)])
    base = f"/api/catalogs/{catalog.name}"
    tags = [f"Справочник: {catalog.title}"]
    write_guard = [allow(*catalog.write_roles)]
    filters = ", ".join([*(["parent_id"] if catalog.hierarchical else []), *catalog.field_names])
    sorts = ", ".join(catalog_list.sorts(catalog))

    async def list_items(request: Request, q: str | None = None, limit: int = 50, after: str | None = None,
                         sort: str = "name", deletion_mark: str | None = None):
        extra = {k: v for k, v in request.query_params.items() if k not in RESERVED_QUERY}
        column, descending = listing.read_sort(sort)
        async with request.app.state.pool.acquire() as conn:
            found = await catalog_list.list_items(
                conn, catalog, q=q or "", deletion_mark=listing.flag("deletion_mark", deletion_mark),
                filters=extra, sort=column, descending=descending, limit=limit, after=after)
        return page_t(items=[_out(out_t, r) for r in found.rows], next=found.next)

    async def create(request: Request, data) -> Any:
        async with request.app.state.pool.acquire() as conn:
            return _out(out_t, await svc.create(conn, registry, catalog, to_input(data)))

    async def read(request: Request, item_id: Id) -> Any:
        async with request.app.state.pool.acquire() as conn:
            return _out(out_t, await svc.get(conn, catalog, item_id))

    async def change(request: Request, data, item_id: Id) -> Any:
        async with request.app.state.pool.acquire() as conn:
            return _out(out_t, await svc.update(conn, registry, catalog, item_id, to_input(data),
                                                tz=request.app.state.settings.tz))

    async def remove(request: Request, item_id: Id) -> None:
        async with request.app.state.pool.acquire() as conn:
            await svc.delete(conn, registry, catalog, item_id, tz=request.app.state.settings.tz)

    async def mark(request: Request, item_id: Id) -> Any:
        async with request.app.state.pool.acquire() as conn:
            return _out(out_t, await svc.set_deletion_mark(conn, catalog, item_id, True))

    async def unmark(request: Request, item_id: Id) -> Any:
        async with request.app.state.pool.acquire() as conn:
            return _out(out_t, await svc.set_deletion_mark(conn, catalog, item_id, False))

    async def usage(request: Request, item_id: Id) -> list[Usage]:
        tz = request.app.state.settings.tz
        async with request.app.state.pool.acquire() as conn:
            await svc.get(conn, catalog, item_id)
            found = await catalog_usage(conn, registry, catalog.name, item_id, limit=100)
        return [Usage(**{**u, "date": u["date"].astimezone(tz)}) for u in found]

    async def purge(request: Request) -> PurgeResult:
        async with request.app.state.pool.acquire() as conn:
            result = await svc.purge(conn, registry, catalog)
        return msgspec.convert(result, PurgeResult)

    list_items.__annotations__["return"] = page_t
    create.__annotations__.update(data=JSONBody[create_t], **{"return": out_t})
    change.__annotations__["data"] = JSONBody[update_t]
    for fn in (read, change, mark, unmark):
        fn.__annotations__["return"] = out_t
    op = catalog.name.replace("-", "_")
    return [
        get(base, guards=[ANY_USER], tags=tags, summary=f"{catalog.title}: список",
            description=f"Поиск `q` по наименованию и коду (как в форме списка); `deletion_mark`; "
                        f"фильтры по полям: {filters}; `sort`: {sorts} (`-` — по убыванию); "
                        "`limit` 25/50/100/200; следующая страница — `after` из поля `next`.",
            operation_id=f"catalog_{op}_list", name=f"catalog_{op}_list")(list_items),
        post(base, guards=write_guard, tags=tags, summary=f"{catalog.title}: создать",
             operation_id=f"catalog_{op}_create", name=f"catalog_{op}_create")(create),
        get(f"{base}/{{item_id:int}}", guards=[ANY_USER], tags=tags, summary=f"{catalog.title}: элемент",
            operation_id=f"catalog_{op}_get", name=f"catalog_{op}_get")(read),
        patch(f"{base}/{{item_id:int}}", guards=write_guard, tags=tags,
              summary=f"{catalog.title}: изменить", operation_id=f"catalog_{op}_patch",
              name=f"catalog_{op}_patch")(change),
        post(f"{base}/{{item_id:int}}/mark-deletion", guards=write_guard, tags=tags, status_code=200,
             summary="Пометить на удаление", operation_id=f"catalog_{op}_mark",
             name=f"catalog_{op}_mark")(mark),
        post(f"{base}/{{item_id:int}}/unmark-deletion", guards=write_guard, tags=tags, status_code=200,
             summary="Снять пометку удаления", operation_id=f"catalog_{op}_unmark",
             name=f"catalog_{op}_unmark")(unmark),
        get(f"{base}/{{item_id:int}}/usage", guards=[ANY_USER], tags=tags,
            summary=f"{catalog.title}: где используется (документы, до 100, новые первыми)",
            operation_id=f"catalog_{op}_usage", name=f"catalog_{op}_usage")(usage),
        delete(f"{base}/{{item_id:int}}", guards=[allow("admin")], tags=tags, status_code=204,
               summary=f"{catalog.title}: удалить непосредственно (только неиспользуемый элемент)",
               description="Элемент, который используется в документах или на который ссылаются другие, "
                           "не удаляется: 409 `item_in_use` с перечнем документов. Его можно пометить на удаление.",
               operation_id=f"catalog_{op}_delete", name=f"catalog_{op}_delete")(remove),
        post(f"{base}/purge", guards=[allow("admin")], tags=tags, status_code=200,
             summary="Удалить помеченные (только то, на что нет ссылок)",
             operation_id=f"catalog_{op}_purge", name=f"catalog_{op}_purge")(purge),
    ]


def routes(registry) -> list:
    return [r for catalog in registry.catalogs.values() for r in catalog_routes(registry, catalog)]
