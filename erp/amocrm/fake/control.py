"""``/_fake/*``: configuration, introspection and test helpers of the fake amoCRM over HTTP.

For tests that run the fake in another process (``erp amocrm fake``). These endpoints need no token,
are not rate-limited and are not logged. Each mirrors a :class:`erp.amocrm.fake.FakeAmo` method:

=================================  ==============================================================
``GET /_fake/state[?log=N]``       ``state(log_limit=N)``: data, counters, request log, OAuth usage
``GET|POST /_fake/config``         ``config`` / ``configure(**body)`` (400 on an unknown or bad knob)
``POST /_fake/leads``              ``add_lead(...)`` for an object or an array of ``{"id", ...}``
``POST /_fake/contacts``           ``add_contact(...)`` for ``{"id", "name", "phones"?, "emails"?,
                                   "lead_id"?}`` (or an array); ``lead_id`` links it as the main contact
``POST /_fake/codes``              ``issue_code()`` → ``{"code"}``
``POST /_fake/tokens``             ``issue_tokens()`` → a token pair
``POST /_fake/disposable_token``   ``disposable_token(body["audience"], **rest)`` → ``{"token"}`` (what
                                   a widget's ``$authorizedAjax`` sends as ``X-Auth-Token``)
``POST /_fake/unblock``            ``unblock()``
``POST /_fake/expire_tokens``      ``expire_access_tokens()``
``POST /_fake/advance_clock``      ``advance_clock(body["seconds"])``
``POST /_fake/reset_metrics``      ``reset_metrics()``
``POST /_fake/fire``               ``{"event": "status", "lead_id", "status_id"?, "pipeline_id"?,
                                   "old_status_id"?}``, ``{"event": "delete", "lead_id"}`` or
                                   ``{"event": "contact", "contact_id"}`` (``update_contact``) or
                                   ``{"event": "contact_delete", "contact_id"}`` (``delete_contact``)
=================================  ==============================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from erp.amocrm.fake.http import JSON, BadRequestBody, Request, Response
from erp.amocrm.fake.state import STATUS_LOST

if TYPE_CHECKING:
    from erp.amocrm.fake import FakeAmo


def _ok(data: Any, status: int = 200) -> Response:
    return Response.json(data, status, content_type=JSON)


async def control(fake: FakeAmo, request: Request) -> Response:
    route = (request.method, request.path.rstrip("/"))
    try:
        body = request.json() if request.body else {}
        if route == ("GET", "/_fake/state"):
            log = request.query_one("log")
            return _ok(fake.state(int(log) if log else None))
        if route == ("GET", "/_fake/config"):
            return _ok(fake.config.to_json())
        if route == ("POST", "/_fake/config"):
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object of knobs")
            return _ok(fake.configure(**body))
        if route == ("POST", "/_fake/leads"):
            items = body if isinstance(body, list) else [body]
            return _ok({"leads": [fake.add_lead(item.pop("id"), **item) for item in items]}, 201)
        if route == ("POST", "/_fake/contacts"):
            made = []
            for item in body if isinstance(body, list) else [body]:
                lead_id = item.pop("lead_id", None)
                made.append(fake.add_contact(item.pop("id"), **item))
                if lead_id is not None:
                    fake.link_contact(int(lead_id), made[-1]["id"])
            return _ok({"contacts": made}, 201)
        if route == ("POST", "/_fake/codes"):
            return _ok({"code": fake.issue_code()}, 201)
        if route == ("POST", "/_fake/tokens"):
            return _ok(fake.issue_tokens(), 201)
        if route == ("POST", "/_fake/disposable_token"):
            claims = dict(body)
            return _ok({"token": fake.disposable_token(str(claims.pop("audience")), **claims)}, 201)
        if route == ("POST", "/_fake/unblock"):
            fake.unblock()
            return _ok({"blocked": False})
        if route == ("POST", "/_fake/expire_tokens"):
            fake.expire_access_tokens()
            return _ok({"expired": True})
        if route == ("POST", "/_fake/advance_clock"):
            fake.advance_clock(float(body["seconds"]))
            return _ok({"advanced": float(body["seconds"])})
        if route == ("POST", "/_fake/reset_metrics"):
            fake.reset_metrics()
            return _ok({"reset": True})
        if route == ("POST", "/_fake/fire"):
            return _ok({"deliveries": await _fire(fake, body)})
    except (BadRequestBody, ValueError, TypeError, KeyError, AttributeError) as exc:
        return Response.problem(400, "Bad Request", f"{type(exc).__name__}: {exc}")
    return Response.problem(404, "Not Found", f"No fake control endpoint {request.method} {request.path}")


async def _fire(fake: FakeAmo, body: Any) -> list[dict[str, Any]]:
    event = body["event"]
    if event == "status":
        return await fake.fire_status_change(int(body["lead_id"]), int(body.get("status_id", STATUS_LOST)),
                                             body.get("pipeline_id"), body.get("old_status_id"))
    if event == "delete":
        return await fake.fire_delete(int(body["lead_id"]))
    if event == "contact":
        return await fake.fire_contact_update(int(body["contact_id"]))
    if event == "contact_delete":
        return await fake.fire_contact_delete(int(body["contact_id"]))
    raise ValueError("event must be 'status', 'delete', 'contact' or 'contact_delete'")
