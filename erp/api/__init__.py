"""The REST API: thin controllers over the services."""
