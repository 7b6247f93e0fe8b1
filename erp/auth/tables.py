from piccolo.columns import BigSerial, Boolean, Text, Timestamptz, Varchar
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


class LoginFailure(Table, tablename="login_failures"):
    id = BigSerial(primary_key=True)
    username = Varchar(length=150, index=True)
    remote = Varchar(length=64, default="")
    at = Timestamptz(default=TimestamptzNow(), index=True)
