from piccolo.columns import BigInt, BigSerial, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class User(Table, tablename="users"):
    id = BigSerial(primary_key=True)
    username = Varchar(length=150, unique=True, null=False)
    full_name = Varchar(length=200, default="")
    password_hash = Text(null=False)
    role = Varchar(length=20, null=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # Bumped by a trigger whenever active, role or the password change; a bearer token carries the
    # generation it was issued in and dies with it, whatever path changed the user.
    token_generation = BigInt(default=0)


class LoginAttempt(Table, tablename="login_attempts"):
    """Password checks per username (``u:<name>``) and per address (``r:<address>``) in the current
    window: one row each, counted up atomically before the check."""

    key = Varchar(length=220, primary_key=True)
    attempts = Integer(default=0)
    window_start = Timestamptz(default=TimestamptzNow(), index=True)
