"""The routes of the application, as the hostile walk sees them: every HTTP route from the app's
route table (the UI's too), and every operation of the OpenAPI schema with its parameters and body."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SKIP_METHODS = {"OPTIONS", "HEAD"}
# A value for each kind of path parameter, so that the route matches.
PATH_VALUES = {"name": "clients", "kind_name": "invoices", "kind": "invoices", "form": "act", "target": "clients",
               "secret": "not-the-secret", "file_path": "missing.js", "path": "missing"}
_PARAM = re.compile(r"\{(\w+):(\w+)\}")


def concrete(path: str, ids: dict[str, int] | None = None) -> str:
    """``/api/x/{doc_id:int}`` with a real value for each parameter."""
    def value(m: re.Match[str]) -> str:
        name, kind = m.groups()
        if kind == "int":
            return str((ids or {}).get(name, 1))
        return PATH_VALUES.get(name, "x")
    return _PARAM.sub(value, path)


def http_routes(app) -> list[tuple[str, str]]:
    """``(method, path template)`` of every HTTP route of the app, UI pages included."""
    out = []
    for route in app.routes:
        for method in sorted(getattr(route, "methods", ()) or ()):
            if method not in SKIP_METHODS:
                out.append((method, route.path))
    return sorted(set(out))


@dataclass
class Operation:
    method: str
    path: str
    query: dict[str, dict] = field(default_factory=dict)  # name -> schema
    body: dict | None = None  # the resolved JSON schema of the body


def _resolve(schema: dict, components: dict) -> dict:
    if "$ref" in schema:
        return _resolve(components[schema["$ref"].rsplit("/", 1)[1]], components)
    return schema


def json_schema(schema: dict, components: dict) -> dict:
    """A schema with its ``$ref``s and ``oneOf [x, null]`` resolved, recursively (properties and items)."""
    schema = _resolve(schema, components)
    if "oneOf" in schema:
        options = [_resolve(s, components) for s in schema["oneOf"] if _resolve(s, components).get("type") != "null"]
        merged = {**{k: v for k, v in schema.items() if k != "oneOf"}, **(options[0] if len(options) == 1 else {})}
        schema = merged
    out = dict(schema)
    if "properties" in schema:
        out["properties"] = {k: json_schema(v, components) for k, v in schema["properties"].items()}
    if "items" in schema:
        out["items"] = json_schema(schema["items"], components)
    return out


def operations(app) -> list[Operation]:
    spec = app.openapi_schema.to_schema()
    components = spec.get("components", {}).get("schemas", {})
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            query = {p["name"]: json_schema(p.get("schema", {}), components)
                     for p in op.get("parameters", []) if p["in"] == "query"}
            content = op.get("requestBody", {}).get("content", {})
            body = json_schema(content["application/json"]["schema"], components) \
                if "application/json" in content else None
            out.append(Operation(method.upper(), path, query, body))
    return out


def hostile_values(schema: dict) -> list[Any]:
    """Values of the schema's type that no column can take: too big, too small, not a date."""
    kind, fmt = schema.get("type"), schema.get("format")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if fmt == "date":
        return ["0001-01-01", "1899-12-31", "10000-01-01", 20261205]
    if fmt == "date-time":
        return ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "1899-12-31T23:00:00+00:00", 20261205]
    if kind == "integer" and "enum" not in schema:
        top, bottom = schema.get("maximum"), schema.get("minimum")
        return [top + 1 if top is not None else 2**63, 10**30, -(10**30), *([bottom - 1] if bottom is not None else [])]
    if kind == "string" and "maximum" in schema:  # a decimal: money, quantity, percent
        return ["1e15", "-1e15", "1000000000000", "99999999999999999999.99", "1E+400", "NaN", "Infinity"]
    return []
