"""``/api/documents/{kind}``: the generic REST of every declared document kind."""

import datetime as dt
from typing import Any

import msgspec
from litestar import Request, get, post, put
from litestar.params import JSONBody, Parameter

from erp.api.schemas import Id, OptionalId, document_types, plain, to_input
from erp.api.security import ANY_USER, allow
from erp.platform import document_list, listing, subordination
from erp.platform.document import Doc, DocumentKind
from erp.platform.document_input import parse_moment
from erp.platform.posting import Engine, derive

# The query parameters of a list that are not filters by a header attribute.
LIST_PARAMETERS = {"limit", "after", "q", "start", "end", "posted", "deletion_mark", "sort"}


class Node(msgspec.Struct):
    kind: str
    title: str
    id: int
    number: str
    date: dt.datetime
    posted: bool
    deletion_mark: bool
    children: list["Node"] = []


class Subordination(msgspec.Struct):
    ancestors: list[dict[str, Any]]
    tree: Node


async def render(conn, registry, kind: DocumentKind, docs: list[Doc], out_t: type, tz) -> list[Any]:
    """Documents as the API shows them: moments in the configured time zone."""
    derived = await derive(conn, registry, kind, docs)
    out = []
    for doc in docs:
        extra = dict(derived.get(doc.id, {}))
        per_line = extra.pop("lines", None) or [{} for _ in doc.lines]
        body = {"id": doc.id, "number": doc.number, "date": doc.date.astimezone(tz), "posted": doc.posted,
                "deletion_mark": doc.deletion_mark,
                "based_on": {"kind": doc.based_on[0], "id": doc.based_on[1]} if doc.based_on else None,
                **{k: plain(v, tz) for k, v in doc.header.items()}, **extra}
        if kind.lines:
            body["lines"] = [{"line_no": i, **{k: plain(v, tz) for k, v in line.items()}, **more}
                             for i, (line, more) in enumerate(zip(doc.lines, per_line, strict=True), start=1)]
        out.append(msgspec.convert(body, out_t, strict=False))
    return out


def document_routes(registry, kind: DocumentKind) -> list:
    in_t, out_t, _ = document_types(kind)
    page_t = msgspec.defstruct(f"{out_t.__name__}Page", [("items", list[out_t]), ("next", str | None)])
    base = f"/api/documents/{kind.name}"
    tags = [f"Документ: {kind.title}"]
    write_guard = [allow(*kind.write_roles)]
    op = kind.name.replace("-", "_")
    sorts = ", ".join(document_list.sorts(kind))

    def engine(request: Request) -> Engine:
        return request.app.state.engine

    async def one(request: Request, work) -> Any:
        async with request.app.state.pool.acquire() as conn:
            doc = await work(conn)  # the engine's own transaction, retried by the engine itself
            return (await render(conn, engine(request).registry, kind, [doc], out_t, engine(request).tz))[0]

    async def list_docs(request: Request, limit: int = 50, after: str | None = None, q: str | None = None,
                        start: dt.date | None = None, end: dt.date | None = None,
                        posted: bool | None = None, deletion_mark: bool | None = None, sort: str = "-date"):
        filters = {k: v for k, v in request.query_params.items() if k not in LIST_PARAMETERS}
        column, descending = listing.read_sort(sort)
        async with request.app.state.pool.acquire() as conn:
            found = await document_list.list_documents(
                conn, registry, kind, engine(request).tz, q=q or "", start=start, end=end, posted=posted,
                deletion_mark=deletion_mark, filters=filters, sort=column, descending=descending, limit=limit,
                after=after)
            return page_t(items=await render(conn, engine(request).registry, kind, found.rows, out_t,
                                              engine(request).tz), next=found.next)

    async def create(request: Request, data, post_: bool = Parameter(query="post", default=False)) -> Any:
        user = request.user
        return await one(request, lambda conn: engine(request).create(
            conn, kind, to_input(data), post=post_, author_id=user.user_id))

    async def read(request: Request, doc_id: Id) -> Any:
        async with request.app.state.pool.acquire() as conn:
            doc = await engine(request).get(conn, kind, doc_id)
            return (await render(conn, engine(request).registry, kind, [doc], out_t, engine(request).tz))[0]

    async def replace(request: Request, data, doc_id: Id,
                      post_: bool = Parameter(query="post", default=False)) -> Any:
        return await one(request, lambda conn: engine(request).update(
            conn, kind, doc_id, to_input(data), post=post_ or None))

    async def do_post(request: Request, doc_id: Id) -> Any:
        return await one(request, lambda conn: engine(request).post(conn, kind, doc_id))

    async def do_unpost(request: Request, doc_id: Id) -> Any:
        return await one(request, lambda conn: engine(request).unpost(conn, kind, doc_id))

    async def mark(request: Request, doc_id: Id) -> Any:
        return await one(request, lambda conn: engine(request).set_deletion_mark(conn, kind, doc_id, True))

    async def unmark(request: Request, doc_id: Id) -> Any:
        return await one(request, lambda conn: engine(request).set_deletion_mark(conn, kind, doc_id, False))

    async def movements(request: Request, doc_id: Id) -> dict[str, list[dict[str, Any]]]:
        async with request.app.state.pool.acquire() as conn:
            await engine(request).get(conn, kind, doc_id)
            return await document_list.movements_of(conn, kind, doc_id)

    async def structure(request: Request, doc_id: Id) -> Subordination:
        async with request.app.state.pool.acquire() as conn:
            tree = await subordination.structure(conn, registry, kind.name, doc_id)
        return msgspec.convert(tree, Subordination, strict=False)

    list_docs.__annotations__["return"] = page_t
    create.__annotations__.update(data=JSONBody[in_t], **{"return": out_t})
    replace.__annotations__.update(data=JSONBody[in_t], **{"return": out_t})
    for fn in (read, do_post, do_unpost, mark, unmark):
        fn.__annotations__["return"] = out_t
    item = f"{base}/{{doc_id:int}}"
    routes = [
        get(base, guards=[ANY_USER], tags=tags, summary=f"{kind.title}: список",
            description="Поиск `q` по номеру, комментарию и наименованиям ссылок шапки (как в форме списка); "
                        "период `start`/`end` (даты), `posted`, `deletion_mark`, `number`, фильтры по реквизитам "
                        f"шапки; `sort`: {sorts} (`-` — по убыванию, по умолчанию `-date`); "
                        "`limit` 25/50/100/200; следующая страница — `after` из поля `next`.",
            operation_id=f"document_{op}_list", name=f"document_{op}_list")(list_docs),
        post(base, guards=write_guard, tags=tags, summary=f"{kind.title}: создать (`?post=true` — и провести)",
             operation_id=f"document_{op}_create", name=f"document_{op}_create")(create),
        get(item, guards=[ANY_USER], tags=tags, summary=f"{kind.title}: документ",
            operation_id=f"document_{op}_get", name=f"document_{op}_get")(read),
        put(item, guards=write_guard, tags=tags, summary="Записать (проведённый — перепровести)",
            operation_id=f"document_{op}_put", name=f"document_{op}_put")(replace),
        post(f"{item}/mark-deletion", guards=write_guard, tags=tags, status_code=200,
             summary="Пометить на удаление", operation_id=f"document_{op}_mark",
             name=f"document_{op}_mark")(mark),
        post(f"{item}/unmark-deletion", guards=write_guard, tags=tags, status_code=200,
             summary="Снять пометку удаления", operation_id=f"document_{op}_unmark",
             name=f"document_{op}_unmark")(unmark),
        get(f"{item}/subordination", guards=[ANY_USER], tags=tags, summary="Структура подчинённости",
            operation_id=f"document_{op}_subordination", name=f"document_{op}_subordination")(structure),
    ]
    if kind.postable:
        routes += [
            post(f"{item}/post", guards=write_guard, tags=tags, status_code=200, summary="Провести",
                 operation_id=f"document_{op}_post", name=f"document_{op}_post")(do_post),
            post(f"{item}/unpost", guards=write_guard, tags=tags, status_code=200,
                 summary="Отменить проведение", operation_id=f"document_{op}_unpost",
                 name=f"document_{op}_unpost")(do_unpost),
            get(f"{item}/movements", guards=[ANY_USER], tags=tags, summary="Движения документа",
                operation_id=f"document_{op}_movements", name=f"document_{op}_movements")(movements),
        ]
    if kind.filling is not None:
        routes.append(_fill_route(kind, write_guard, tags))
    for source in kind.based_on:
        routes.append(_based_route(registry, kind, source.source, in_t))
    return routes


class Filled(msgspec.Struct):
    lines: list[dict[str, Any]]


def _fill_route(kind: DocumentKind, guards: list, tags: list[str]):
    """«Заполнить»: the lines the kind fills from the database for the header values it takes."""
    op = kind.name.replace("-", "_")
    taken = ", ".join(f"`{name}`" for name in kind.filling.parameters) if kind.filling else ""

    async def fill(request: Request, at: str | None = None, document_id: OptionalId = None) -> Filled:
        engine: Engine = request.app.state.engine
        moment = parse_moment(at, engine.tz, "at") if at else None
        values = {k: v for k, v in request.query_params.items() if k not in ("at", "document_id")}
        async with request.app.state.pool.acquire() as conn:
            lines = await engine.fill_lines(conn, kind, values, moment, document_id)
        return Filled(lines=[{k: plain(v, engine.tz) for k, v in line.items()} for line in lines])

    return get(f"/api/documents/{kind.name}/fill", guards=guards, tags=tags,
               summary=f"{kind.title}: заполнить табличную часть (не записывая)",
               description=f"Реквизиты шапки {taken}; `at` — момент (по умолчанию сейчас); `document_id` — "
                           "записанный документ, чьи движения не учитываются.",
               operation_id=f"document_{op}_fill", name=f"document_{op}_fill")(fill)


def _based_route(registry, target: DocumentKind, source: str, in_t: type):
    source_kind = registry.documents[source]
    op = f"{source.replace('-', '_')}_to_{target.name.replace('-', '_')}"

    async def based(request: Request, doc_id: Id) -> Any:
        async with request.app.state.pool.acquire() as conn:
            filled = await request.app.state.engine.fill_based_on(conn, target, source, doc_id)
        tz = request.app.state.settings.tz

        def shown(v: Any) -> Any:  # as the input reads it: dates and moments as ISO text
            v = plain(v, tz)
            return v.isoformat() if isinstance(v, dt.date) else v

        body = {k: shown(v) for k, v in filled.items() if k != "lines"}
        if target.lines:  # a kind without a tabular section (a payment) has no "lines" to fill
            body["lines"] = [{k: shown(v) for k, v in ln.items()} for ln in filled["lines"]]
        return msgspec.convert(body, in_t, strict=False)

    based.__annotations__["return"] = in_t
    return get(f"/api/documents/{source}/{{doc_id:int}}/based/{target.name}", guards=[ANY_USER],
               tags=[f"Документ: {source_kind.title}"],
               summary=f"Создать на основании: «{target.title}» (заполненный, не записанный)",
               operation_id=f"based_{op}", name=f"based_{op}")(based)


def routes(registry) -> list:
    return [r for kind in registry.documents.values() for r in document_routes(registry, kind)]
