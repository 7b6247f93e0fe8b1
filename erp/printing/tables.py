"""Tables of the printing area: the generated documents registry, facsimiles and stamps."""

from piccolo.columns import Array, BigInt, BigSerial, Boolean, Bytea, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class GeneratedDocument(Table, tablename="generated_documents"):
    """Every PDF that was generated: what, for whom, by whom, when, and the file itself."""

    id = BigSerial(primary_key=True)
    document_kind = Varchar(length=100, null=False)
    document_id = BigInt(null=False)
    document_number = Varchar(length=40, default="")
    document_date = Date(null=True, default=None)
    amocrm_lead_id = BigInt(null=True, default=None, index=True)
    form = Varchar(length=50, null=False, index=True)
    document_type = Varchar(length=100, null=False, index=True)
    user_id = BigInt(null=True, default=None, index=True)
    organization_id = BigInt(null=True, default=None, index=True)
    client_id = BigInt(null=True, default=None)
    posted = Boolean(default=False)
    facsimile = Boolean(default=False)
    file_name = Varchar(length=300, null=False)
    content = Bytea(null=False)
    size_bytes = Integer(default=0)
    sent_to = Varchar(length=300, null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
    generated_at = Timestamptz(default=TimestamptzNow())
    scan = Bytea(null=True, default=None)
    scan_content_type = Varchar(length=30, null=True, default=None)
    scan_file_name = Varchar(length=300, null=True, default=None)
    scan_uploaded_by = BigInt(null=True, default=None)
    scan_uploaded_at = Timestamptz(null=True, default=None)
    signed_at = Timestamptz(null=True, default=None)
    signed_by = BigInt(null=True, default=None)


class Facsimile(Table, tablename="printing_facsimiles"):
    """A user's signature image (факсимиле) as director or accountant of an
    organization, and the users who may print with it."""

    id = BigSerial(primary_key=True)
    user_id = BigInt(null=False, unique=True)
    organization_id = BigInt(null=False, index=True)
    position = Varchar(length=20, null=False)
    image = Bytea(null=False)
    content_type = Varchar(length=20, null=False)
    allowed_user_ids = Array(base_column=BigInt(), default=list)
    uploaded_by = BigInt(null=True, default=None)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class Stamp(Table, tablename="printing_stamps"):
    """An organization's stamp image (печать)."""

    id = BigSerial(primary_key=True)
    organization_id = BigInt(null=False, unique=True)
    image = Bytea(null=False)
    content_type = Varchar(length=20, null=False)
    uploaded_by = BigInt(null=True, default=None)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class PrintTemplate(Table, tablename="print_templates"):
    """A print template an administrator keeps (Администрирование → «Шаблоны документов»):
    a template of their own, or the stored copy of a standard one (``standard`` names
    it) that overrides the text shipped in the package until «Восстановить стандартный»."""

    id = BigSerial(primary_key=True)
    name = Varchar(length=200, null=False)
    kind = Varchar(length=100, null=False, index=True)
    document_type_id = BigInt(null=False)
    body = Text(null=False)
    standard = Varchar(length=50, null=True, default=None, unique=True)
    active = Boolean(default=True)
    updated_by = BigInt(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class PrintVariable(Table, tablename="print_variables"):
    """A variable of the administrator's own: a fixed text, a link, or a combination of
    other variables written as a small template; for one document kind or for all."""

    id = BigSerial(primary_key=True)
    name = Varchar(length=60, null=False, unique=True)
    title = Varchar(length=200, null=False)
    kind = Varchar(length=100, null=True, default=None)
    value_type = Varchar(length=20, null=False)
    value = Text(null=False)
    updated_by = BigInt(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
