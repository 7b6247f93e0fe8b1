"""Справочник (catalog): reference data declared in one place.

Every item has ``id``, an automatic unique ``code``, ``name`` and a
``deletion_mark``; a catalog may be hierarchical (``parent_id``,
``is_group``) and may have predefined items, which always exist and can be
neither marked nor removed. Items are never deleted while anything refers to
them: they are marked, and a purge removes only marked items that nothing
references.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from piccolo.columns import BigInt, BigSerial, Boolean, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Unique
from piccolo.table import Table, create_table_class

from .fields import Field

RESERVED = {"id", "code", "name", "deletion_mark", "predefined", "parent_id", "is_group",
            "created_at", "updated_at", "lines"}


@dataclass(frozen=True)
class Predefined:
    """A predefined item: ``key`` names it in code, ``values`` fill it once."""

    key: str
    name: str
    values: Mapping[str, Any] = field(default_factory=dict)


def stem(name: str) -> str:
    return name.replace("-", "_")


def class_name(name: str, suffix: str = "") -> str:
    return "".join(part.capitalize() for part in stem(name).split("_")) + suffix


@dataclass(frozen=True, eq=False)
class Catalog:
    name: str
    title: str
    fields: tuple[Field, ...] = ()
    item_title: str = ""
    hierarchical: bool = False
    predefined: tuple[Predefined, ...] = ()
    code_width: int = 9
    name_max_length: int = 250
    # Cross-field rules: gets the whole parsed item, returns {field: message}.
    check: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None
    search_fields: tuple[str, ...] = ()
    # The name of an item created without one, from its parsed fields (as 1C presents a bank
    # account by its number and bank); ``None`` keeps the name required.
    derive_name: Callable[[Mapping[str, Any]], str] | None = None
    # Roles that may change it; every role may read it.
    write_roles: tuple[str, ...] = ("admin", "accountant")
    # Tabular parts (табличные части): rows that belong to an item (:mod:`.catalog_parts`).
    parts: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        clash = RESERVED & {f.name for f in self.fields} | {p.name for p in self.parts} & {
            *RESERVED, *(f.name for f in self.fields)}
        if clash:
            raise ValueError(f"catalog {self.name}: reserved field names {clash}")

    @property
    def table(self) -> str:
        return f"cat_{stem(self.name)}"

    @property
    def counter_kind(self) -> str:
        return f"catalog:{self.name}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def searchable(self) -> tuple[str, ...]:
        return ("name", "code", *self.search_fields)

    def tables(self) -> list[type[Table]]:
        from .catalog_parts import part_table

        return [self._table, *(part_table(self, p) for p in self.parts)]

    def extra_ddl(self) -> list[str]:
        return [
            f'CREATE INDEX IF NOT EXISTS "{self.table}_name_idx" ON "{self.table}" (lower(name), id)',
        ]

    @cached_property
    def _table(self) -> type[Table]:
        members: dict[str, Any] = {
            "id": BigSerial(primary_key=True),
            "code": Varchar(length=max(self.code_width, 20), null=False, default=""),
            "name": Varchar(length=self.name_max_length, null=False, default=""),
            "deletion_mark": Boolean(default=False),
            "predefined": Varchar(length=100, null=True, default=None),
            "parent_id": BigInt(null=True, default=None),
            "is_group": Boolean(default=False),
            "created_at": Timestamptz(default=TimestamptzNow()),
            "updated_at": Timestamptz(default=TimestamptzNow()),
            f"{self.table}_code_key": Unique(["code"]),
            f"{self.table}_predefined_key": Unique(["predefined"]),
        }
        for f in self.fields:
            members[f.name] = f.column()
        return create_table_class(class_name(self.name, "Catalog"),
                                  class_kwargs={"tablename": self.table}, class_members=members)
