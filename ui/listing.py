"""How a list is asked for and shown: the query string of a list page
(search, filters, sort, page) read into one value, the columns a list shows,
and links that change one thing and keep the rest. Pure: no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from erp.platform.dates import DateError, read_day
from erp.platform.fields import Field
from erp.platform.listing import FLAGS, PAGE_SIZES


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    field: Field | None = None
    sortable: bool = False
    numeric: bool = False


@dataclass(frozen=True)
class ListQuery:
    q: str = ""
    sort: str = ""
    desc: bool = False
    limit: int = 50
    after: str | None = None
    before: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    posted: bool | None = None
    deletion_mark: bool | None = None
    filters: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    def link(self, base: str, **changes: Any) -> str:
        """This list's URL with ``changes`` (``None`` drops a parameter); paging resets
        unless the change is the page itself."""
        params = {k: v for k, v in self.raw.items() if k not in ("after", "before")}
        for key, value in changes.items():
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value)
        return base + ("?" + urlencode(params) if params else "")

    def sort_link(self, base: str, key: str) -> str:
        desc = "0" if self.sort == key and self.desc else "1" if self.sort == key else "0"
        return self.link(base, sort=key, desc=desc)


def _date(raw: str | None) -> dt.date | None:
    """A period bound as typed; one that is not a date (or lies outside 1900–9999) is left out."""
    try:
        return read_day(raw) if raw else None
    except DateError:
        return None


def _flag(raw: str | None) -> bool | None:
    """A yes/no filter written as over the API (:data:`~erp.platform.listing.FLAGS`); anything else shows all."""
    return FLAGS.get(raw.strip().lower()) if raw else None


def parse_query(params: Mapping[str, str], *, default_sort: str, default_desc: bool, remembered_limit: int,
                filter_names: set[str]) -> ListQuery:
    raw = {k: v for k, v in params.items() if v not in (None, "")}
    try:
        limit = int(raw.get("limit", remembered_limit))
    except ValueError:
        limit = remembered_limit
    if limit not in PAGE_SIZES:
        limit = 50
    # As over the REST API: "sort=x" is x ascending, "sort=-x" descending; ``desc`` (the column links') wins.
    sort = raw.get("sort", default_sort)
    desc = default_desc if "sort" not in raw else sort.startswith("-")
    sort = sort.removeprefix("-")
    if "desc" in raw:
        desc = raw["desc"] == "1"
    return ListQuery(
        q=raw.get("q", "")[:200], sort=sort, desc=desc, limit=limit, after=raw.get("after"),
        before=raw.get("before"), start=_date(raw.get("start")), end=_date(raw.get("end")),
        posted=_flag(raw.get("posted")), deletion_mark=_flag(raw.get("deletion_mark")),
        filters={k: v for k, v in raw.items() if k in filter_names}, raw=raw)


def catalog_columns(catalog, sorts: Mapping[str, Any], limit: int = 6) -> list[Column]:
    cols = [Column("code", "Код", sortable=True), Column("name", "Наименование", sortable=True)]
    for f in catalog.fields:
        if f.type == "text" or len(cols) >= limit + 2:
            continue
        cols.append(Column(f.name, f.label, f, f.name in sorts, f.type in ("money", "quantity", "percent", "int")))
    return cols


def document_columns(kind, sorts: Mapping[str, Any], limit: int = 6) -> list[Column]:
    cols = [Column("date", "Дата", sortable=True), Column("number", "Номер", sortable=True)]
    shown = [f for f in kind.header if f.type != "text" and f.name != "comment"][:limit]
    for f in shown:
        cols.append(Column(f.name, f.label, f, f.name in sorts, f.type in ("money", "quantity", "percent")))
    for f in kind.derived_fields:
        cols.append(Column(f.name, f.label, f, False, f.type in ("money", "quantity")))
    if any(f.name == "comment" for f in kind.header):
        cols.append(Column("comment", "Комментарий", kind.header_field("comment")))
    return cols


def filter_fields(fields: list[Field]) -> list[Field]:
    """Header or catalog fields a list can filter by: references, choices and flags."""
    return [f for f in fields if f.type in ("ref", "enum", "bool")]
