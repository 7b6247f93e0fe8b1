"""OAuth 2.0 of the fake amoCRM: ``POST /oauth2/access_token`` and bearer-token checks.

As amoCRM does it: the body is JSON (form-encoded is accepted too) with ``client_id``,
``client_secret``, ``grant_type``, ``redirect_uri`` and ``code`` or ``refresh_token``; the answer is
``{"token_type": "Bearer", "expires_in", "access_token", "refresh_token"}``. An authorization code
works once and for ``authorization_code_lifetime`` seconds. A refresh token works once: exchanging
it revokes it and the access token issued with it; presenting it again gets 401, as does one older
than ``refresh_token_max_age``. A wrong client, secret, redirect URI, grant type or code gets 400
with amoCRM's OAuth problem body (``hint``, ``title``, ``type``, ``status``, ``detail``).

Access tokens die after ``access_token_lifetime`` seconds or, if ``access_token_max_calls`` is set,
after that many API calls; both knobs are read at check time, so changing them affects live tokens.
Tokens are opaque random strings, not the JWTs amoCRM issues. ``disposable_token`` mints the
short-lived JWT amoCRM gives a widget (``X-Auth-Token``), signed HS256 with the client secret.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import jwt

from erp.amocrm.fake.http import JSON, BadRequestBody, Request, Response
from erp.amocrm.fake.state import AccessToken, AuthorizationCode, FakeConfig, RefreshToken

OAUTH_PROBLEM = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"


def oauth_error(status: int, hint: str, detail: str) -> Response:
    title = "Некорректный запрос" if status == 400 else "Unauthorized"
    return Response.json({"hint": hint, "title": title, "type": OAUTH_PROBLEM, "status": status,
                          "detail": detail}, status, "application/problem+json")


def unauthorized(detail: str) -> Response:
    return Response.problem(401, "Unauthorized", detail)



class OAuth:
    """The integration (client id/secret, redirect URI), its codes and its tokens."""

    def __init__(self, config: FakeConfig, clock: Callable[[], float], *, client_id: str, client_secret: str,
                 redirect_uri: str | None) -> None:
        self.config, self.clock = config, clock
        self.client_id, self.client_secret, self.redirect_uri = client_id, client_secret, redirect_uri
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.refresh_presented: dict[str, int] = {}

    def issue_code(self) -> str:
        code = "def50200" + secrets.token_hex(48)
        self.codes[code] = AuthorizationCode(code, self.clock())
        return code

    def issue_pair(self) -> dict[str, Any]:
        now = self.clock()
        access, refresh = secrets.token_urlsafe(48), "def50200" + secrets.token_hex(64)
        self.access_tokens[access] = AccessToken(access, now, refresh)
        self.refresh_tokens[refresh] = RefreshToken(refresh, now, access, len(self.refresh_tokens) + 1)
        return {"token_type": "Bearer", "expires_in": int(self.config.access_token_lifetime),
                "access_token": access, "refresh_token": refresh}

    def token_endpoint(self, request: Request) -> Response:
        if request.method != "POST":
            return Response.problem(405, "Method Not Allowed", "Use POST")
        try:
            params = request.json_or_form()
        except BadRequestBody as exc:
            return oauth_error(400, str(exc), "В запросе отсутствует ряд параметров или параметры невалидны")
        params = {key: str(value) for key, value in params.items()}
        if params.get("client_id") != self.client_id or params.get("client_secret") != self.client_secret:
            return oauth_error(400, "Client authentication failed", "Клиент не найден или секрет неверен")
        if not params.get("redirect_uri") or (self.redirect_uri and params["redirect_uri"] != self.redirect_uri):
            return oauth_error(400, "Check the `redirect_uri` parameter", "redirect_uri не совпадает")
        grant = params.get("grant_type")
        if grant == "authorization_code":
            code = self.codes.get(params.get("code", ""))
            if code is None:
                return oauth_error(400, "Cannot decrypt the authorization code", "Код авторизации неверен")
            if code.used:
                return oauth_error(400, "Authorization code has been revoked", "Код авторизации уже использован")
            if self.clock() - code.issued_at >= self.config.authorization_code_lifetime:
                return oauth_error(400, "Authorization code has expired", "Код авторизации истёк")
            code.used = True
            return Response.json(self.issue_pair(), content_type=JSON)
        if grant == "refresh_token":
            value = params.get("refresh_token", "")
            self.refresh_presented[value] = self.refresh_presented.get(value, 0) + 1
            token = self.refresh_tokens.get(value)
            if token is None:
                return oauth_error(401, "Cannot decrypt the refresh token", "Refresh token неверен")
            if token.used:
                return oauth_error(401, "Token has been revoked", "Refresh token уже использован")
            if self.clock() - token.issued_at >= self.config.refresh_token_max_age:
                return oauth_error(401, "Token has expired", "Refresh token истёк")
            token.used = True
            old_access = self.access_tokens.get(token.access_token)
            if old_access is not None:
                old_access.revoked = True
            return Response.json(self.issue_pair(), content_type=JSON)
        return oauth_error(400, "Unsupported grant type", "grant_type должен быть authorization_code "
                                                          "или refresh_token")

    def consent(self, request: Request) -> Response:
        """``GET /oauth?client_id=&state=``: amoCRM's consent page, where the user always agrees; it
        redirects to the integration's redirect URI (or the ``redirect_uri`` query parameter when the
        fake was started without one) with ``code``, ``state``, ``referer`` and ``client_id``."""
        if request.method != "GET":
            return Response.problem(405, "Method Not Allowed", "Use GET")
        if request.query_one("client_id") != self.client_id:
            return Response.html(400, "Bad Request")
        target = self.redirect_uri or request.query_one("redirect_uri")
        if not target:
            return Response.html(400, "Bad Request")
        query = urlencode({"code": self.issue_code(), "state": request.query_one("state") or "",
                           "referer": request.headers.get("host", ""), "client_id": self.client_id})
        separator = "&" if "?" in target else "?"
        return Response(302, b"", None, [("location", f"{target}{separator}{query}")])

    def authenticate(self, request: Request) -> Response | None:
        """``None`` if the bearer token is valid (and count the call against it), else a 401."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        token = self.access_tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            return unauthorized("Необходима авторизация")
        if token.revoked:
            return unauthorized("Access token has been revoked")
        max_calls = self.config.access_token_max_calls
        expired_by_calls = max_calls is not None and token.calls >= max_calls
        if expired_by_calls or self.clock() - token.issued_at >= self.config.access_token_lifetime:
            return unauthorized("Access token has expired")
        token.calls += 1
        return None

    def expire_access_tokens(self) -> None:
        for token in self.access_tokens.values():
            token.revoked = True

    def disposable_token(self, audience: str, account_id: int, subdomain: str, *, ttl: float, user_id: int,
                         **claims: Any) -> str:
        now = int(self.clock())
        payload = {"iss": f"https://{subdomain}.amocrm.ru", "aud": audience, "jti": str(uuid.uuid4()),
                   "iat": now, "nbf": now, "exp": now + int(ttl), "account_id": account_id,
                   "subdomain": subdomain, "client_uuid": self.client_id, "user_id": user_id, "is_admin": True}
        payload.update(claims)
        return jwt.encode(payload, self.client_secret, algorithm="HS256")

    def stats(self) -> dict[str, Any]:
        """OAuth usage for introspection: codes, and how often each token was presented or used."""
        return {
            "codes_issued": len(self.codes),
            "codes_used": sum(c.used for c in self.codes.values()),
            "tokens_issued": len(self.refresh_tokens),
            "refresh_token_uses": dict(self.refresh_presented),
            "refresh_tokens": [
                {"sequence": t.sequence, "token": t.value, "used": t.used,
                 "presented": self.refresh_presented.get(t.value, 0)}
                for t in self.refresh_tokens.values()],
            "access_tokens": [
                {"token": t.value, "calls": t.calls, "revoked": t.revoked} for t in self.access_tokens.values()],
        }
