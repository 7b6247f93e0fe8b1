"""The web UI's read queries: lists, reference names, the calendar and dashboard (:mod:`ui.queries.lists`)
and the report screens (:mod:`ui.queries.reports`). Everything here only reads."""
