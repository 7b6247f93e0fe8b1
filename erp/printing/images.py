"""Подписи и печати: facsimiles of signatures and organizations' stamps.

A facsimile is one user's signature image. Its owner signs as the director
(руководитель) or the chief accountant (бухгалтер) of one organization, and
the owner chooses who else may print with it (Документы 2.0 "Подписи"). A
stamp is one image per organization. "Print with facsimile" puts on a form
the signatures its user may use and the organization's stamp.

Uploads are PNG or JPEG, at most :data:`MAX_IMAGE_BYTES`, recognised by their
magic bytes and then fully decoded by Pillow, so a renamed file, a truncated
image or a decompression bomb is refused with a message naming the field.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable

import asyncpg

from erp.platform.errors import Conflict, Forbidden, NotFound, ValidationError

from .render import Signatures

MAX_IMAGE_BYTES = 1024 * 1024
MAX_IMAGE_SIDE = 4000
POSITIONS = {"director": "руководителя", "accountant": "бухгалтера"}
MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG", "image/png"), (b"\xff\xd8\xff", "JPEG", "image/jpeg"))


def check_image(content: bytes, field: str = "file", *, max_bytes: int = MAX_IMAGE_BYTES,
                max_side: int = MAX_IMAGE_SIDE) -> str:
    """The content type of an acceptable image, or a ValidationError naming ``field``."""
    if not content:
        raise ValidationError.field(field, "файл пустой", code="empty_file")
    if len(content) > max_bytes:
        raise ValidationError.field(
            field, f"файл слишком большой: {len(content) // 1024} КБ, допустимо не больше "
                   f"{max_bytes // 1024} КБ", code="file_too_large")
    kind = next(((fmt, ctype) for magic, fmt, ctype in MAGIC if content.startswith(magic)), None)
    if kind is None:
        raise ValidationError.field(field, "нужна картинка PNG или JPEG", code="not_an_image")
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != kind[0]:
                raise ValueError(image.format)
            width, height = image.size
            if max(width, height) > max_side:
                raise ValidationError.field(
                    field, f"картинка {width}×{height} больше допустимых {max_side} точек по стороне",
                    code="image_too_large")
            image.verify()  # a PNG's chunks and checksums, up to its end
        with _strict_decoding(), Image.open(io.BytesIO(content)) as image:
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise ValidationError.field(field, "файл повреждён или это не картинка PNG/JPEG",
                                    code="not_an_image") from None
    return kind[1]


@contextlib.contextmanager
def _strict_decoding():
    """Decode with Pillow refusing truncated data. WeasyPrint turns on Pillow's global
    ``LOAD_TRUNCATED_IMAGES`` when it is imported, and with it a cut-off upload would decode
    as a picture padded with grey. A PDF rendering on another thread meanwhile only draws
    images this check accepted, so being strict for that moment changes nothing for it."""
    from PIL import ImageFile

    tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant


async def _organization_name(conn: asyncpg.Connection, organization_id: int, field: str = "organization_id") -> str:
    name = await conn.fetchval("SELECT name FROM cat_organizations WHERE id = $1 AND NOT deletion_mark",
                               organization_id)
    if name is None:
        raise ValidationError.field(field, f"организация с id {organization_id} не найдена")
    return name


async def _check_users(conn: asyncpg.Connection, ids: Iterable[int], field: str) -> None:
    ids = sorted(set(ids))
    found = {r["id"] for r in await conn.fetch("SELECT id FROM users WHERE id = ANY($1::bigint[])", ids)}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ValidationError.field(field, f"нет пользователей с id {', '.join(map(str, unknown))}")


# -- stamps --------------------------------------------------------------------

async def set_stamp(conn: asyncpg.Connection, organization_id: int, content: bytes, uploaded_by: int | None) -> dict:
    content_type = check_image(content)
    await _organization_name(conn, organization_id)
    row = await conn.fetchrow(
        "INSERT INTO printing_stamps (organization_id, image, content_type, uploaded_by, uploaded_at)"
        " VALUES ($1, $2, $3, $4, now()) ON CONFLICT (organization_id) DO UPDATE SET image = EXCLUDED.image,"
        " content_type = EXCLUDED.content_type, uploaded_by = EXCLUDED.uploaded_by, uploaded_at = now()"
        " RETURNING organization_id, content_type, length(image) AS size_bytes, uploaded_by, uploaded_at",
        organization_id, content, content_type, uploaded_by)
    return dict(row)


async def stamp_image(conn: asyncpg.Connection, organization_id: int) -> tuple[str, bytes]:
    row = await conn.fetchrow("SELECT content_type, image FROM printing_stamps WHERE organization_id = $1",
                              organization_id)
    if row is None:
        raise NotFound(f"У организации с id {organization_id} нет печати", code="stamp_not_found")
    return row["content_type"], row["image"]


async def list_stamps(conn: asyncpg.Connection) -> dict[int, dict]:
    """Organization id → its stamp's content type, size and upload time (no images)."""
    rows = await conn.fetch("SELECT organization_id, content_type, length(image) AS size_bytes, uploaded_by,"
                            " uploaded_at FROM printing_stamps")
    return {r["organization_id"]: dict(r) for r in rows}


async def delete_stamp(conn: asyncpg.Connection, organization_id: int) -> None:
    if await conn.execute("DELETE FROM printing_stamps WHERE organization_id = $1", organization_id) == "DELETE 0":
        raise NotFound(f"У организации с id {organization_id} нет печати", code="stamp_not_found")


# -- facsimiles ----------------------------------------------------------------

FACSIMILE_COLUMNS = ("f.user_id, u.username, f.organization_id, o.name AS organization, f.position,"
                     " f.allowed_user_ids, f.content_type, length(f.image) AS size_bytes, f.uploaded_by,"
                     " f.uploaded_at")
FACSIMILE_FROM = ("FROM printing_facsimiles f JOIN users u ON u.id = f.user_id"
                  " JOIN cat_organizations o ON o.id = f.organization_id")


async def set_facsimile(conn: asyncpg.Connection, user_id: int, *, organization_id: int, position: str,
                        allowed_user_ids: Iterable[int], content: bytes, uploaded_by: int | None) -> dict:
    """Upload (or replace) the facsimile of ``user_id``."""
    content_type = check_image(content)
    if position not in POSITIONS:
        raise ValidationError.field("position", "допустимые значения: director, accountant")
    await _check_users(conn, [user_id], "user_id")
    await _organization_name(conn, organization_id)
    allowed = sorted(set(allowed_user_ids) - {user_id})
    await _check_users(conn, allowed, "allowed_user_ids")
    await conn.execute(
        "INSERT INTO printing_facsimiles (user_id, organization_id, position, image, content_type,"
        " allowed_user_ids, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now())"
        " ON CONFLICT (user_id) DO UPDATE SET organization_id = EXCLUDED.organization_id,"
        " position = EXCLUDED.position, image = EXCLUDED.image, content_type = EXCLUDED.content_type,"
        " allowed_user_ids = EXCLUDED.allowed_user_ids, uploaded_by = EXCLUDED.uploaded_by, uploaded_at = now()",
        user_id, organization_id, position, content, content_type, allowed, uploaded_by)
    return await facsimile(conn, user_id)


async def set_allowed_users(conn: asyncpg.Connection, user_id: int, allowed_user_ids: Iterable[int]) -> dict:
    allowed = sorted(set(allowed_user_ids) - {user_id})
    await _check_users(conn, allowed, "user_ids")
    if await conn.execute("UPDATE printing_facsimiles SET allowed_user_ids = $2 WHERE user_id = $1",
                          user_id, allowed) == "UPDATE 0":
        raise NotFound(f"У пользователя с id {user_id} нет факсимиле", code="facsimile_not_found")
    return await facsimile(conn, user_id)


async def facsimile(conn: asyncpg.Connection, user_id: int) -> dict:
    row = await conn.fetchrow(f"SELECT {FACSIMILE_COLUMNS} {FACSIMILE_FROM} WHERE f.user_id = $1", user_id)
    if row is None:
        raise NotFound(f"У пользователя с id {user_id} нет факсимиле", code="facsimile_not_found")
    return dict(row)


async def list_facsimiles(conn: asyncpg.Connection, organization_id: int | None = None) -> list[dict]:
    rows = await conn.fetch(f"SELECT {FACSIMILE_COLUMNS} {FACSIMILE_FROM}"
                            " WHERE $1::bigint IS NULL OR f.organization_id = $1"
                            " ORDER BY o.name, f.position, u.username",
                            organization_id)
    return [dict(r) for r in rows]


async def facsimile_image(conn: asyncpg.Connection, user_id: int) -> tuple[str, bytes]:
    row = await conn.fetchrow("SELECT content_type, image FROM printing_facsimiles WHERE user_id = $1", user_id)
    if row is None:
        raise NotFound(f"У пользователя с id {user_id} нет факсимиле", code="facsimile_not_found")
    return row["content_type"], row["image"]


async def delete_facsimile(conn: asyncpg.Connection, user_id: int) -> None:
    if await conn.execute("DELETE FROM printing_facsimiles WHERE user_id = $1", user_id) == "DELETE 0":
        raise NotFound(f"У пользователя с id {user_id} нет факсимиле", code="facsimile_not_found")


async def signatures_for(conn: asyncpg.Connection, organization_ids: Iterable[int],
                         user_id: int | None) -> dict[int, Signatures]:
    """For "print with facsimile": per organization, the signatures ``user_id`` may
    use (their own, or ones shared with them; the latest upload when several)
    and the stamp. Refuses when an organization has none the user may use."""
    out: dict[int, Signatures] = {}
    for r in await _signature_rows(conn, organization_ids, user_id):
        if not (r["director"] or r["accountant"]):
            if r["uploaded"]:
                raise Forbidden(f"Вам не разрешено печатать с факсимиле организации «{r['name']}»: "
                                "владелец подписи не дал вам доступ", code="facsimile_not_allowed")
            raise Conflict(f"Для организации «{r['name']}» не загружено ни одного факсимиле подписи",
                           code="facsimile_missing", details={"organization_id": r["id"]})
        out[r["id"]] = Signatures(*(_uri(r[k]) for k in ("director", "accountant", "stamp")))
    return out


async def can_sign(conn: asyncpg.Connection, organization_id: int | None, user_id: int | None) -> bool:
    """Whether «Печать с факсимиле» would work for ``user_id`` on a document of the
    organization: it has a signature the user may use (what :func:`signatures_for` needs)."""
    if organization_id is None:
        return False
    rows = await _signature_rows(conn, [organization_id], user_id)
    return any(r["director"] or r["accountant"] for r in rows)


async def _signature_rows(conn: asyncpg.Connection, organization_ids: Iterable[int],
                          user_id: int | None) -> list[asyncpg.Record]:
    ids = sorted(set(organization_ids))
    return await conn.fetch(
        "SELECT o.id, o.name,"
        " (SELECT count(*) FROM printing_facsimiles f WHERE f.organization_id = o.id) AS uploaded,"
        " (SELECT content_type || ';' || encode(image, 'base64') FROM printing_facsimiles f"
        "   WHERE f.organization_id = o.id AND f.position = 'director'"
        "     AND (f.user_id = $2 OR $2 = ANY(f.allowed_user_ids)) ORDER BY f.uploaded_at DESC LIMIT 1) AS director,"
        " (SELECT content_type || ';' || encode(image, 'base64') FROM printing_facsimiles f"
        "   WHERE f.organization_id = o.id AND f.position = 'accountant'"
        "     AND (f.user_id = $2 OR $2 = ANY(f.allowed_user_ids)) ORDER BY f.uploaded_at DESC LIMIT 1) AS accountant,"
        " (SELECT content_type || ';' || encode(image, 'base64') FROM printing_stamps s"
        "   WHERE s.organization_id = o.id) AS stamp"
        " FROM cat_organizations o WHERE o.id = ANY($1::bigint[])", ids, user_id)


def _uri(value: str | None) -> str | None:
    if not value:
        return None
    content_type, b64 = value.split(";", 1)
    return f"data:{content_type};base64,{b64.replace(chr(10), '')}"

