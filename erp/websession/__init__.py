"""Web sessions of the UI: server-side, one row per logged-in browser."""
