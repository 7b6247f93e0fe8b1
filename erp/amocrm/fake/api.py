"""The amoCRM API v4 endpoints of the fake amoCRM, as synchronous handlers.

:class:`AmoApi` owns the account's data (custom fields, leads, notes, webhooks) and turns a
:class:`~erp.amocrm.fake.http.Request` into a :class:`~erp.amocrm.fake.http.Response`. It knows
nothing about rate limits, injected faults, latency or tokens: :class:`erp.amocrm.fake.FakeAmo` puts
those (and :class:`erp.amocrm.fake.oauth.OAuth`) in front and calls these handlers under its lock.

Faked: ``GET /api/v4/account``, ``GET``/``POST /api/v4/leads/custom_fields``,
``GET /api/v4/leads/custom_fields/{id}``, ``GET /api/v4/leads/pipelines`` and
``GET /api/v4/leads/pipelines/{id}`` (``_embedded.statuses`` in each pipeline; tests add pipelines
with ``FakeAmo.add_pipeline``), ``GET``/``PATCH /api/v4/leads/{id}``, ``PATCH
/api/v4/leads``, ``GET``/``POST /api/v4/leads/{id}/notes``, ``POST /api/v4/leads/notes`` and
``GET``/``POST``/``DELETE /api/v4/webhooks``, ``GET /api/v4/contacts/{id}``, ``PATCH /api/v4/contacts``
and ``GET /api/v4/leads/{id}?with=contacts`` (:mod:`erp.amocrm.fake.contacts`). Not faked: listing or
creating leads or contacts over the API (tests add them with ``FakeAmo.add_lead`` and
``FakeAmo.add_contact``), companies, changing pipelines, users, tags, other ``with=`` expansions and
filters.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from erp.amocrm.fake import contacts as contact_shapes
from erp.amocrm.fake.contacts import Contact
from erp.amocrm.fake.http import BadRequestBody, Request, Response
from erp.amocrm.fake.state import (
    ENUM_TYPES,
    FIELD_TYPES,
    STATUS_LOST,
    STATUS_WON,
    TOO_MANY_ENTITIES,
    CustomField,
    FakeConfig,
    Lead,
    Note,
    Pipeline,
    Webhook,
    preset_fields,
    preset_pipelines,
)
from erp.amocrm.fake.values import error, validate_lead_update

NOTE_TYPES = {"common", "call_in", "call_out", "service_message", "message_cashier", "geolocation",
              "sms_in", "sms_out", "extended_service_message", "attachment"}


def validation_failed(entries: list[dict[str, Any]]) -> Response:
    return Response.problem(400, "Bad Request", "Request validation failed", **{"validation-errors": entries})


def too_many_entities() -> Response:
    return validation_failed([{"request_id": "0", "errors": [error(
        "TooManyElements", "", f"This collection should contain {TOO_MANY_ENTITIES} elements or less.")]}])


class AmoApi:
    """The data of one amoCRM account and the API v4 calls on it (authentication is done before)."""

    def __init__(self, config: FakeConfig, clock: Callable[[], float], *, account_id: int, subdomain: str,
                 account_name: str) -> None:
        self.config = config
        self.clock = clock
        self.account_id, self.subdomain, self.account_name = account_id, subdomain, account_name
        self.created_at = int(clock())
        self.fields: list[CustomField] = preset_fields(config)
        self.leads: dict[int, Lead] = {}
        self.pipelines: dict[int, Pipeline] = {p.id: p for p in preset_pipelines()}
        self.notes: dict[int, list[Note]] = {}
        self.contacts: dict[int, Contact] = {}
        self.deleted_contacts: set[int] = set()  # deleted by a manager: a PATCH naming one is a 404
        self.webhooks: dict[str, Webhook] = {}
        self._next_field_id, self._next_enum_id = 1_100_001, 4_000_001
        self._next_note_id, self._next_webhook_id = 70_000_001, 1
        self._routes: list[tuple[re.Pattern[str], dict[str, Callable[..., Response]]]] = [
            (re.compile(r"/api/v4/account"), {"GET": self.get_account}),
            (re.compile(r"/api/v4/leads/custom_fields"),
             {"GET": self.list_fields, "POST": self.add_fields}),
            (re.compile(r"/api/v4/leads/custom_fields/(\d+)"), {"GET": self.get_field}),
            (re.compile(r"/api/v4/leads/pipelines"), {"GET": self.list_pipelines}),
            (re.compile(r"/api/v4/leads/pipelines/(\d+)"), {"GET": self.get_pipeline}),
            (re.compile(r"/api/v4/leads"), {"PATCH": self.patch_leads}),
            (re.compile(r"/api/v4/leads/notes"), {"POST": self.add_notes}),
            (re.compile(r"/api/v4/leads/(\d+)"), {"GET": self.get_lead, "PATCH": self.patch_lead}),
            (re.compile(r"/api/v4/leads/(\d+)/notes"), {"GET": self.list_notes, "POST": self.add_lead_notes}),
            (re.compile(r"/api/v4/contacts"), {"PATCH": self.patch_contacts}),
            (re.compile(r"/api/v4/contacts/(\d+)"), {"GET": self.get_contact}),
            (re.compile(r"/api/v4/webhooks"),
             {"GET": self.list_webhooks, "POST": self.add_webhook, "DELETE": self.delete_webhook}),
        ]

    # ----------------------------------------------------------------- catalogue and data helpers

    def rebuild_presets(self) -> None:
        """Re-create the preset fields after a catalogue knob changed; fields added over the API stay."""
        self.fields = preset_fields(self.config) + [f for f in self.fields if not f.preset]

    def fields_by_id(self) -> dict[int, CustomField]:
        return {f.id: f for f in self.fields}

    def field_named(self, name: str) -> CustomField | None:
        return next((f for f in self.fields if f.name == name), None)

    def account_json(self, origin: str) -> dict[str, Any]:
        return {
            "id": self.account_id, "name": self.account_name, "subdomain": self.subdomain,
            "created_at": self.created_at, "created_by": 0, "updated_at": self.created_at, "updated_by": 0,
            "current_user_id": 1, "country": "RU", "currency": "RUB", "currency_symbol": "₽",
            "customers_mode": "disabled", "is_unsorted_on": True, "mobile_feature_version": 0,
            "is_loss_reason_enabled": True, "is_helpbot_enabled": False, "is_technical_account": False,
            "contact_name_display_order": 1, "_links": {"self": {"href": f"{origin}/api/v4/account"}},
        }

    # ---------------------------------------------------------------------------------- routing

    def dispatch(self, request: Request) -> Response:
        for pattern, methods in self._routes:
            match = pattern.fullmatch(request.path.rstrip("/") or "/")
            if match:
                handler = methods.get(request.method)
                if handler is None:
                    return Response.problem(405, "Method Not Allowed", f"{request.method} is not allowed here")
                try:
                    return handler(request, *(int(g) for g in match.groups()))
                except BadRequestBody as exc:
                    return Response.problem(400, "Bad Request", str(exc))
        return Response.problem(404, "Not Found", "The requested API method was not found")

    def get_account(self, request: Request) -> Response:
        return Response.json(self.account_json(request.origin))

    # ---------------------------------------------------------------------------- custom fields

    def list_fields(self, request: Request) -> Response:
        try:
            page = int(request.query_one("page") or 1)
            limit = int(request.query_one("limit") or 50)
        except ValueError:
            return Response.problem(400, "Bad Request", "page and limit must be integers")
        if page < 1 or limit < 1:
            return Response.problem(400, "Bad Request", "page and limit must be positive")
        limit = min(limit, 250)
        size = min(limit, self.config.custom_fields_page_size)
        ordered = sorted(self.fields, key=lambda f: (f.sort, f.id))
        chunk = ordered[(page - 1) * size: page * size]
        if not chunk:
            return Response.empty()
        page_count = -(-len(ordered) // size)
        base = f"{request.origin}/api/v4/leads/custom_fields"
        links: dict[str, Any] = {"self": {"href": f"{base}?page={page}&limit={limit}"}}
        if page < page_count:
            links["next"] = {"href": f"{base}?page={page + 1}&limit={limit}"}
        if page > 1:
            links["prev"] = {"href": f"{base}?page={page - 1}&limit={limit}"}
        return Response.json({
            "_total_items": len(ordered), "_page": page, "_page_count": page_count, "_links": links,
            "_embedded": {"custom_fields": [f.to_json(request.origin, self.account_id) for f in chunk]},
        })

    def get_field(self, request: Request, field_id: int) -> Response:
        fld = self.fields_by_id().get(field_id)
        if fld is None:
            return Response.empty()
        return Response.json(fld.to_json(request.origin, self.account_id))

    def add_fields(self, request: Request) -> Response:
        items = request.json()
        if not isinstance(items, list) or not items:
            return Response.problem(400, "Bad Request", "The body must be a non-empty JSON array")
        if len(items) > TOO_MANY_ENTITIES:
            return too_many_entities()
        failures, created = [], []
        for index, item in enumerate(items):
            errors = []
            if not isinstance(item, dict):
                item = {}
                errors.append(error("InvalidType", "", "This value should be of type object."))
            if not isinstance(item.get("name"), str) or not item.get("name", "").strip():
                errors.append(error("NotBlank", "name", "This value should not be blank."))
            if item.get("type") not in FIELD_TYPES:
                errors.append(error("NotSupportedChoice", "type", "The value you selected is not a valid choice."))
            enums = item.get("enums")
            if item.get("type") in ENUM_TYPES and (
                    not isinstance(enums, list)
                    or not all(isinstance(e, dict) and isinstance(e.get("value"), str) for e in enums)):
                errors.append(error("InvalidType", "enums", "This value should be of type array."))
            if errors:
                failures.append({"request_id": str(item.get("request_id", index)), "errors": errors})
            else:
                created.append((str(item.get("request_id", index)), item))
        if failures:
            return validation_failed(failures)
        result = []
        for request_id, item in created:
            enum_list = None
            if item["type"] in ENUM_TYPES:
                enum_list = []
                for i, e in enumerate(item["enums"]):
                    enum_list.append({"id": self._next_enum_id, "value": e["value"], "sort": e.get("sort", i + 1)})
                    self._next_enum_id += 1
            sort = item.get("sort") if isinstance(item.get("sort"), int) else 1000 + len(self.fields)
            fld = CustomField(self._next_field_id, item["name"].strip(), item["type"], sort, enum_list,
                              item.get("code") if isinstance(item.get("code"), str) else None)
            self._next_field_id += 1
            self.fields.append(fld)
            result.append(dict(fld.to_json(request.origin, self.account_id), request_id=request_id))
        return Response.json({"_total_items": len(result),
                              "_links": {"self": {"href": f"{request.origin}/api/v4/leads/custom_fields"}},
                              "_embedded": {"custom_fields": result}})

    # -------------------------------------------------------------------------------- pipelines

    def list_pipelines(self, request: Request) -> Response:
        """Every pipeline with its stages, unpaginated (amoCRM allows at most 50 pipelines)."""
        ordered = sorted(self.pipelines.values(), key=lambda p: (p.sort, p.id))
        return Response.json({
            "_total_items": len(ordered), "_links": {"self": {"href": f"{request.origin}/api/v4/leads/pipelines"}},
            "_embedded": {"pipelines": [p.to_json(request.origin, self.account_id) for p in ordered]}})

    def get_pipeline(self, request: Request, pipeline_id: int) -> Response:
        pipeline = self.pipelines.get(pipeline_id)
        if pipeline is None:
            return Response.problem(404, "Not Found", "Pipeline not found")
        return Response.json(pipeline.to_json(request.origin, self.account_id))

    # ------------------------------------------------------------------------------------ leads

    def get_lead(self, request: Request, lead_id: int) -> Response:
        lead = self.leads.get(lead_id)
        if lead is None:
            return Response.empty()
        body = lead.to_json(request.origin, self.account_id)
        expansions = {w.strip() for w in (request.query_one("with") or "").split(",")}
        if "contacts" in expansions:
            body["_embedded"]["contacts"] = contact_shapes.embedded(lead.contacts, request.origin)
        return Response.json(body)

    def _apply_updates(self, items: list[Any], single_id: int | None = None) -> tuple[list, Response | None]:
        """Validate every item, then apply all of them or none (the whole request is one unit)."""
        fields_by_id = self.fields_by_id()
        updates, failures = [], []
        for index, item in enumerate(items):
            update, failure = validate_lead_update(item, index, fields_by_id, self.leads.__contains__, single_id)
            if failure is not None:
                failures.append(failure)
            else:
                updates.append(update)
        if failures:
            return [], validation_failed(failures)
        now = int(self.clock())
        for update in updates:
            lead = self.leads[update.lead_id]
            for key, value in update.scalars.items():
                setattr(lead, key, value)
            if "price" in update.scalars:
                lead.price_history.append((time.time(), lead.price))
            if "status_id" in update.scalars:
                lead.closed_at = now if lead.status_id in (STATUS_WON, STATUS_LOST) else None
            for fld, values in update.custom_fields:
                if values is None:
                    lead.custom_fields.pop(fld.id, None)
                else:
                    lead.custom_fields[fld.id] = {"field_id": fld.id, "field_name": fld.name, "field_code": fld.code,
                                                  "field_type": fld.type, "values": values}
            lead.updated_at = now
        return updates, None

    def patch_leads(self, request: Request) -> Response:
        items = request.json()
        if not isinstance(items, list):
            return Response.problem(400, "Bad Request", "The body must be a JSON array of leads")
        if not items:
            return Response.problem(400, "Bad Request", "The array of leads is empty")
        if len(items) > TOO_MANY_ENTITIES:
            return too_many_entities()
        updates, failure = self._apply_updates(items)
        if failure is not None:
            return failure
        origin = request.origin
        return Response.json({
            "_links": {"self": {"href": f"{origin}/api/v4/leads"}},
            "_embedded": {"leads": [
                {"id": u.lead_id, "updated_at": self.leads[u.lead_id].updated_at, "request_id": u.request_id,
                 "_links": {"self": {"href": f"{origin}/api/v4/leads/{u.lead_id}"}}} for u in updates]},
        })

    def patch_lead(self, request: Request, lead_id: int) -> Response:
        item = request.json()
        if not isinstance(item, dict):
            return Response.problem(400, "Bad Request", "The body must be a JSON object")
        _, failure = self._apply_updates([item], single_id=lead_id)
        if failure is not None:
            return failure
        return Response.json({"id": lead_id, "updated_at": self.leads[lead_id].updated_at,
                              "_links": {"self": {"href": f"{request.origin}/api/v4/leads/{lead_id}"}}})

    # --------------------------------------------------------------------------------- contacts

    def get_contact(self, request: Request, contact_id: int) -> Response:
        contact = self.contacts.get(contact_id)
        if contact is None:
            return Response.empty()
        return Response.json(contact.to_json(request.origin, self.account_id))

    def delete_contact(self, contact_id: int) -> None:
        """Delete the contact and take it out of every lead (the lead's next contact does not become main)."""
        if self.contacts.pop(contact_id, None) is not None:
            self.deleted_contacts.add(contact_id)
        for lead in self.leads.values():
            lead.contacts = [(c, main) for c, main in lead.contacts if c != contact_id]

    def patch_contacts(self, request: Request) -> Response:
        """Validate every item, then apply all of them or none, as the lead PATCH does; an item naming a
        contact deleted meanwhile makes the whole request a 404 (nothing applied)."""
        items = request.json()
        if not isinstance(items, list) or not items:
            return Response.problem(400, "Bad Request", "The body must be a non-empty JSON array of contacts")
        if len(items) > TOO_MANY_ENTITIES:
            return too_many_entities()
        if any(isinstance(i, dict) and i.get("id") in self.deleted_contacts for i in items):
            return Response.problem(404, "Not Found", "Contact not found")
        updates, failures = [], []
        for index, item in enumerate(items):
            update, failure = contact_shapes.validate(item, index, self.contacts.__contains__)
            if failure is not None:
                failures.append(failure)
            else:
                updates.append(update)
        if failures:
            return validation_failed(failures)
        now, origin = int(self.clock()), request.origin
        for update in updates:
            contact_shapes.apply(self.contacts[update.contact_id], update, now)
        return Response.json({
            "_links": {"self": {"href": f"{origin}/api/v4/contacts"}},
            "_embedded": {"contacts": [
                {"id": u.contact_id, "name": self.contacts[u.contact_id].name, "updated_at": now,
                 "request_id": u.request_id, "_links": {"self": {"href": f"{origin}/api/v4/contacts/{u.contact_id}"}}}
                for u in updates]},
        })

    # ------------------------------------------------------------------------------------ notes

    def list_notes(self, request: Request, lead_id: int) -> Response:
        notes = self.notes.get(lead_id, [])
        if not notes:
            return Response.empty()
        return Response.json({
            "_page": 1, "_links": {"self": {"href": f"{request.origin}/api/v4/leads/{lead_id}/notes"}},
            "_embedded": {"notes": [n.to_json(request.origin, self.account_id) for n in notes]},
        })

    def add_lead_notes(self, request: Request, lead_id: int) -> Response:
        return self._add_notes(request, lead_id)

    def add_notes(self, request: Request) -> Response:
        return self._add_notes(request, None)

    def _add_notes(self, request: Request, lead_id: int | None) -> Response:
        items = request.json()
        if not isinstance(items, list) or not items:
            return Response.problem(400, "Bad Request", "The body must be a non-empty JSON array of notes")
        if len(items) > TOO_MANY_ENTITIES:
            return too_many_entities()
        failures, accepted = [], []
        for index, item in enumerate(items):
            errors = []
            if not isinstance(item, dict):
                item = {}
                errors.append(error("InvalidType", "", "This value should be of type object."))
            entity_id = lead_id if lead_id is not None else item.get("entity_id")
            if not isinstance(entity_id, int) or isinstance(entity_id, bool) or entity_id not in self.leads:
                errors.append(error("NotFound", "entity_id", "Entity not found."))
            if item.get("note_type") not in NOTE_TYPES:
                errors.append(error("NotSupportedChoice", "note_type", "The value you selected is not a valid choice."))
            params = item.get("params")
            if not isinstance(params, dict):
                errors.append(error("InvalidType", "params", "This value should be of type object."))
            elif item.get("note_type") == "common" and not (isinstance(params.get("text"), str) and params["text"]):
                errors.append(error("NotBlank", "params.text", "This value should not be blank."))
            request_id = item.get("request_id") if isinstance(item.get("request_id"), str) else str(index)
            if errors:
                failures.append({"request_id": request_id, "errors": errors})
            else:
                accepted.append((request_id, entity_id, item))
        if failures:
            return validation_failed(failures)
        now, created = int(self.clock()), []
        for request_id, entity_id, item in accepted:
            note = Note(self._next_note_id, entity_id, item["note_type"], dict(item["params"]), now)
            self._next_note_id += 1
            self.notes.setdefault(entity_id, []).append(note)
            created.append({"id": note.id, "entity_id": entity_id, "request_id": request_id,
                            "_links": note.to_json(request.origin, self.account_id)["_links"]})
        return Response.json({"_links": {"self": {"href": f"{request.origin}/api/v4/leads/notes"}},
                              "_embedded": {"notes": created}})

    # --------------------------------------------------------------------------------- webhooks

    def list_webhooks(self, request: Request) -> Response:
        if not self.webhooks:
            return Response.empty()
        return Response.json({"_total_items": len(self.webhooks), "_embedded": {
            "webhooks": [w.to_json(self.account_id) for w in self.webhooks.values()]}})

    def add_webhook(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            return Response.problem(400, "Bad Request", "The body must be a JSON object")
        destination, settings = body.get("destination"), body.get("settings")
        errors = []
        if not isinstance(destination, str) or urlsplit(destination).scheme not in ("http", "https") \
                or not urlsplit(destination).netloc:
            errors.append(error("InvalidUrl", "destination", "This value is not a valid URL."))
        if not isinstance(settings, list) or not settings or not all(
                isinstance(s, str) and re.fullmatch(r"[a-z_]+", s) for s in settings):
            errors.append(error("NotSupportedChoice", "settings", "The value you selected is not a valid choice."))
        if errors:
            return validation_failed([{"request_id": "0", "errors": errors}])
        now = int(self.clock())
        hook = self.webhooks.get(destination)
        if hook is None:
            hook = self.webhooks[destination] = Webhook(self._next_webhook_id, destination, list(settings), now, now)
            self._next_webhook_id += 1
        else:
            hook.settings, hook.updated_at = list(settings), now
        return Response.json(hook.to_json(self.account_id), 201)

    def delete_webhook(self, request: Request) -> Response:
        body = request.json()
        destination = body.get("destination") if isinstance(body, dict) else None
        if self.webhooks.pop(destination, None) is None:
            return Response.problem(404, "Not Found", "Webhook not found")
        return Response.empty()
