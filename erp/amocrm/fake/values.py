"""Validation of lead updates the way amoCRM API v4 does it, for the fake amoCRM.

amoCRM answers an invalid ``PATCH /api/v4/leads`` with 400 and ``validation-errors``: one entry
per failing item (``request_id`` is the item's own ``request_id`` or its index as a string), each
error naming a ``code``, a dotted ``path`` into the item (``custom_fields_values.0.field_id``) and a
``detail`` in Symfony validator wording. The functions here produce exactly that, and the values
amoCRM would store: numeric values come back as strings, dates as Unix timestamps, select values as
``{"value", "enum_id", "enum_code"}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from erp.amocrm.fake.state import ENUM_TYPES, CustomField

NOT_A_CHOICE = "The value you selected is not a valid choice."


def error(code: str, path: str, detail: str) -> dict[str, str]:
    return {"code": code, "path": path, "detail": detail}


def type_error(path: str, type_name: str) -> dict[str, str]:
    return error("InvalidType", path, f"This value should be of type {type_name}.")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class LeadUpdate:
    """One validated item of a lead PATCH, ready to apply."""

    request_id: str
    lead_id: int
    scalars: dict[str, Any] = field(default_factory=dict)
    custom_fields: list[tuple[CustomField, list[dict[str, Any]] | None]] = field(default_factory=list)


def validate_lead_update(
    item: Any, index: int, fields_by_id: dict[int, CustomField], lead_exists: Any, lead_id: int | None = None,
) -> tuple[LeadUpdate | None, dict[str, Any] | None]:
    """Check one update. Returns ``(update, None)`` or ``(None, validation_error_entry)``.

    ``lead_id`` comes from the URL of ``PATCH /api/v4/leads/{id}`` and overrides the body's ``id``.
    ``lead_exists`` is a predicate on a lead id.
    """
    request_id = str(index)
    if not isinstance(item, dict):
        return None, {"request_id": request_id, "errors": [type_error("", "object")]}
    if isinstance(item.get("request_id"), str):
        request_id = item["request_id"]
    errors: list[dict[str, str]] = []
    if lead_id is None:
        lead_id = item.get("id")
        if lead_id is None:
            errors.append(error("NotBlank", "id", "This value should not be blank."))
        elif not is_int(lead_id):
            errors.append(type_error("id", "int"))
    if is_int(lead_id) and not lead_exists(lead_id):
        errors.append(error("NotFound", "id", "Entity not found."))
    update = LeadUpdate(request_id, lead_id if is_int(lead_id) else 0)
    if "price" in item:
        if is_int(item["price"]):
            update.scalars["price"] = item["price"]
        else:
            errors.append(type_error("price", "int"))
    if "name" in item:
        if isinstance(item["name"], str):
            update.scalars["name"] = item["name"]
        else:
            errors.append(type_error("name", "string"))
    for key in ("status_id", "pipeline_id"):
        if key in item:
            if is_int(item[key]):
                update.scalars[key] = item[key]
            else:
                errors.append(type_error(key, "int"))
    cfv = item.get("custom_fields_values")
    if cfv is not None and not isinstance(cfv, list):
        errors.append(type_error("custom_fields_values", "array"))
    for i, entry in enumerate(cfv if isinstance(cfv, list) else ()):
        path = f"custom_fields_values.{i}"
        if not isinstance(entry, dict):
            errors.append(type_error(path, "object"))
            continue
        field_id = entry.get("field_id")
        fld = fields_by_id.get(field_id) if is_int(field_id) else None
        if fld is None:
            errors.append(error("NotSupportedChoice", f"{path}.field_id", NOT_A_CHOICE))
            continue
        values, value_errors = field_values(fld, entry.get("values"), f"{path}.values")
        errors.extend(value_errors)
        update.custom_fields.append((fld, values))
    if errors:
        return None, {"request_id": request_id, "errors": errors}
    return update, None


def field_values(
    fld: CustomField, raw: Any, path: str,
) -> tuple[list[dict[str, Any]] | None, list[dict[str, str]]]:
    """Normalize the ``values`` of one custom field; ``None`` (or ``[]``) clears the field."""
    if raw is None or raw == []:
        return None, []
    if not isinstance(raw, list):
        return None, [type_error(path, "array")]
    if fld.type != "multiselect" and len(raw) > 1:
        return None, [error("NotSupportedChoice", path, "This field accepts a single value.")]
    values: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for j, item in enumerate(raw):
        item_path = f"{path}.{j}"
        if not isinstance(item, dict):
            errors.append(type_error(item_path, "object"))
        elif fld.type in ENUM_TYPES:
            enum = None
            if "enum_id" in item:
                key = "enum_id"
                enum = fld.enum_by_id(item["enum_id"]) if is_int(item["enum_id"]) else None
            else:
                key = "value"
                enum = fld.enum_by_value(item["value"]) if isinstance(item.get("value"), str) else None
            if enum is None:
                errors.append(error("NotSupportedChoice", f"{item_path}.{key}", NOT_A_CHOICE))
            else:
                values.append({"value": enum["value"], "enum_id": enum["id"], "enum_code": None})
        elif "value" not in item:
            errors.append(error("NotBlank", f"{item_path}.value", "This value should not be blank."))
        else:
            try:
                values.append({"value": scalar_value(fld.type, item["value"])})
            except ValueError as exc:
                errors.append(type_error(f"{item_path}.value", str(exc)))
    return values, errors


def scalar_value(field_type: str, value: Any) -> Any:
    """The value amoCRM stores for a non-enum field, or ``ValueError(expected type name)``."""
    if field_type == "checkbox":
        if not isinstance(value, bool):
            raise ValueError("bool")
        return value
    if field_type == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("numeric")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("numeric") from None
        if not number.is_finite():
            raise ValueError("numeric")
        return format(number, "f")
    if field_type in ("date", "date_time", "birthday"):
        if is_int(value):
            return value
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise ValueError("timestamp") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return int(moment.timestamp())
        raise ValueError("timestamp")
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    raise ValueError("string")
