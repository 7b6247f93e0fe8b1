"""Проведение: one path for every write of a document (see :mod:`.execute`).

* :mod:`.plan`: the typed plan of one operation (frozen structs);
* :mod:`.inputs`: what a kind declares it needs to read, and the one query that reads it;
* :mod:`.build`: the pure step from (old, new, inputs) to a plan or every error;
* :mod:`.compile`: the plan as one SQL statement, with named parameters, cached per shape;
* :mod:`.execute`: the engine that reads, builds and writes;
* :mod:`.subscribers`: what else an operation writes (audit, outbox), as data;
* :mod:`.sqlnames`: names, literals and parameters in SQL.

The engine is imported lazily, so the core's modules may use the plan's types and
:mod:`.sqlnames` without importing the engine.
"""

from typing import Any

__all__ = ["Engine", "derive", "read_needs"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import execute

        return getattr(execute, name)
    raise AttributeError(name)
