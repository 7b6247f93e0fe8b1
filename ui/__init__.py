"""The web UI for managers and accountants: Jinja2 + htmx, served by the same Litestar app."""
