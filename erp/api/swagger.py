"""Swagger UI at ``/schema/swagger``, served from this machine and without inline script.

Litestar's page puts the whole schema in an inline ``<script>``; under the
strict Content-Security-Policy (:mod:`erp.api.headers`) that would not run.
This page loads the local Swagger UI bundle and a small static script that
points it at ``/schema/openapi.json``.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

BUNDLE = "/static/swagger"
OWN = "/static/api"
STATIC = Path(__file__).parent / "static"


class LocalSwagger(SwaggerRenderPlugin):
    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                '<link rel="icon" href="/static/ui/favicon.svg" type="image/svg+xml">'
                f'<link rel="stylesheet" href="{self.css_url}">'
                f'<link rel="stylesheet" href="{OWN}/swagger-page.css">'
                f'<script src="{self.js_url}" defer></script>'
                f'<script src="{self.standalone_preset_js_url}" defer></script>'
                f'<script src="{OWN}/swagger-init.js" data-spec="{request.app.openapi_config.path}/openapi.json" '
                'id="swagger-init" defer></script>'
                '</head><body><div id="swagger-container"></div></body></html>').encode()


def plugin() -> LocalSwagger:
    return LocalSwagger(path="/swagger", js_url=f"{BUNDLE}/swagger-ui-bundle.js", css_url=f"{BUNDLE}/swagger-ui.css",
                        standalone_preset_js_url=f"{BUNDLE}/swagger-ui-standalone-preset.js")


def static_routes() -> list:
    # Swagger UI 5 (swagger-ui-dist, vendored: see static/swagger/vendor.json) reads OpenAPI 3.1, which
    # Litestar writes; the 4.x of the swagger-ui-bundle wheel said "Unable to render this definition".
    return [create_static_files_router(BUNDLE, [STATIC / "swagger"], include_in_schema=False),
            create_static_files_router(OWN, [STATIC], include_in_schema=False, name="api_static")]
