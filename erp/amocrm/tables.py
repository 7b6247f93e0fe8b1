"""Tables of the amoCRM integration: the connection, pending OAuth consents, and the exchange log."""

from piccolo.columns import JSONB, BigInt, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AmocrmConnection(Table, tablename="amocrm_connections"):
    """The connected amoCRM account: always the row with id 1. Secrets are Fernet tokens."""

    id = BigSerial(primary_key=True)
    base_url = Varchar(length=300, default="")
    client_id = Varchar(length=200, default="")
    client_secret = Text(default="")
    redirect_uri = Varchar(length=500, default="")
    account_id = BigInt(null=True, default=None)
    subdomain = Varchar(length=200, default="")
    access_token = Text(default="")
    refresh_token = Text(default="")
    expires_at = Timestamptz(null=True, default=None)
    refreshed_at = Timestamptz(null=True, default=None)
    webhook_secret = Text(default="")
    lead_fields = JSONB(default="{}")
    paused_at = Timestamptz(null=True, default=None)
    pause_code = Varchar(length=50, default="")
    pause_message = Text(default="")
    rate_window = JSONB(default="{}")
    connected_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class AmocrmOAuthState(Table, tablename="amocrm_oauth_states"):
    """A consent started from the UI ("Подключить") and waiting for amoCRM's redirect."""

    id = BigSerial(primary_key=True)
    state = Varchar(length=64, unique=True)
    base_url = Varchar(length=300, default="")
    client_id = Varchar(length=200, default="")
    client_secret = Text(default="")
    redirect_uri = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class AmocrmEvent(Table, tablename="amocrm_events"):
    """The exchange log: outgoing events (the outbox) and incoming webhooks, one row each. An event is
    about a lead (``lead_id``) or a contact (``contact_id``; the client's link is in ``amocrm_contacts``,
    made by a migration of this app, see :mod:`erp.amocrm.contacts`)."""

    id = BigSerial(primary_key=True)
    direction = Varchar(length=3, default="out")
    kind = Varchar(length=30, default="")
    lead_id = BigInt(index=True, null=True, default=None)
    contact_id = BigInt(null=True, default=None)
    payload = JSONB(default="{}")
    state = Varchar(length=20, default="pending")
    attempts = Integer(default=0)
    last_error = Text(default="")
    error_details = JSONB(null=True, default=None)
    result = Text(default="")
    document_kind = Varchar(length=100, null=True, default=None)
    document_id = BigInt(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    claimed_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)


class AmocrmStageAction(Table, tablename="amocrm_stage_actions"):
    """Действия при смене этапа: one action a lead's move to a stage (a pipeline's status) starts.
    The names are amoCRM's as read when the mapping was saved, for showing it while amoCRM is away."""

    id = BigSerial(primary_key=True)
    pipeline_id = BigInt()
    pipeline_name = Varchar(length=255, default="")
    status_id = BigInt()
    status_name = Varchar(length=255, default="")
    action = Varchar(length=30)
    created_at = Timestamptz(default=TimestamptzNow())
