from piccolo.columns import JSONB, BigInt, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class UiSession(Table, tablename="ui_sessions"):
    """A logged-in browser: the cookie holds a random token, the row its SHA-256."""

    token_hash = Varchar(length=64, primary_key=True)
    user_id = BigInt(null=False, index=True)
    data = JSONB(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(default=TimestamptzNow(), index=True)
