"""msgspec types generated from declarations, so that OpenAPI lists every
catalog and document with its real fields."""

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar.params import KwargDefinition, Parameter

from erp.platform.catalog import Catalog, class_name
from erp.platform.document import DocumentKind
from erp.platform.fields import Field

MAX_ID = 2**63 - 1
# An id in a path or a query is a PostgreSQL bigint: a bigger number is bad input (422), not a 500.
Id = Annotated[int, Parameter(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Parameter(ge=1, le=MAX_ID)]
TimeText = Annotated[str, msgspec.Meta(pattern=r"^\d{1,2}:\d{2}(:\d{2})?$", examples=["08:15"])]


class BasedOnRef(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    id: Annotated[int, KwargDefinition(ge=1, le=MAX_ID)]


# Dates and moments travel as ISO strings and are read by erp.platform.dates (a number is never a date:
# msgspec alone would read 20261205 as a Unix time in 1970).
DayText = Annotated[str, KwargDefinition(format="date", description="Дата ГГГГ-ММ-ДД, 01.01.1900–31.12.9999")]
MomentText = Annotated[str, KwargDefinition(
    format="date-time",
    description="Дата и время ISO 8601, 02.01.1900–31.12.9998; без смещения — в часовом поясе клиники; "
                "доли секунды отбрасываются")]


def api_type(f: Field) -> Any:
    if f.type == "time":
        return TimeText
    if f.type == "enum":
        return Literal[f.choices]  # type: ignore[valid-type]
    if f.type == "date":
        return DayText
    if f.type == "datetime":
        return MomentText
    base = f.python_type
    schema: dict[str, Any] = {}
    if f.title:
        schema["description"] = f.title
    if f.type == "str":
        schema["max_length"] = f.max_length
    if f.limits is not None:
        # stated here, checked (with a Russian message naming the field) by Field.parse
        low, high = f.limits
        schema.update(ge=low if isinstance(low, int) else float(low), le=high if isinstance(high, int) else float(high))
    return Annotated[base, KwargDefinition(**schema)] if schema else base


def _optional(f: Field) -> tuple:
    # Unset, not None: a field left out gets its declared default.
    return (f.name, api_type(f) | None | msgspec.UnsetType, msgspec.UNSET)


def _unset(f: Field) -> tuple:
    return (f.name, api_type(f) | None | msgspec.UnsetType, msgspec.UNSET)


def _shown(name: str, t: Any) -> tuple:
    """A field GET shows and PUT ignores, so that a document read can be saved back as it is."""
    return (name, Annotated[t, KwargDefinition(read_only=True)] | None | msgspec.UnsetType, msgspec.UNSET)


RefId = Annotated[int, KwargDefinition(ge=1, le=MAX_ID)]


def _name_field(catalog: Catalog) -> tuple:
    text = Annotated[str, msgspec.Meta(max_length=catalog.name_max_length)]
    if catalog.derive_name is not None:  # left out or empty: derived from the other fields
        return ("name", text | msgspec.UnsetType, msgspec.UNSET)
    return ("name", Annotated[str, msgspec.Meta(min_length=1, max_length=catalog.name_max_length)])


def catalog_types(catalog: Catalog) -> tuple[type, type, type]:
    base = class_name(catalog.name)
    tree = [("parent_id", RefId | None, None), ("is_group", bool, False)] if catalog.hierarchical else []
    name_t = Annotated[str, KwargDefinition(min_length=1, max_length=catalog.name_max_length)]
    # what GET shows and PATCH ignores: an item read can be sent back as it is
    shown = [_shown("id", int), _shown("code", str), _shown("deletion_mark", bool), _shown("predefined", str),
             *([] if catalog.hierarchical else [_shown("parent_id", int), _shown("is_group", bool)])]
    parts_in, parts_out = [], []
    for part in catalog.parts:
        row_base = f"{base}{class_name(part.name)}"
        row_in = msgspec.defstruct(f"{row_base}In", [_shown("line_no", int), *[_optional(f) for f in part.fields]],
                                   forbid_unknown_fields=True, kw_only=True)
        row_out = msgspec.defstruct(row_base, [("line_no", int), *[(f.name, _out_type(f) | None, None)
                                                                    for f in part.fields]], kw_only=True)
        # left out of a PATCH: the rows stay; sent: they replace the item's rows as a whole
        parts_in.append((part.name, Annotated[list[row_in], KwargDefinition(description=part.title)]
                         | msgspec.UnsetType, msgspec.UNSET))
        parts_out.append((part.name, list[row_out] | msgspec.UnsetType, msgspec.UNSET))
    create = msgspec.defstruct(
        f"{base}Create",
        [_name_field(catalog), *tree, *[_optional(f) for f in catalog.fields], *parts_in],
        forbid_unknown_fields=True, kw_only=True)
    update = msgspec.defstruct(
        f"{base}Update",
        [("name", name_t | msgspec.UnsetType, msgspec.UNSET),
         *[(n, t | msgspec.UnsetType, msgspec.UNSET) for n, t, _ in tree],
         *[_unset(f) for f in catalog.fields], *parts_in, *shown],
        forbid_unknown_fields=True, kw_only=True)
    out = msgspec.defstruct(
        base,
        [("id", int), ("code", str), ("name", str), ("deletion_mark", bool),
         ("predefined", str | None, None), ("parent_id", int | None, None), ("is_group", bool, False),
         *[(f.name, _out_type(f) | None, None) for f in catalog.fields], *parts_out],
        kw_only=True)
    return create, update, out


def _out_type(f: Field) -> Any:
    return str if f.type == "time" else (Literal[f.choices] if f.type == "enum" else f.python_type)


def document_types(kind: DocumentKind) -> tuple[type, type, type | None]:
    base = class_name(kind.name)
    fields_in = [_optional(f) for f in kind.header if not f.read_only]
    # What GET returns, PUT accepts: the number, the flags, computed and read-only fields are ignored.
    shown = [_shown("id", int), _shown("number", str), _shown("posted", bool), _shown("deletion_mark", bool),
             *[_shown(f.name, _out_type(f)) for f in (*kind.header, *kind.derived_fields) if f.read_only
               or f in kind.derived_fields]]
    line_in = line_out = None
    lines_spec: list = []
    if kind.lines:
        # a line's read-only field (a cost the document computes) is shown and ignored, like the header's
        line_fields = [_shown(f.name, _out_type(f)) if f.read_only else _optional(f) for f in kind.lines]
        line_fields += [_shown(f.name, _out_type(f)) for f in kind.derived_line_fields]
        line_in = msgspec.defstruct(f"{base}LineIn", [_shown("line_no", int), *line_fields],
                                    forbid_unknown_fields=True, kw_only=True)
        line_out = msgspec.defstruct(f"{base}Line", [("line_no", int),
                                                     *[(f.name, _out_type(f) | None, None)
                                                       for f in (*kind.lines, *kind.derived_line_fields)]],
                                    kw_only=True)
        lines_spec = [("lines", list[line_in], [])]
    create = msgspec.defstruct(
        f"{base}Input",
        [("date", MomentText | None, None), *fields_in, *lines_spec, ("based_on", BasedOnRef | None, None),
         *shown],
        forbid_unknown_fields=True, kw_only=True)
    out_fields = [("id", int), ("number", str), ("date", dt.datetime), ("posted", bool),
                  ("deletion_mark", bool), ("based_on", BasedOnRef | None, None),
                  *[(f.name, _out_type(f) | None, None) for f in kind.header],
                  *[(f.name, _out_type(f) | None, None) for f in kind.derived_fields]]
    if line_out is not None:
        out_fields.append(("lines", list[line_out], []))
    out = msgspec.defstruct(base, out_fields, kw_only=True)
    return create, out, line_out


def to_input(value: msgspec.Struct) -> dict[str, Any]:
    """A decoded input struct as a plain dict, leaving out what was not sent."""
    out = {}
    for name in value.__struct_fields__:
        v = getattr(value, name)
        if v is msgspec.UNSET:
            continue
        if isinstance(v, msgspec.Struct):
            v = to_input(v)
        elif isinstance(v, list):
            v = [to_input(x) if isinstance(x, msgspec.Struct) else x for x in v]
        out[name] = v
    return out


def plain(value: Any, tz: Any = None) -> Any:
    """Stored values as they go out: times as HH:MM, moments in ``tz``, the rest as is."""
    if isinstance(value, dt.datetime) and tz is not None and value.tzinfo is not None:
        return value.astimezone(tz)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M") if not value.second else value.isoformat()
    return value
