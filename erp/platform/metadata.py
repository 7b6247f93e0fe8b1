"""Метаданные: the registry of every declared object.

A configuration is a set of modules, each declaring one object (a catalog, a
document kind, a register). :meth:`Registry.discover` imports every module of
the given packages and collects the declarations it finds, so adding an object
means adding one module and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any

from piccolo.table import Table


class Registry:
    def __init__(self, objects: Iterable[Any] = ()) -> None:
        self.catalogs: dict[str, Any] = {}
        self.documents: dict[str, Any] = {}
        self.registers: dict[str, Any] = {}
        self.info_registers: dict[str, Any] = {}
        self._hooks: dict[str, list] = {}
        self._every_kind: list = []
        for obj in objects:
            self.add(obj)

    def add(self, obj: Any) -> Any:
        from .catalog import Catalog
        from .document import DocumentKind
        from .info_register import InformationRegister
        from .register import AccumulationRegister

        for cls, bucket in ((Catalog, self.catalogs), (DocumentKind, self.documents),
                            (AccumulationRegister, self.registers),
                            (InformationRegister, self.info_registers)):
            if isinstance(obj, cls):
                other = bucket.get(obj.name)
                if other is not None and other is not obj:
                    raise ValueError(f"{cls.__name__} {obj.name!r} is declared twice")
                bucket[obj.name] = obj
                return obj
        raise TypeError(f"not a declaration: {obj!r}")

    def discover(self, *packages: str) -> Registry:
        """Import every module of ``packages`` and add the objects they declare."""
        from .catalog import Catalog
        from .document import DocumentKind
        from .info_register import InformationRegister
        from .register import AccumulationRegister

        kinds = (Catalog, DocumentKind, AccumulationRegister, InformationRegister)
        for package_name in packages:
            package = importlib.import_module(package_name)
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
                module = importlib.import_module(f"{package_name}.{info.name}")
                for value in vars(module).values():
                    if isinstance(value, kinds):
                        self.add(value)
        return self

    def subscribe(self, kind_name: str, subscriber) -> None:
        """Tell ``subscriber`` (a :class:`~erp.platform.posting.subscribers.Subscriber`) of every
        write, post, unpost and mark of documents of ``kind_name`` (e.g. to fill an outbox)."""
        self._hooks.setdefault(kind_name, []).append(subscriber)

    def subscribe_all(self, subscriber) -> None:
        """:meth:`subscribe` for documents of every kind, declared now or later
        (e.g. the audit log, 1C's журнал регистрации)."""
        self._every_kind.append(subscriber)

    def subscribers(self, kind_name: str) -> list:
        return [*self._hooks.get(kind_name, []), *self._every_kind]

    def catalog(self, name: str):
        return self.catalogs[name]

    def document(self, name: str):
        return self.documents[name]

    def target(self, name: str):
        """The catalog or document kind that a ``ref`` field names."""
        return self.catalogs.get(name) or self.documents.get(name)

    def tables(self) -> list[type[Table]]:
        tables: list[type[Table]] = []
        for group in (self.catalogs, self.documents, self.registers, self.info_registers):
            for obj in group.values():
                tables.extend(obj.tables())
        return tables

    def extra_ddl(self) -> list[str]:
        statements: list[str] = []
        for group in (self.catalogs, self.documents, self.registers, self.info_registers):
            for obj in group.values():
                statements.extend(obj.extra_ddl())
        return statements

    def referrers(self, target: str) -> list[tuple[str, str, str]]:
        """Every ``(table, column, owner id column)`` whose values point at ``target``."""
        found: list[tuple[str, str, str]] = []
        for cat in self.catalogs.values():
            found += [(cat.table, f.name, "id") for f in cat.fields if f.type == "ref" and f.ref == target]
            if cat.hierarchical and cat.name == target:
                found.append((cat.table, "parent_id", "id"))
            for part in cat.parts:
                found += [(part.table(cat.table), f.name, "owner_id") for f in part.fields
                          if f.type == "ref" and f.ref == target]
        for doc in self.documents.values():
            found += [(doc.table, f.name, "id") for f in doc.header if f.type == "ref" and f.ref == target]
            found += [(doc.lines_table, f.name, "document_id") for f in doc.lines
                      if f.type == "ref" and f.ref == target]
        for reg in [*self.registers.values(), *self.info_registers.values()]:
            found += [(reg.movements_table, f.name, "recorder_id") for f in reg.dimensions
                      if f.type == "ref" and f.ref == target]
        return found
