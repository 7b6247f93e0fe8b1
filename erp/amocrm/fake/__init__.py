"""A fake amoCRM: a real HTTP server on loopback that speaks amoCRM API v4's request and response shapes.

Tests, benchmarks and the demo point the integration's base URL at it instead of
``https://{subdomain}.amocrm.ru``. It fakes one account with one integration:

* OAuth 2.0 (``POST /oauth2/access_token``, JSON or form-encoded): single-use authorization codes; a
  refresh token works once, and issuing a new pair revokes the old refresh token *and* the old access
  token (reusing a refresh token → 401). Refresh tokens die after ``refresh_token_max_age``.
* The API calls listed in :mod:`erp.amocrm.fake.api` behind ``Authorization: Bearer``, with amoCRM's
  ``validation-errors`` on 400 (:mod:`erp.amocrm.fake.values`).
* amoCRM's gateway: at most ``rate_limit`` (7) requests per sliding second; over it → 429 with an HTML
  body and no ``Retry-After``; ``block_threshold`` (5) such violations within ``block_window`` (60 s)
  block the account → 403 (HTML) on every call until :meth:`FakeAmo.unblock`.
* Pages added with :meth:`FakeAmo.add_page` (a lead card for a widget test) on the account's origin.
* The consent page (``GET /oauth?client_id=&state=``) agrees at once and redirects to the redirect URI
  with a fresh code, the ``state`` and ``referer`` (our host), as amoCRM does after the user agrees.
* Outgoing webhooks: :meth:`FakeAmo.fire_status_change` / :meth:`FakeAmo.fire_delete` /
  :meth:`FakeAmo.fire_contact_update` / :meth:`FakeAmo.fire_contact_delete` POST amoCRM's form-encoded
  payload to every registered destination.
* Contacts (:mod:`erp.amocrm.fake.contacts`): :meth:`FakeAmo.add_contact` and :meth:`FakeAmo.link_contact`
  set them up as a manager would; ``GET /api/v4/contacts/{id}``, ``PATCH /api/v4/contacts`` and
  ``GET /api/v4/leads/{id}?with=contacts`` read and change them. :meth:`FakeAmo.delete_contact` deletes
  one as a manager would (it leaves its leads; ``GET`` answers 204 as for any unknown contact, and a
  ``PATCH`` naming it 404), and :meth:`FakeAmo.fire_contact_delete` also sends ``delete_contact``.

Choices where amoCRM leaves room, documented here once:

* The rate limit counts every call to ``/api/v4/*`` **and** ``/oauth2/access_token`` that the gateway
  lets through; calls refused with 429 or 403 do not occupy the window (but every refused call is a
  violation). ``max_requests_per_second`` in the introspection counts *all* arriving calls, refused or
  not, over any one-second window, so a test can assert a client never sent more than 7 per second.
* A PATCH of several leads is atomic: every item is validated first, and if any is invalid the whole
  request is answered 400 (one ``validation-errors`` entry per bad item) and nothing is changed.
* Injected faults (``error_rate``) hit ``/api/v4/*`` only unless ``faults_include_oauth``; they are
  decided after the rate limit and before authentication, and an injected 429 is not a violation.
  A "timeout" holds the request ``timeout_delay`` seconds, then answers 504; the update is not applied.
* ``/_fake/*`` (configuration, introspection, helpers for out-of-process tests) is not rate-limited,
  needs no token and is not logged.

Not faked: anything not listed above (companies, changing pipelines, users, lead creation over the API), HTTPS,
several accounts, amoCRM's 2-second webhook deadline and retries of failed webhook deliveries.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from erp.amocrm.fake import contacts as contact_shapes
from erp.amocrm.fake.api import AmoApi
from erp.amocrm.fake.control import control
from erp.amocrm.fake.gateway import Gateway
from erp.amocrm.fake.http import Request, Response, ServerRunner, asgi_app
from erp.amocrm.fake.oauth import OAuth
from erp.amocrm.fake.state import (
    DEFAULT_PIPELINE_ID,
    DEFAULT_STATUS_ID,
    STATUS_LOST,
    FakeConfig,
    Lead,
    make_pipeline,
)
from erp.amocrm.fake.thread import FakeAmoThread
from erp.amocrm.fake.values import field_values
from erp.amocrm.fake.webhooks import delete_payload, deliver, status_payload

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "DEFAULT_PIPELINE_ID", "DEFAULT_STATUS_ID",
           "FakeAmo", "FakeAmoThread", "FakeConfig"]

OAUTH_PATH = "/oauth2/access_token"
CONSENT_PATH = "/oauth"
DEFAULT_CLIENT_ID = "fake-client-id"
DEFAULT_CLIENT_SECRET = "fake-client-secret-0123456789abcdef0123456789abcdef"


class FakeAmo:
    """One fake amoCRM account. All methods are thread-safe; the ``fire_*`` ones are coroutines."""

    def __init__(self, *, client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET,
                 redirect_uri: str | None = None, subdomain: str = "clinic", account_id: int = 31_000_001,
                 account_name: str = "Клиника (фейк amoCRM)", max_log_entries: int = 100_000,
                 **knobs: Any) -> None:
        self.config = FakeConfig()
        self.config.update(knobs)
        self._lock = threading.RLock()
        self._clock_offset = 0.0
        self.api = AmoApi(self.config, self._now, account_id=account_id, subdomain=subdomain,
                          account_name=account_name)
        self.oauth = OAuth(self.config, self._now, client_id=client_id, client_secret=client_secret,
                           redirect_uri=redirect_uri)
        self.gateway = Gateway(self.config, max_log_entries)
        self._runner = ServerRunner(asgi_app(self._handle))
        self._deliveries: list[dict[str, Any]] = []
        self._pages: dict[str, tuple[bytes, str]] = {}

    # ------------------------------------------------------------------------------ identity

    @property
    def client_id(self) -> str:
        return self.oauth.client_id

    @property
    def client_secret(self) -> str:
        return self.oauth.client_secret

    @property
    def redirect_uri(self) -> str | None:
        return self.oauth.redirect_uri

    @property
    def account_id(self) -> int:
        return self.api.account_id

    @property
    def subdomain(self) -> str:
        return self.api.subdomain

    @property
    def base_url(self) -> str:
        if not self._runner.port:
            raise RuntimeError("the fake amoCRM is not running")
        return self._runner.base_url

    def _now(self) -> float:
        return time.time() + self._clock_offset

    # ----------------------------------------------------------------------------- lifecycle

    async def start(self, *, port: int = 0, host: str = "127.0.0.1") -> None:
        await self._runner.start(host, port)

    async def stop(self) -> None:
        await self._runner.stop()

    @asynccontextmanager
    async def serving(self, *, port: int = 0, host: str = "127.0.0.1") -> AsyncIterator[FakeAmo]:
        """Serve this instance inside the running event loop for the duration of the block."""
        await self.start(port=port, host=host)
        try:
            yield self
        finally:
            await self.stop()

    @classmethod
    @asynccontextmanager
    async def running(cls, *, port: int = 0, host: str = "127.0.0.1", **options: Any) -> AsyncIterator[FakeAmo]:
        """``async with FakeAmo.running(port=0, rate_limit=7, ...) as fake: fake.base_url``."""
        async with cls(**options).serving(port=port, host=host) as fake:
            yield fake

    def serve_in_thread(self, *, port: int = 0, host: str = "127.0.0.1", timeout: float = 10.0) -> FakeAmoThread:
        """Serve this instance from a daemon thread with its own event loop."""
        started = threading.Event()
        box: dict[str, Any] = {}

        async def main() -> None:
            try:
                await self.start(port=port, host=host)
            except BaseException as exc:
                box["error"] = exc
                started.set()
                return
            box["loop"], box["stop"] = asyncio.get_running_loop(), asyncio.Event()
            started.set()
            try:
                await box["stop"].wait()
            finally:
                await self.stop()

        thread = threading.Thread(target=asyncio.run, args=(main(),), name="fake-amocrm", daemon=True)
        thread.start()
        if not started.wait(timeout):
            raise RuntimeError("the fake amoCRM did not start in time")
        if "error" in box:
            raise box["error"]
        return FakeAmoThread(self, thread, box["loop"], box["stop"])

    @classmethod
    def start_in_thread(cls, *, port: int = 0, host: str = "127.0.0.1", **options: Any) -> FakeAmoThread:
        """``handle = FakeAmo.start_in_thread(); handle.base_url; ...; handle.stop()``."""
        return cls(**options).serve_in_thread(port=port, host=host)

    # -------------------------------------------------------------------------------- knobs

    def configure(self, **knobs: Any) -> dict[str, Any]:
        """Change knobs (see :class:`FakeConfig`); all-or-nothing, ``ValueError`` on a bad one."""
        with self._lock:
            changed = self.config.update(knobs)
            if "seed" in knobs:
                self.gateway.rng.seed(self.config.seed)
            if changed & FakeConfig.CATALOGUE_KNOBS:
                self.api.rebuild_presets()
            return self.config.to_json()

    def unblock(self) -> None:
        """Lift the block (as amoCRM support would) and forget past violations."""
        with self._lock:
            self.gateway.unblock()

    @property
    def blocked(self) -> bool:
        return self.gateway.blocked

    def advance_clock(self, seconds: float) -> None:
        """Move the account's clock forward: tokens and codes age, the rate limiter does not."""
        with self._lock:
            self._clock_offset += seconds

    def expire_access_tokens(self) -> None:
        """Kill every access token issued so far, as if 24 hours had passed for them."""
        with self._lock:
            self.oauth.expire_access_tokens()

    # ------------------------------------------------------------------------ test data helpers

    def issue_code(self) -> str:
        """A fresh single-use authorization code, as amoCRM hands to the redirect URI."""
        with self._lock:
            return self.oauth.issue_code()

    def issue_tokens(self) -> dict[str, Any]:
        """A token pair without the OAuth dance (same shape as ``/oauth2/access_token``'s answer)."""
        with self._lock:
            return self.oauth.issue_pair()

    def disposable_token(self, audience: str, *, ttl: float = 60.0, user_id: int = 1, **claims: Any) -> str:
        """An amoCRM "disposable token" (the widget's ``X-Auth-Token``): a JWT signed HS256 with the
        client secret. ``audience`` is the integration's origin; ``claims`` override or add claims."""
        with self._lock:
            account_id, subdomain = claims.pop("account_id", self.api.account_id), claims.pop("subdomain",
                                                                                            self.api.subdomain)
            return self.oauth.disposable_token(audience, account_id, subdomain, ttl=ttl, user_id=user_id, **claims)

    def add_lead(self, lead_id: int, *, pipeline_id: int = DEFAULT_PIPELINE_ID, status_id: int = DEFAULT_STATUS_ID,
                 name: str | None = None, price: int = 0,
                 custom_fields_values: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Create (or replace) a lead, as if a manager had made it in amoCRM. Returns its API JSON."""
        with self._lock:
            now = int(self._now())
            lead = Lead(lead_id, name or f"Сделка #{lead_id}", price, status_id, pipeline_id, now, now)
            fields_by_id = self.api.fields_by_id()
            for i, entry in enumerate(custom_fields_values or ()):
                fld = fields_by_id.get(entry.get("field_id"))
                values, errors = field_values(fld, entry.get("values"), f"custom_fields_values.{i}.values") \
                    if fld else (None, [{"path": f"custom_fields_values.{i}.field_id"}])
                if errors or fld is None:
                    raise ValueError(f"invalid custom_fields_values for lead {lead_id}: {errors}")
                if values is not None:
                    lead.custom_fields[fld.id] = {"field_id": fld.id, "field_name": fld.name,
                                                  "field_code": fld.code, "field_type": fld.type, "values": values}
            self.api.leads[lead_id] = lead
            return lead.to_json(self._origin(), self.account_id)

    def add_contact(self, contact_id: int, name: str, *, phones: list | None = None,
                    emails: list | None = None) -> dict[str, Any]:
        """Create (or replace) a contact, as a manager would in amoCRM; ``phones`` and ``emails`` are values
        (``"+7…"``) or (value, enum code) pairs. Returns its API JSON."""
        with self._lock:
            now = int(self._now())
            contact = contact_shapes.Contact(contact_id, name, now, now)
            for field_id, values in ((contact_shapes.PHONE_FIELD_ID, phones), (contact_shapes.EMAIL_FIELD_ID, emails)):
                if values:
                    contact.values[field_id] = contact_shapes.typed_values(field_id, values)
            self.api.contacts[contact_id] = contact
            self.api.deleted_contacts.discard(contact_id)  # a deleted one comes back as if restored
            return contact.to_json(self._origin(), self.account_id)

    def edit_contact(self, contact_id: int, *, name: str | None = None, phones: list | None = None,
                     emails: list | None = None) -> dict[str, Any]:
        """Change a contact as a manager would in its card (``[]`` clears a field); no webhook is sent."""
        with self._lock:
            contact = self.api.contacts[contact_id]
            if name is not None:
                contact.name = name
            for field_id, values in ((contact_shapes.PHONE_FIELD_ID, phones), (contact_shapes.EMAIL_FIELD_ID, emails)):
                if values is not None:
                    contact.values[field_id] = contact_shapes.typed_values(field_id, values)
                    if not values:
                        contact.values.pop(field_id)
            contact.updated_at = int(self._now())
            return contact.to_json(self._origin(), self.account_id)

    def delete_contact(self, contact_id: int) -> None:
        """Delete a contact as a manager would in amoCRM: it leaves every lead; no webhook is sent."""
        with self._lock:
            self.api.delete_contact(contact_id)

    def link_contact(self, lead_id: int, contact_id: int, *, is_main: bool = True) -> None:
        """Attach a contact to a lead; a main contact makes the others not main."""
        with self._lock:
            lead = self.api.leads[lead_id]
            others = [(c, main and not is_main) for c, main in lead.contacts if c != contact_id]
            lead.contacts = [(contact_id, is_main), *others] if is_main else [*others, (contact_id, False)]

    def contact(self, contact_id: int) -> dict[str, Any] | None:
        """The contact as ``GET /api/v4/contacts/{id}`` returns it, or ``None``."""
        with self._lock:
            contact = self.api.contacts.get(contact_id)
            return contact.to_json(self._origin(), self.account_id) if contact else None

    def add_pipeline(self, pipeline_id: int, name: str, stages: list[tuple[int, str]], *, sort: int | None = None,
                     is_main: bool = False) -> dict[str, Any]:
        """Create (or replace) a pipeline with ``stages`` ((id, name) in order) and amoCRM's 142 and 143,
        as if an admin had set it up in amoCRM. Returns its API JSON."""
        with self._lock:
            pipelines = self.api.pipelines
            order = sort if sort is not None else 1 + max((p.sort for p in pipelines.values()), default=0)
            pipeline = make_pipeline(pipeline_id, name, stages, sort=order, is_main=is_main)
            pipelines[pipeline_id] = pipeline
            return pipeline.to_json(self._origin(), self.account_id)

    def rename_status(self, pipeline_id: int, status_id: int, name: str) -> None:
        """Rename a stage, as an admin may do in amoCRM at any time."""
        with self._lock:
            next(s for s in self.api.pipelines[pipeline_id].statuses if s.id == status_id).name = name

    def remove_pipeline(self, pipeline_id: int) -> None:
        with self._lock:
            self.api.pipelines.pop(pipeline_id, None)

    def lead(self, lead_id: int) -> dict[str, Any] | None:
        """The lead as ``GET /api/v4/leads/{id}`` returns it, or ``None``."""
        with self._lock:
            lead = self.api.leads.get(lead_id)
            return lead.to_json(self._origin(), self.account_id) if lead else None

    @property
    def leads(self) -> dict[int, dict[str, Any]]:
        with self._lock:
            return {i: lead.to_json(self._origin(), self.account_id) for i, lead in self.api.leads.items()}

    def field_value(self, lead_id: int, field_name: str) -> Any:
        """The first stored value of a lead's custom field (numeric fields hold strings), or ``None``."""
        with self._lock:
            lead, fld = self.api.leads.get(lead_id), self.api.field_named(field_name)
            entry = lead.custom_fields.get(fld.id) if lead and fld else None
            return entry["values"][0]["value"] if entry else None

    def field_id(self, name: str) -> int:
        with self._lock:
            fld = self.api.field_named(name)
        if fld is None:
            raise KeyError(name)
        return fld.id

    def enum_id(self, field_name: str, value: str) -> int:
        with self._lock:
            fld = self.api.field_named(field_name)
            enum = fld.enum_by_value(value) if fld else None
        if enum is None:
            raise KeyError(f"{field_name}: {value}")
        return enum["id"]

    def price_history(self, lead_id: int) -> list[tuple[float, int]]:
        """``(time, price)`` after every update that set the lead's price, oldest first."""
        with self._lock:
            lead = self.api.leads.get(lead_id)
            return list(lead.price_history) if lead else []

    def notes(self, lead_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [n.to_json(self._origin(), self.account_id) for n in self.api.notes.get(lead_id, [])]

    @property
    def webhooks(self) -> list[dict[str, Any]]:
        with self._lock:
            return [w.to_json(self.account_id) for w in self.api.webhooks.values()]

    def add_page(self, path: str, body: bytes, content_type: str) -> None:
        """Serve ``body`` at ``GET path`` on the account's origin, e.g. a lead card hosting a widget, as
        amoCRM's own pages would (not rate-limited, not logged)."""
        with self._lock:
            self._pages[path] = (body, content_type)

    def _origin(self) -> str:
        return self._runner.base_url if self._runner.port else f"https://{self.subdomain}.amocrm.ru"

    # -------------------------------------------------------------------------- introspection

    def reset_metrics(self) -> None:
        """Forget the request log and counters (not the data, tokens or the blocked state)."""
        with self._lock:
            self.gateway.reset_metrics()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log: ``time, method, path, query, status, body_size, response_size, batch_size,
        fault, duration_ms`` per API/OAuth call, oldest first."""
        with self._lock:
            return [dict(entry) for entry in self.gateway.log]

    def count(self, status: int) -> int:
        """How many API/OAuth calls were answered with ``status``."""
        with self._lock:
            return self.gateway.status_counts[status]

    @property
    def max_requests_per_second(self) -> int:
        with self._lock:
            return self.gateway.max_per_second

    @property
    def refresh_token_uses(self) -> dict[str, int]:
        """How many times each refresh token was presented to ``/oauth2/access_token``."""
        with self._lock:
            return dict(self.oauth.refresh_presented)

    @property
    def webhook_deliveries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(d) for d in self._deliveries]

    def state(self, log_limit: int | None = None) -> dict[str, Any]:
        """Everything ``GET /_fake/state`` returns; ``log_limit`` keeps only the newest log entries."""
        with self._lock:
            origin, api = self._origin(), self.api
            log = list(self.gateway.log)
            if log_limit is not None:
                log = log[-log_limit:] if log_limit else []
            return {
                "account": api.account_json(origin),
                "config": self.config.to_json(),
                "blocked": self.gateway.blocked,
                "leads": [lead.to_json(origin, api.account_id) for lead in api.leads.values()],
                "notes": [n.to_json(origin, api.account_id) for ns in api.notes.values() for n in ns],
                "contacts": [c.to_json(origin, api.account_id) for c in api.contacts.values()],
                "custom_fields": [f.to_json(origin, api.account_id) for f in api.fields],
                "pipelines": [p.to_json(origin, api.account_id) for p in api.pipelines.values()],
                "webhooks": self.webhooks,
                "webhook_deliveries": self.webhook_deliveries,
                "price_history": {str(i): [list(p) for p in lead.price_history] for i, lead in api.leads.items()},
                "requests": log,
                **self.gateway.stats(),
                "oauth": self.oauth.stats(),
            }

    # ----------------------------------------------------------------------------- webhooks

    async def fire_status_change(self, lead_id: int, status_id: int = STATUS_LOST, pipeline_id: int | None = None,
                                 old_status_id: int | None = None) -> list[dict[str, Any]]:
        """Move the lead (if the fake has it) and POST ``status_lead`` webhooks; returns the deliveries."""
        with self._lock:
            payload = status_payload(self.api, int(self._now()), lead_id, status_id, pipeline_id, old_status_id,
                                     self._origin())
            destinations = self._destinations("status_lead")
        return await self._deliver(destinations, payload, "status_lead", lead_id)

    async def fire_delete(self, lead_id: int) -> list[dict[str, Any]]:
        """Delete the lead (if the fake has it) and POST ``delete_lead`` webhooks; returns the deliveries."""
        with self._lock:
            payload = delete_payload(self.api, lead_id, self._origin())
            destinations = self._destinations("delete_lead")
        return await self._deliver(destinations, payload, "delete_lead", lead_id)

    def contact_update_payload(self, contact_id: int) -> str:
        """The ``update_contact`` webhook body amoCRM would send for the contact as it is now."""
        with self._lock:
            return contact_shapes.update_payload(self.api.contacts[contact_id], self.account_id, self.subdomain,
                                                 self._origin())

    async def fire_contact_update(self, contact_id: int) -> list[dict[str, Any]]:
        """POST the ``update_contact`` webhook with the contact as it is now; returns the deliveries."""
        payload = self.contact_update_payload(contact_id)
        with self._lock:
            destinations = self._destinations("update_contact")
        return await self._deliver(destinations, payload, "update_contact", contact_id)

    def contact_delete_payload(self, contact_id: int) -> str:
        """The ``delete_contact`` webhook body amoCRM sends for a deleted contact."""
        return contact_shapes.delete_payload(contact_id, self.account_id, self.subdomain, self._origin())

    async def fire_contact_delete(self, contact_id: int) -> list[dict[str, Any]]:
        """Delete the contact (if the fake has it) and POST the ``delete_contact`` webhook; returns the deliveries."""
        with self._lock:
            self.api.delete_contact(contact_id)
            destinations = self._destinations("delete_contact")
        return await self._deliver(destinations, self.contact_delete_payload(contact_id), "delete_contact",
                                   contact_id)

    def _destinations(self, setting: str) -> list[str]:
        return [w.destination for w in self.api.webhooks.values() if setting in w.settings]

    async def _deliver(self, destinations: list[str], payload: str, event: str, lead_id: int) -> list[dict[str, Any]]:
        results = await deliver(destinations, payload, event, lead_id, self.config.webhook_timeout)
        with self._lock:
            self._deliveries.extend(results)
        return results

    # -------------------------------------------------------------------------------- gateway

    async def _handle(self, request: Request) -> Response:
        if request.path.startswith("/_fake/"):
            return await control(self, request)
        page = self._pages.get(request.path) if request.method == "GET" else None
        if page is not None:
            return Response(200, page[0], page[1])
        if request.path == CONSENT_PATH:
            with self._lock:
                return self.oauth.consent(request)
        is_oauth = request.path == OAUTH_PATH
        if not is_oauth and not request.path.startswith("/api/v4/"):
            return Response.problem(404, "Not Found", "Not an amoCRM API path")
        wall, started, batch_size = time.time(), time.monotonic(), request.batch_size()
        with self._lock:
            response, fault = self.gateway.admit(started, is_oauth)
            latency, timeout_delay = self.config.latency, self.config.timeout_delay
        if latency:
            await asyncio.sleep(latency)
        if fault == "timeout":
            await asyncio.sleep(timeout_delay)
        response = response or self.gateway.fault_response(fault)
        with self._lock:
            if response is None:
                response = self.oauth.token_endpoint(request) if is_oauth else (
                    self.oauth.authenticate(request) or self.api.dispatch(request))
            self.gateway.record({
                "time": wall, "method": request.method, "path": request.path, "query": request.query_string,
                "status": response.status, "body_size": len(request.body), "response_size": len(response.body),
                "batch_size": batch_size, "fault": fault,
                "duration_ms": round((time.monotonic() - started) * 1000, 3),
            })
        return response
