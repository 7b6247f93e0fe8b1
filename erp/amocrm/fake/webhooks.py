"""Outgoing webhooks of the fake amoCRM: amoCRM's form-encoded payloads and their delivery.

amoCRM POSTs ``application/x-www-form-urlencoded`` bodies in PHP's nested-array notation, e.g. for a
status change::

    leads[status][0][id]=123&leads[status][0][status_id]=143&leads[status][0][pipeline_id]=5000001
    &leads[status][0][old_status_id]=50000001&...&account[subdomain]=clinic&account[id]=31000001

and ``leads[delete][0][id]=…`` for a deleted lead. Delivery is one attempt per destination with
``webhook_timeout``; amoCRM's retries and its disabling of failing hooks are not faked.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx

from erp.amocrm.fake.api import AmoApi
from erp.amocrm.fake.state import DEFAULT_PIPELINE_ID, DEFAULT_STATUS_ID, STATUS_LOST, STATUS_WON


def _encode(api: AmoApi, key: str, item: dict[str, Any], origin: str) -> str:
    pairs = [(f"leads[{key}][0][{name}]", str(value)) for name, value in item.items()]
    pairs += [("account[subdomain]", api.subdomain), ("account[id]", str(api.account_id)),
              ("account[_links][self]", origin)]
    return urlencode(pairs)


def status_payload(api: AmoApi, now: int, lead_id: int, status_id: int, pipeline_id: int | None,
                   old_status_id: int | None, origin: str) -> str:
    """Move the lead in ``api`` (if it exists) and return the ``status_lead`` body."""
    lead = api.leads.get(lead_id)
    old_pipeline = lead.pipeline_id if lead else (pipeline_id or DEFAULT_PIPELINE_ID)
    if old_status_id is None:
        old_status_id = lead.status_id if lead else DEFAULT_STATUS_ID
    pipeline = pipeline_id or old_pipeline
    if lead:
        lead.status_id, lead.pipeline_id, lead.updated_at = status_id, pipeline, now
        lead.closed_at = now if status_id in (STATUS_WON, STATUS_LOST) else None
    created = lead.created_at if lead else now
    item = {"id": lead_id, "name": lead.name if lead else f"Сделка #{lead_id}", "status_id": status_id,
            "old_status_id": old_status_id, "price": lead.price if lead else 0, "responsible_user_id": 0,
            "last_modified": now, "modified_user_id": 0, "created_user_id": 0, "date_create": created,
            "pipeline_id": pipeline, "old_pipeline_id": old_pipeline, "account_id": api.account_id,
            "created_at": created, "updated_at": now}
    return _encode(api, "status", item, origin)


def delete_payload(api: AmoApi, lead_id: int, origin: str) -> str:
    """Delete the lead from ``api`` (if it exists) and return the ``delete_lead`` body."""
    lead = api.leads.pop(lead_id, None)
    item = {"id": lead_id, "status_id": lead.status_id if lead else DEFAULT_STATUS_ID,
            "pipeline_id": lead.pipeline_id if lead else DEFAULT_PIPELINE_ID}
    return _encode(api, "delete", item, origin)


async def deliver(destinations: list[str], payload: str, event: str, lead_id: int,
                  request_timeout: float) -> list[dict[str, Any]]:
    """POST ``payload`` to each destination; one result per destination (``status_code`` or ``error``)."""
    results = []
    async with httpx.AsyncClient(timeout=request_timeout) as client:
        for destination in destinations:
            result: dict[str, Any] = {"time": time.time(), "event": event, "lead_id": lead_id,
                                      "destination": destination}
            try:
                response = await client.post(destination, content=payload,
                                             headers={"Content-Type": "application/x-www-form-urlencoded"})
                result["status_code"] = response.status_code
            except httpx.HTTPError as exc:
                result["error"] = f"{type(exc).__name__}: {exc}"
            results.append(result)
    return results
