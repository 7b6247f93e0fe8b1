"""Шаблоны документов: the print templates an administrator keeps, and the variables of their own.

A template prints one kind (:data:`erp.printing.forms.SOURCES`) as one document type
(the «Типы документов» catalog). The standard forms (the invoice, the act, the
contract) ship in the package; editing one stores a copy that overrides the
shipped text until «Восстановить стандартный» deletes it. A form is named in
URLs by its name: the standard ones by theirs (``invoice``), the administrator's
as ``t{id}``.

Saving checks the text (:func:`erp.printing.sandbox.check`) and fills it once with
example data in the sandbox, so a template that would fail or be refused at
print time is refused when it is saved, with the reason and nothing written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import asyncpg

from erp.platform.errors import NotFound, ValidationError

from . import render, sandbox, variables
from .forms import FORMS, SOURCES, Form

USER_FORM = re.compile(r"t(\d{1,18})")
LINK = re.compile(r"(https?://|mailto:)[^\s<>\"']+")


@dataclass(frozen=True)
class TemplateIn:
    name: str
    kind: str
    document_type_id: int | None
    body: str
    active: bool = True


def shipped_text(form_name: str) -> str:
    """The standard form's text as it ships in the package."""
    return files("erp.printing").joinpath("templates", FORMS[form_name].template).read_text(encoding="utf-8")


def user_form_name(template_id: int) -> str:
    return f"t{template_id}"


async def document_types(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT id, name, predefined FROM cat_document_types WHERE NOT deletion_mark"
                            " AND NOT is_group ORDER BY sort_order, name, id")
    return [dict(r) for r in rows]


async def _type_named(conn: asyncpg.Connection, name: str) -> int | None:
    return await conn.fetchval("SELECT id FROM cat_document_types WHERE name = $1 ORDER BY (predefined IS NULL), id"
                               " LIMIT 1", name)


async def list_templates(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    """Every template: the standard forms (changed or not) first, then the administrator's own."""
    rows = await conn.fetch("SELECT t.id, t.name, t.kind, t.standard, t.active, t.updated_at, t.document_type_id,"
                            " d.name AS document_type FROM print_templates t"
                            " JOIN cat_document_types d ON d.id = t.document_type_id ORDER BY t.kind, t.name, t.id")
    stored = {r["standard"]: dict(r) for r in rows if r["standard"]}
    out = []
    for form in FORMS.values():
        if form.kind not in SOURCES:
            continue
        copy = stored.get(form.name)
        out.append({"form": form.name, "name": copy["name"] if copy else form.title, "kind": form.kind,
                    "document_type": copy["document_type"] if copy else form.document_type, "standard": form.name,
                    "changed": copy is not None, "active": True, "updated_at": copy["updated_at"] if copy else None,
                    "id": copy["id"] if copy else None})
    out += [{**dict(r), "form": user_form_name(r["id"]), "changed": False} for r in rows if not r["standard"]]
    return out


async def get_template(conn: asyncpg.Connection, form_name: str) -> dict[str, Any]:
    """A template to edit: a standard form (its stored copy, else the shipped text) or the administrator's own."""
    if form_name in FORMS and FORMS[form_name].kind in SOURCES:
        form = FORMS[form_name]
        row = await conn.fetchrow("SELECT * FROM print_templates WHERE standard = $1", form_name)
        if row is not None:
            return {**dict(row), "form": form_name, "changed": True}
        return {"id": None, "form": form_name, "name": form.title, "kind": form.kind, "standard": form_name,
                "document_type_id": await _type_named(conn, form.document_type), "body": shipped_text(form_name),
                "active": True, "changed": False}
    found = USER_FORM.fullmatch(form_name)
    row = await conn.fetchrow("SELECT * FROM print_templates WHERE id = $1 AND standard IS NULL",
                              int(found.group(1))) if found else None
    if row is None:
        raise NotFound(f"Шаблон «{form_name}» не найден", code="template_not_found")
    return {**dict(row), "form": form_name, "changed": False}


async def user_variables(conn: asyncpg.Connection, kind: str | None = None) -> list[dict[str, Any]]:
    """The administrator's variables (of ``kind`` and of every kind, or all when ``kind`` is None)."""
    rows = await conn.fetch("SELECT id, name, title, kind, value_type, value, updated_at FROM print_variables"
                            " WHERE $1::text IS NULL OR kind IS NULL OR kind = $1 ORDER BY name", kind)
    return [dict(r) for r in rows]


async def check_body(conn: asyncpg.Connection, kind: str, body: str, *, form: Form | None = None,
                     skip_variable: str | None = None) -> None:
    """Refuse a text that would fail at print time (syntax, files, unknown variables, limits)."""
    mine = [v for v in await user_variables(conn, kind) if v["name"] != skip_variable]
    names = {v["name"]: v["title"] for v in mine}
    sandbox.check(body, variables.tree(names), names)
    form = form or Form("check", "Шаблон", kind, "", "", source=SOURCES[kind])
    data = variables.sample(form)
    values, combined = variables.derived_values(mine)
    example = variables.build(data, {"director": None, "accountant": None, "stamp": None},
                              user={"name": "Администратор", "username": "admin"}, inline_css="",
                              lines_table=render.lines_table_html(data), today=dt.date(2026, 1, 15),
                              derived=values)
    await sandbox.render_many(body, [example], combined)


def _fields(values: TemplateIn) -> dict[str, str]:
    problems = {}
    if not values.name.strip():
        problems["name"] = "укажите название шаблона"
    elif len(values.name) > 200:
        problems["name"] = "не длиннее 200 символов"
    if values.kind not in SOURCES:
        problems["kind"] = "выберите вид документа из списка"
    if not values.body.strip():
        problems["body"] = "шаблон пуст"
    return problems


async def save_template(conn: asyncpg.Connection, form_name: str | None, values: TemplateIn,
                        user_id: int | None) -> str:
    """Create (``form_name`` None) or change a template; the form name it prints as."""
    problems = _fields(values)
    standard = form_name if form_name in FORMS else None
    if standard:  # a standard form keeps its kind
        values = dataclasses.replace(values, kind=FORMS[standard].kind)
        problems.pop("kind", None)
    if values.document_type_id is None:  # not chosen: «Прочее»
        values = dataclasses.replace(values, document_type_id=await conn.fetchval(
            "SELECT id FROM cat_document_types WHERE predefined = 'other'"))
    if values.document_type_id is None or not await conn.fetchval(
            "SELECT true FROM cat_document_types WHERE id = $1 AND NOT deletion_mark", values.document_type_id):
        problems["document_type_id"] = "тип документа не найден"
    if problems:
        raise ValidationError("Шаблон не записан: " + "; ".join(problems.values()), code="template_invalid",
                              details={"fields": problems})
    form = dataclasses.replace(FORMS[standard], body=values.body) if standard else None
    await check_body(conn, values.kind, values.body, form=form)
    async with conn.transaction():
        if standard:
            return await _save_standard(conn, standard, values, user_id)
        if form_name is None:
            new_id = await conn.fetchval(
                "INSERT INTO print_templates (name, kind, document_type_id, body, active, updated_by, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING id", values.name.strip(), values.kind,
                values.document_type_id, values.body, values.active, user_id)
            return user_form_name(new_id)
        current = await get_template(conn, form_name)
        await conn.execute("UPDATE print_templates SET name = $2, kind = $3, document_type_id = $4, body = $5,"
                           " active = $6, updated_by = $7, updated_at = now() WHERE id = $1", current["id"],
                           values.name.strip(), values.kind, values.document_type_id, values.body, values.active,
                           user_id)
        return form_name


async def _save_standard(conn: asyncpg.Connection, standard: str, values: TemplateIn, user_id: int | None) -> str:
    await conn.execute(
        "INSERT INTO print_templates (name, kind, document_type_id, body, standard, active, updated_by, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, true, $6, now()) ON CONFLICT (standard) DO UPDATE SET name = EXCLUDED.name,"
        " document_type_id = EXCLUDED.document_type_id, body = EXCLUDED.body, updated_by = EXCLUDED.updated_by,"
        " updated_at = now()", values.name.strip(), values.kind, values.document_type_id, values.body, standard,
        user_id)
    return standard


async def restore_standard(conn: asyncpg.Connection, form_name: str) -> None:
    """«Восстановить стандартный»: the stored copy goes, the shipped text prints again."""
    if form_name not in FORMS:
        raise NotFound(f"Стандартный шаблон «{form_name}» не найден", code="template_not_found")
    await conn.execute("DELETE FROM print_templates WHERE standard = $1", form_name)


async def delete_template(conn: asyncpg.Connection, form_name: str) -> None:
    current = await get_template(conn, form_name)
    if current["standard"]:
        raise ValidationError("Стандартный шаблон не удаляется: его можно только восстановить",
                              code="template_standard")
    await conn.execute("DELETE FROM print_templates WHERE id = $1", current["id"])


# -- the «Печать ▾» menu and printing ----------------------------------------------------------------------------------

async def menu(conn: asyncpg.Connection, kind: str) -> list[tuple[str, str]]:
    """``(form name, title)`` of every form that prints ``kind``: the standard ones, then the administrator's."""
    rows = await conn.fetch("SELECT id, name, standard FROM print_templates WHERE kind = $1 AND active"
                            " ORDER BY standard IS NULL, name, id", kind)
    renamed = {r["standard"]: r["name"] for r in rows if r["standard"]}
    out = [(f.name, renamed.get(f.name, f.title)) for f in FORMS.values() if f.kind == kind]
    return out + [(user_form_name(r["id"]), r["name"]) for r in rows if not r["standard"]]


async def resolve(conn: asyncpg.Connection, kind: str, name: str | None) -> Form:
    """The form ``name`` of ``kind`` (its first form when empty), with the stored text when there is one."""
    found = USER_FORM.fullmatch(name or "")
    if found:
        row = await conn.fetchrow("SELECT t.id, t.name, t.kind, t.body, d.name AS document_type FROM print_templates t"
                                  " JOIN cat_document_types d ON d.id = t.document_type_id"
                                  " WHERE t.id = $1 AND t.standard IS NULL AND t.active", int(found.group(1)))
        if row is not None and row["kind"] == kind:
            return Form(name or "", row["name"], kind, "", row["document_type"], source=SOURCES[kind],
                        body=row["body"])
    standard = [f for f in FORMS.values() if f.kind == kind]
    form = next((f for f in standard if f.name == name), None) if name else (standard[0] if standard else None)
    if form is None and not found:
        available = await menu(conn, kind)
        if not available:
            raise NotFound(f"У документов вида «{kind}» нет печатных форм", code="no_print_forms")
        names = ", ".join(n for n, _ in available)
        raise ValidationError(f"form: у документа нет печатной формы «{name}» (есть: {names})",
                              code="unknown_print_form", details={"fields": {"form": f"допустимые: {names}"}})
    if form is None:
        raise NotFound(f"Шаблон «{name}» не найден или отключён", code="template_not_found")
    row = await conn.fetchrow("SELECT t.name, t.body, d.name AS document_type FROM print_templates t"
                              " JOIN cat_document_types d ON d.id = t.document_type_id WHERE t.standard = $1",
                              form.name)
    if row is None:
        return form
    return dataclasses.replace(form, title=row["name"], document_type=row["document_type"], body=row["body"])


# -- the administrator's variables -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VariableIn:
    name: str
    title: str
    kind: str | None
    value_type: str
    value: str


async def save_variable(conn: asyncpg.Connection, variable_id: int | None, values: VariableIn,
                        user_id: int | None) -> int:
    problems: dict[str, str] = {}
    catalog_names = set(variables.tree())
    if not variables.NAME.fullmatch(values.name):
        problems["name"] = "латинские строчные буквы, цифры и _, начиная с буквы"
    elif values.name in catalog_names or values.name in sandbox.GLOBALS:
        problems["name"] = "так называется переменная из каталога: выберите другое имя"
    elif await conn.fetchval("SELECT true FROM print_variables WHERE name = $1 AND id IS DISTINCT FROM $2",
                             values.name, variable_id):
        problems["name"] = "переменная с таким именем уже есть"
    if not values.title.strip() or len(values.title) > 200:
        problems["title"] = "укажите описание (до 200 символов)"
    if values.kind is not None and values.kind not in SOURCES:
        problems["kind"] = "выберите вид документа из списка"
    if values.value_type not in variables.VALUE_TYPES:
        problems["value_type"] = "выберите: текст, ссылка или сочетание переменных"
    if not values.value.strip():
        problems["value"] = "укажите значение"
    elif values.value_type == "link" and not LINK.fullmatch(values.value.strip()):
        problems["value"] = "ссылка начинается с http://, https:// или mailto:"
    if problems:
        raise ValidationError("Переменная не записана: " + "; ".join(problems.values()), code="variable_invalid",
                              details={"fields": problems})
    if values.value_type == "template":
        for kind in [values.kind] if values.kind else list(SOURCES):
            try:
                await check_body(conn, kind, values.value, skip_variable=values.name)
            except ValidationError as exc:
                message = exc.args[0] if exc.args else str(exc)
                raise ValidationError(f"Переменная не записана: {message}", code=exc.code,
                                      details={"fields": {"value": message}}) from None
    value = values.value.strip() if values.value_type == "link" else values.value
    if variable_id is None:
        return await conn.fetchval(
            "INSERT INTO print_variables (name, title, kind, value_type, value, updated_by, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING id", values.name, values.title.strip(), values.kind,
            values.value_type, value, user_id)
    updated = await conn.fetchval(
        "UPDATE print_variables SET name = $2, title = $3, kind = $4, value_type = $5, value = $6, updated_by = $7,"
        " updated_at = now() WHERE id = $1 RETURNING id", variable_id, values.name, values.title.strip(), values.kind,
        values.value_type, value, user_id)
    if updated is None:
        raise NotFound(f"Переменная с id {variable_id} не найдена", code="variable_not_found")
    return updated


async def delete_variable(conn: asyncpg.Connection, variable_id: int) -> None:
    name = await conn.fetchval("SELECT name FROM print_variables WHERE id = $1", variable_id)
    if name is None:
        raise NotFound(f"Переменная с id {variable_id} не найдена", code="variable_not_found")
    users = await conn.fetch("SELECT name, body FROM print_templates")
    using = sorted(r["name"] for r in users if re.search(rf"\b{re.escape(name)}\b", r["body"]))
    if using:
        raise ValidationError(f"Переменная «{name}» используется в шаблонах: {', '.join(using)}",
                              code="variable_in_use", details={"templates": using})
    await conn.execute("DELETE FROM print_variables WHERE id = $1", variable_id)
