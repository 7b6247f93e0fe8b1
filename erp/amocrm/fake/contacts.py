"""Contacts of the fake amoCRM: amoCRM API v4's shapes for ``GET /api/v4/contacts/{id}``, ``PATCH
/api/v4/contacts``, the lead's ``_embedded.contacts`` (``?with=contacts``) and the ``update_contact`` and
``delete_contact`` webhooks.

A contact has a ``name`` (with ``first_name``/``last_name``) and the account's two system
``multitext`` fields: «Телефон» (``field_code`` ``PHONE``, enums ``WORK``, ``WORKDD``, ``MOB``, ``FAX``,
``HOME``, ``OTHER``) and «Email» (``EMAIL``: ``WORK``, ``PRIV``, ``OTHER``). The API answers them in
``custom_fields_values`` as ``{"field_id", "field_name", "field_code", "field_type", "values": [{"value",
"enum_id", "enum_code"}]}``; a PATCH names a field by ``field_id`` or ``field_code``, each value with
an optional ``enum_code`` or ``enum_id`` (``WORK`` if neither), and ``"values": null`` clears the
field. The webhook speaks the older layout amoCRM still sends (``contacts[update][0][custom_fields][0]
[id|name|code]``, ``…[values][0][value|enum]``), the whole contact as it is after the change; a deleted
contact's webhook carries its id and type only (``contacts[delete][0][id]``, ``…[type]=contact``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from erp.amocrm.fake.values import error, is_int, type_error

PHONE_FIELD_ID, EMAIL_FIELD_ID = 1_200_001, 1_200_002
ENUMS = {
    PHONE_FIELD_ID: {"WORK": 6_000_001, "WORKDD": 6_000_002, "MOB": 6_000_003, "FAX": 6_000_004, "HOME": 6_000_005,
                     "OTHER": 6_000_006},
    EMAIL_FIELD_ID: {"WORK": 6_000_011, "PRIV": 6_000_012, "OTHER": 6_000_013},
}
FIELDS = {PHONE_FIELD_ID: ("Телефон", "PHONE"), EMAIL_FIELD_ID: ("Email", "EMAIL")}
BY_CODE = {code: field_id for field_id, (_, code) in FIELDS.items()}


@dataclass
class Contact:
    id: int
    name: str
    created_at: int
    updated_at: int
    first_name: str = ""
    last_name: str = ""
    responsible_user_id: int = 0
    # field id -> [(value, enum_code)]
    values: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    def custom_fields_values(self) -> list[dict[str, Any]] | None:
        out = []
        for field_id, values in self.values.items():
            name, code = FIELDS[field_id]
            out.append({"field_id": field_id, "field_name": name, "field_code": code, "field_type": "multitext",
                        "values": [{"value": v, "enum_id": ENUMS[field_id][e], "enum_code": e} for v, e in values]})
        return out or None

    def to_json(self, origin: str, account_id: int) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "first_name": self.first_name, "last_name": self.last_name,
            "responsible_user_id": self.responsible_user_id, "group_id": 0, "created_by": 0, "updated_by": 0,
            "created_at": self.created_at, "updated_at": self.updated_at, "closest_task_at": None,
            "is_deleted": False, "is_unsorted": False, "custom_fields_values": self.custom_fields_values(),
            "account_id": account_id, "_links": {"self": {"href": f"{origin}/api/v4/contacts/{self.id}"}},
            "_embedded": {"tags": [], "companies": []},
        }


def typed_values(field_id: int, values: list[str] | list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``["+7…"]`` or ``[("+7…", "MOB")]`` as stored: each value with its enum code (``WORK`` by default)."""
    return [(v, "WORK") if isinstance(v, str) else (v[0], v[1]) for v in values]


def embedded(contacts: list[tuple[int, bool]], origin: str) -> list[dict[str, Any]]:
    """A lead's ``_embedded.contacts``: each linked contact's id, ``is_main`` and link."""
    return [{"id": contact_id, "is_main": is_main,
             "_links": {"self": {"href": f"{origin}/api/v4/contacts/{contact_id}"}}}
            for contact_id, is_main in contacts]


@dataclass
class ContactUpdate:
    request_id: str
    contact_id: int
    scalars: dict[str, str] = field(default_factory=dict)
    values: dict[int, list[tuple[str, str]] | None] = field(default_factory=dict)


def _field_values(field_id: int, raw: Any, path: str) -> tuple[list[tuple[str, str]] | None, list[dict]]:
    if raw is None:
        return None, []
    if not isinstance(raw, list):
        return None, [type_error(path, "array")]
    out, errors = [], []
    by_id = {v: k for k, v in ENUMS[field_id].items()}
    for i, item in enumerate(raw):
        here = f"{path}.{i}"
        if not isinstance(item, dict):
            errors.append(type_error(here, "object"))
            continue
        value = item.get("value")
        if not isinstance(value, str) or not value.strip():
            errors.append(error("NotBlank", f"{here}.value", "This value should not be blank."))
            continue
        code = item.get("enum_code")
        if code is None and item.get("enum_id") is not None:
            code = by_id.get(item["enum_id"]) if is_int(item["enum_id"]) else None
            if code is None:
                errors.append(error("NotSupportedChoice", f"{here}.enum_id", "The value you selected is not a valid"
                                                                             " choice."))
                continue
        code = code or "WORK"
        if code not in ENUMS[field_id]:
            errors.append(error("NotSupportedChoice", f"{here}.enum_code", "The value you selected is not a valid"
                                                                           " choice."))
            continue
        out.append((value.strip(), code))
    return out, errors


def validate(item: Any, index: int, exists) -> tuple[ContactUpdate | None, dict | None]:
    """One item of ``PATCH /api/v4/contacts``: the update, or its ``validation-errors`` entry."""
    request_id = str(index)
    if not isinstance(item, dict):
        return None, {"request_id": request_id, "errors": [type_error("", "object")]}
    if isinstance(item.get("request_id"), str):
        request_id = item["request_id"]
    errors = []
    contact_id = item.get("id")
    if not is_int(contact_id) or not exists(contact_id):
        errors.append(error("NotFound", "id", "Entity not found."))
    update = ContactUpdate(request_id, contact_id if is_int(contact_id) else 0)
    for key in ("name", "first_name", "last_name"):
        if key in item:
            if not isinstance(item[key], str):
                errors.append(type_error(key, "string"))
            elif key == "name" and not item[key].strip():
                errors.append(error("NotBlank", key, "This value should not be blank."))
            else:
                update.scalars[key] = item[key].strip()
    custom = item.get("custom_fields_values")
    if custom is not None and not isinstance(custom, list):
        errors.append(type_error("custom_fields_values", "array"))
        custom = []
    for i, entry in enumerate(custom or ()):
        path = f"custom_fields_values.{i}"
        if not isinstance(entry, dict):
            errors.append(type_error(path, "object"))
            continue
        field_id = entry.get("field_id") if is_int(entry.get("field_id")) else BY_CODE.get(entry.get("field_code"))
        if field_id not in FIELDS:
            errors.append(error("NotFound", f"{path}.field_id", "Field not found."))
            continue
        values, problems = _field_values(field_id, entry.get("values"), f"{path}.values")
        errors += problems
        update.values[field_id] = values or None
    if errors:
        return None, {"request_id": request_id, "errors": errors}
    return update, None


def apply(contact: Contact, update: ContactUpdate, now: int) -> None:
    for key, value in update.scalars.items():
        setattr(contact, key, value)
    for field_id, values in update.values.items():
        if values:
            contact.values[field_id] = values
        else:
            contact.values.pop(field_id, None)
    contact.updated_at = now


def update_payload(contact: Contact, account_id: int, subdomain: str, origin: str) -> str:
    """The ``update_contact`` webhook body for ``contact`` as it is now."""
    prefix = "contacts[update][0]"
    pairs = [(f"{prefix}[{k}]", str(v)) for k, v in (
        ("id", contact.id), ("name", contact.name), ("responsible_user_id", contact.responsible_user_id),
        ("date_create", contact.created_at), ("last_modified", contact.updated_at), ("created_user_id", 0),
        ("modified_user_id", 0), ("account_id", account_id), ("created_at", contact.created_at),
        ("updated_at", contact.updated_at), ("type", "contact"))]
    for i, (field_id, values) in enumerate(contact.values.items()):
        name, code = FIELDS[field_id]
        here = f"{prefix}[custom_fields][{i}]"
        pairs += [(f"{here}[id]", str(field_id)), (f"{here}[name]", name), (f"{here}[code]", code)]
        for j, (value, enum) in enumerate(values):
            pairs += [(f"{here}[values][{j}][value]", value),
                      (f"{here}[values][{j}][enum]", str(ENUMS[field_id][enum]))]
    pairs += [("account[subdomain]", subdomain), ("account[id]", str(account_id)), ("account[_links][self]", origin)]
    return urlencode(pairs)


def delete_payload(contact_id: int, account_id: int, subdomain: str, origin: str) -> str:
    """The ``delete_contact`` webhook body: the contact's id and type, and the account."""
    return urlencode([("contacts[delete][0][id]", str(contact_id)), ("contacts[delete][0][type]", "contact"),
                      ("account[subdomain]", subdomain), ("account[id]", str(account_id)),
                      ("account[_links][self]", origin)])
