"""Сканы и подпись клиента (Документы 2.0): a generated document keeps the scan of
the paper the client signed (PDF, JPEG or PNG) and the mark «Подписан клиентом» with
who set it and when; the registry filters signed and not signed.

A scan is checked as the stamps are (:mod:`erp.printing.images`): recognised by its
magic bytes and fully decoded — a PDF by qpdf, an image by Pillow — so a renamed file
or a truncated one is refused with a message naming the field, and nothing is stored.
"""

from __future__ import annotations

import io

import asyncpg

from erp.platform.errors import NotFound, ValidationError

from . import images

MAX_SCAN_BYTES = 8 * 1024 * 1024  # under the 10 MB a request body may have
MAX_SCAN_SIDE = 10000
PDF = "application/pdf"


def check_scan(content: bytes, field: str = "file") -> str:
    """The content type of an acceptable scan, or a ValidationError naming ``field``."""
    if not content:
        raise ValidationError.field(field, "файл пустой", code="empty_file")
    if len(content) > MAX_SCAN_BYTES:
        raise ValidationError.field(
            field, f"файл слишком большой: {len(content) // 1024} КБ, допустимо не больше "
                   f"{MAX_SCAN_BYTES // 1024 // 1024} МБ", code="file_too_large")
    if content.startswith(b"%PDF-"):
        import pikepdf

        try:
            with pikepdf.open(io.BytesIO(content)) as pdf:
                if not len(pdf.pages):
                    raise ValueError("no pages")
        except (pikepdf.PdfError, ValueError, OSError):
            raise ValidationError.field(field, "файл повреждён или это не PDF", code="not_a_scan") from None
        return PDF
    if not any(content.startswith(magic) for magic, _, _ in images.MAGIC):
        raise ValidationError.field(field, "нужен скан в PDF, JPEG или PNG", code="not_a_scan")
    return images.check_image(content, field, max_bytes=MAX_SCAN_BYTES, max_side=MAX_SCAN_SIDE)


EXTENSIONS = {PDF: "pdf", "image/jpeg": "jpg", "image/png": "png"}


async def attach(conn: asyncpg.Connection, generated_id: int, content: bytes, file_name: str,
                 user_id: int | None) -> str:
    """Keep ``content`` as the scan of the generated document (replacing an earlier one)."""
    content_type = check_scan(content)
    stem = (file_name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].strip()[:200] or "скан"
    if "." not in stem:
        stem = f"{stem}.{EXTENSIONS[content_type]}"
    updated = await conn.fetchval(
        "UPDATE generated_documents SET scan = $2, scan_content_type = $3, scan_file_name = $4, scan_uploaded_by = $5,"
        " scan_uploaded_at = now() WHERE id = $1 RETURNING id", generated_id, content, content_type, stem, user_id)
    if updated is None:
        raise NotFound(f"Сформированный документ с id {generated_id} не найден", code="generated_not_found")
    return content_type


async def scan_of(conn: asyncpg.Connection, generated_id: int) -> tuple[str, str, bytes]:
    row = await conn.fetchrow("SELECT scan, scan_content_type, scan_file_name FROM generated_documents WHERE id = $1",
                              generated_id)
    if row is None:
        raise NotFound(f"Сформированный документ с id {generated_id} не найден", code="generated_not_found")
    if row["scan"] is None:
        raise NotFound("К этому документу скан не приложен", code="scan_not_found")
    return row["scan_file_name"], row["scan_content_type"], row["scan"]


async def mark_signed(conn: asyncpg.Connection, generated_id: int, user_id: int | None, signed: bool) -> None:
    """«Подписан клиентом» with who and when, or the mark taken off."""
    updated = await conn.fetchval(
        "UPDATE generated_documents SET signed_at = CASE WHEN $2 THEN now() END,"
        " signed_by = CASE WHEN $2 THEN $3::bigint END WHERE id = $1 RETURNING id", generated_id, signed, user_id)
    if updated is None:
        raise NotFound(f"Сформированный документ с id {generated_id} не найден", code="generated_not_found")
