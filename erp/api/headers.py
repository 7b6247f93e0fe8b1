"""Security headers on every response: the browser's half of web security.

One ``before_send`` hook adds them to every response the application
sends, errors, 404s, static files and CORS preflights included:

- ``X-Content-Type-Options: nosniff`` — a JSON body or an uploaded file is
  never run as a script or a page;
- ``Referrer-Policy: same-origin`` — addresses with a client's name in the
  search never leave the site;
- ``Content-Security-Policy`` suited to the part of the site: the UI runs its
  own static scripts and styles only (no inline script, style or handler);
  the JSON API allows nothing at all; Swagger UI loads its local bundle;
- ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for old
  browsers): no other site can frame the UI to trick a click.

A handler that sends a self-contained page (a print preview, the amoCRM
OAuth answer) sets its own policy with :func:`inline_style_policy`, and the
hook leaves that policy alone.
"""

from __future__ import annotations

import base64
import hashlib

from litestar.types import Message, Scope

CSP = b"content-security-policy"

UI_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
             "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
# Swagger UI's React code sets element styles and its icons are data: SVGs; its scripts are local files.
SWAGGER_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]


def policy_for(path: str) -> str:
    if path.startswith("/schema") or path.startswith("/static/swagger") or path.startswith("/static/api"):
        return SWAGGER_POLICY
    if path.startswith("/api/") or path == "/health":
        return API_POLICY
    return UI_POLICY


def inline_style_policy(css: str, *, framed_by_self: bool = False) -> str:
    """A standalone page with one inline ``<style>`` of exactly ``css``, ``data:`` images and no script."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    ancestors = "'self'" if framed_by_self else "'none'"
    return (f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; "
            f"form-action 'none'; frame-ancestors {ancestors}")


async def security_headers(message: Message, scope: Scope) -> None:
    """The ``before_send`` hook: adds the headers a response does not set itself."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    policy = next((value for name, value in headers if name.lower() == CSP), None)
    if policy is None:
        policy = policy_for(scope.get("path", "")).encode()
        headers.append((CSP, policy))
    if b"x-frame-options" not in present:
        headers.append((b"x-frame-options", b"SAMEORIGIN" if b"frame-ancestors 'self'" in policy else b"DENY"))
    headers.extend((name, value) for name, value in COMMON if name not in present)
    message["headers"] = headers
