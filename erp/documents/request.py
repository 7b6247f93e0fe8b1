"""Заявка: an appointment with a doctor. Posting books the doctor's time.

Two posted Requests of one doctor never overlap: a PostgreSQL exclusion
constraint guarantees it even under concurrency. A Request can only be
booked inside the doctor's working intervals.
"""

from erp.catalogs.clients import AMOCRM_CLIENT
from erp.catalogs.visit_statuses import BOOKED
from erp.documents.request_rules import check
from erp.platform import local_time
from erp.platform.document import Doc, DocumentKind, PostingContext
from erp.platform.errors import Conflict, ValidationError
from erp.platform.fields import Field
from erp.services.preferences import effective_settings
from erp.services.scheduling import inside_intervals, working_intervals

NOT_WORKING = "Врач не работает в это время"
TAKEN = "Это время у врача уже занято другой заявкой"


def prepare(header: dict, lines: list[dict], _settings) -> tuple[dict, list[dict]]:
    problems = {}
    for i, line in enumerate(lines):
        if line["quantity"] is None or line["quantity"] <= 0:
            problems[f"lines[{i}].quantity"] = "количество должно быть больше нуля"
        if line.get("price") is not None and line["price"] < 0:
            problems[f"lines[{i}].price"] = "цена не может быть отрицательной"
    if header.get("duration_minutes") is not None and not 0 < header["duration_minutes"] <= 24 * 60:
        problems["duration_minutes"] = "длительность — от 1 до 1440 минут"
    if problems:
        raise ValidationError.fields(problems)
    return header, lines


async def complete(conn, header: dict, lines: list[dict], settings) -> tuple[dict, list[dict]]:
    """Defaults from the database: the client "Клиент из AmoCRM", the visit status
    "Записан", the duration (the request's, else the first service's, else the
    setting) and the end, in real minutes."""
    settings = await effective_settings(conn, settings)  # the default duration the administrator set
    starts = header["starts_at"] = local_time.localize(header["starts_at"], settings.tz, "starts_at")
    nomenclature_ids = [ln["nomenclature_id"] for ln in lines if ln.get("nomenclature_id")]
    row = await conn.fetchrow(
        "SELECT (SELECT id FROM cat_clients WHERE predefined = $1) AS client,"
        " (SELECT id FROM cat_visit_statuses WHERE predefined = $2) AS status,"
        " (SELECT duration_minutes FROM cat_nomenclature n JOIN unnest($3::bigint[]) WITH ORDINALITY u(id, o)"
        "   USING (id) WHERE n.kind = 'service' AND n.duration_minutes IS NOT NULL ORDER BY u.o LIMIT 1) AS duration",
        AMOCRM_CLIENT, BOOKED, nomenclature_ids)
    header["client_id"] = header.get("client_id") or row["client"]
    header["visit_status_id"] = header.get("visit_status_id") or row["status"]
    duration = header.get("duration_minutes") or row["duration"] or settings.default_appointment_minutes
    header["duration_minutes"] = duration
    header["ends_at"] = local_time.plus(starts, duration)  # real minutes, whatever the clock does
    return header, lines


async def load_context(conn, doc: Doc, settings) -> dict:
    day = doc.starts_at.astimezone(settings.tz).date()
    intervals = await working_intervals(conn, day, doc.doctor_id)
    return {"day": day, "intervals": intervals.get(doc.doctor_id, [])}


def movements(doc: Doc, ctx: PostingContext) -> dict:
    """Nothing is written to registers: the posted flag itself holds the time
    (see the exclusion constraint); the rule only refuses time outside work."""
    tz = ctx.settings.tz
    day = ctx.data["day"]
    if not inside_intervals(day, tz, ctx.data["intervals"], doc.starts_at, doc.ends_at):
        hours = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in ctx.data["intervals"]) or "не работает"
        raise Conflict(f"{NOT_WORKING} ({doc.starts_at.astimezone(tz):%d.%m.%Y %H:%M}); "
                       f"график в этот день: {hours}", code="doctor_not_working",
                       details={"working_intervals": [[f"{a:%H:%M}", f"{b:%H:%M}"]
                                                      for a, b in ctx.data["intervals"]]})
    return {}


EXCLUSION = """
DO $$ BEGIN
  CREATE EXTENSION IF NOT EXISTS btree_gist;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'doc_requests_no_double_booking') THEN
    ALTER TABLE doc_requests ADD CONSTRAINT doc_requests_no_double_booking
      EXCLUDE USING gist (doctor_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
      WHERE (posted AND NOT deletion_mark);
  END IF;
END $$;
"""

requests = DocumentKind(
    "requests", "Заявка",
    header=(
        Field("client_id", "ref", "Клиент", ref="clients"),
        Field("doctor_id", "ref", "Врач", ref="doctors", required=True),
        Field("starts_at", "datetime", "Время приёма", required=True),
        Field("duration_minutes", "int", "Длительность, мин"),
        Field("ends_at", "datetime", "Окончание приёма", read_only=True),
        Field("amocrm_lead_id", "int", "Сделка amoCRM", index=True, big=True,
              check=lambda v: None if v > 0 else "номер сделки — положительное число"),
        Field("visit_status_id", "ref", "Статус визита", ref="visit-statuses"),
        Field("comment", "str", "Комментарий", max_length=500),
    ),
    lines=(
        Field("nomenclature_id", "ref", "Номенклатура", ref="nomenclature", required=True),
        Field("quantity", "quantity", "Количество", default=1),
        Field("price", "money", "Цена", default=0),
    ),
    movements=movements, prepare=prepare, complete=complete, check=check, load_context=load_context,
    extra_sql=(EXCLUSION, 'CREATE INDEX IF NOT EXISTS doc_requests_day_idx ON doc_requests (doctor_id, starts_at)'
               " WHERE posted AND NOT deletion_mark"),
    conflict_message=TAKEN, write_roles=("admin", "accountant", "manager"),
)
