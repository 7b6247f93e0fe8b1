"""CORS for the widget's API: exactly the connected account's origin, and nothing else.

The widget runs on the account's own pages (``https://{subdomain}.amocrm.ru``), so the browser sends
that origin; it is compared with the stored base URL's origin on every request, so connecting
another account moves the permission with it. Preflights (``OPTIONS``) are answered here, before any
route runs; other responses, errors included, get ``Access-Control-Allow-Origin`` when the origin is
the account's, so the widget can read the server's message.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from erp.amocrm.client import origin

ALLOW_HEADERS = b"X-Auth-Token, X-Lead-Token, Content-Type"
ALLOW_METHODS = b"GET, POST, OPTIONS"


async def _account_origin(scope: Scope) -> str | None:
    pool = scope["app"].state.pool
    base_url = await pool.fetchval("SELECT base_url FROM amocrm_connections WHERE id = 1 AND client_id <> ''")
    return origin(base_url) if base_url else None


def account_cors(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        sent_origin = dict(scope["headers"]).get(b"origin", b"").decode("latin-1")
        allowed = bool(sent_origin) and sent_origin == await _account_origin(scope)
        cors = [(b"access-control-allow-origin", sent_origin.encode("latin-1")), (b"vary", b"Origin")] \
            if allowed else [(b"vary", b"Origin")]
        if scope["method"] == "OPTIONS":
            status = 204 if allowed else 403
            extra = [(b"access-control-allow-methods", ALLOW_METHODS), (b"access-control-allow-headers", ALLOW_HEADERS),
                     (b"access-control-max-age", b"600")] if allowed else []
            await send({"type": "http.response.start", "status": status, "headers": cors + extra})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await app(scope, receive, send_with_cors)

    return middleware
