"""amoCRM integration: the API client, the outbound budget sync, inbound webhooks and a local fake amoCRM."""
