"""REST of the printing settings, for administrators: the defaults of new
documents, the SMTP server, organizations' stamps and users' facsimiles.

- ``GET|PUT /api/settings/document-defaults``
- ``GET|PUT /api/settings/smtp`` (the password is write-only)
- ``GET|PUT|DELETE /api/print/stamps/{organization_id}`` (PUT: multipart ``file``)
- ``GET /api/print/facsimiles``; ``GET|PUT|DELETE /api/print/facsimiles/{user_id}``
  (PUT: multipart ``file``, ``organization_id``, ``position``, ``allowed_user_ids``);
  ``GET .../image``; ``PUT .../allowed-users``

Images are PNG or JPEG of at most 1 MB, checked by :mod:`erp.printing.images`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, delete, get, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody

from erp.api.schemas import Id, OptionalId
from erp.api.security import ANY_USER, allow
from erp.platform.db import in_transaction
from erp.platform.errors import ValidationError

from . import defaults, images, mail

TAGS = ["Настройки печати"]
ADMIN = [allow("admin")]
Multipart = Body(media_type=RequestEncodingType.MULTI_PART)
IMAGES = ("image/png", "image/jpeg")


class DefaultsBody(msgspec.Struct, forbid_unknown_fields=True):
    organization_id: int | None = None
    bank_account_id: int | None = None
    discount_percent: Decimal | None = None
    discount_amount: Decimal | None = None
    vat_rate: Literal["20", "10", "0", "none"] | None = None


class SmtpBody(msgspec.Struct, forbid_unknown_fields=True):
    host: str
    from_email: str
    port: int = 587
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str = ""
    password: str | None = None  # None keeps the stored one
    from_name: str = ""
    timeout_seconds: int = 20


class SmtpOut(msgspec.Struct):
    host: str
    port: int
    security: str
    username: str
    from_email: str
    from_name: str
    timeout_seconds: int
    password_set: bool


class StampOut(msgspec.Struct):
    organization_id: int
    content_type: str
    size_bytes: int
    uploaded_by: int | None
    uploaded_at: dt.datetime


class FacsimileOut(msgspec.Struct):
    user_id: int
    username: str
    organization_id: int
    organization: str
    position: str
    allowed_user_ids: list[int]
    content_type: str
    size_bytes: int
    uploaded_by: int | None
    uploaded_at: dt.datetime


class AllowedUsers(msgspec.Struct, forbid_unknown_fields=True):
    user_ids: list[int]


@dataclass
class ImageUpload:
    file: UploadFile


@dataclass
class FacsimileUpload:
    file: UploadFile
    organization_id: str
    position: str
    allowed_user_ids: str = ""


def _ids(raw: str, field: str) -> list[int]:
    """``"3, 5,7"`` → ``[3, 5, 7]`` (multipart fields are text)."""
    try:
        return [int(part) for part in raw.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise ValidationError.field(field, "ожидаются id пользователей через запятую") from None


def _id(raw: str, field: str) -> int:
    ids = _ids(raw, field)
    if len(ids) != 1 or ids[0] < 1:
        raise ValidationError.field(field, "ожидается идентификатор (целое число больше нуля)")
    return ids[0]


def _image(content_type: str, content: bytes) -> Response:
    return Response(content, media_type=content_type, headers={"Cache-Control": "no-store"})


def _user_id(request: Request) -> int | None:
    return getattr(request.user, "user_id", None)


@get("/api/settings/document-defaults", guards=[ANY_USER], tags=TAGS, summary="Значения по умолчанию")
async def read_defaults(request: Request) -> DefaultsBody:
    async with request.app.state.pool.acquire() as conn:
        values = await defaults.get_defaults(conn)
    return msgspec.convert(values, DefaultsBody, from_attributes=True)


@put("/api/settings/document-defaults", guards=ADMIN, tags=TAGS, summary="Изменить значения по умолчанию",
     description="Организация, банковский счёт (этой организации), скидка в процентах или суммой, ставка НДС.")
async def write_defaults(request: Request, data: JSONBody[DefaultsBody]) -> DefaultsBody:
    values = defaults.DocumentDefaults(**msgspec.structs.asdict(data))
    await in_transaction(request.app.state.pool, lambda conn: defaults.set_defaults(conn, values))
    return data


@get("/api/settings/smtp", guards=ADMIN, tags=TAGS, summary="Настройки почты (SMTP)")
async def read_smtp(request: Request) -> SmtpOut | None:
    async with request.app.state.pool.acquire() as conn:
        smtp = await mail.get_smtp(conn, request.app.state.settings.secret_key)
    return SmtpOut(**smtp.public()) if smtp else None


@put("/api/settings/smtp", guards=ADMIN, tags=TAGS, summary="Изменить настройки почты (SMTP)",
     description="Пароль только записывается; без поля `password` остаётся прежний.")
async def write_smtp(request: Request, data: JSONBody[SmtpBody]) -> SmtpOut:
    values = mail.SmtpSettings(**{**msgspec.structs.asdict(data), "password": data.password or ""})
    secret = request.app.state.settings.secret_key
    smtp = await in_transaction(request.app.state.pool, lambda conn: mail.set_smtp(
        conn, values, secret, keep_password=data.password is None))
    return SmtpOut(**smtp.public())


@put("/api/print/stamps/{organization_id:int}", guards=ADMIN, tags=TAGS, summary="Загрузить печать организации",
     description="multipart/form-data, поле `file`: PNG или JPEG не больше 1 МБ.")
async def upload_stamp(request: Request, organization_id: Id,
                       data: Annotated[ImageUpload, Multipart]) -> StampOut:
    content = await data.file.read()
    async with request.app.state.pool.acquire() as conn:
        row = await images.set_stamp(conn, organization_id, content, _user_id(request))
    return StampOut(**row)


@get("/api/print/stamps/{organization_id:int}", guards=ADMIN, tags=TAGS, summary="Печать организации",
     opt={"media_types": {"200": IMAGES}})
async def read_stamp(request: Request, organization_id: Id) -> Response:
    async with request.app.state.pool.acquire() as conn:
        return _image(*await images.stamp_image(conn, organization_id))


@delete("/api/print/stamps/{organization_id:int}", guards=ADMIN, tags=TAGS, summary="Удалить печать организации")
async def remove_stamp(request: Request, organization_id: Id) -> None:
    async with request.app.state.pool.acquire() as conn:
        await images.delete_stamp(conn, organization_id)


@get("/api/print/facsimiles", guards=[ANY_USER], tags=TAGS, summary="Факсимиле подписей")
async def list_facsimiles(request: Request, organization_id: OptionalId = None) -> list[FacsimileOut]:
    async with request.app.state.pool.acquire() as conn:
        rows = await images.list_facsimiles(conn, organization_id)
    return [FacsimileOut(**r) for r in rows]


@put("/api/print/facsimiles/{user_id:int}", guards=ADMIN, tags=TAGS, summary="Загрузить факсимиле пользователя",
     description="multipart/form-data: `file` (PNG/JPEG до 1 МБ), `organization_id`, `position` "
                 "(director — руководитель, accountant — бухгалтер), `allowed_user_ids` (id через запятую).")
async def upload_facsimile(request: Request, user_id: Id, data: Annotated[FacsimileUpload, Multipart]) -> FacsimileOut:
    content = await data.file.read()
    organization_id = _id(data.organization_id, "organization_id")
    allowed = _ids(data.allowed_user_ids, "allowed_user_ids")
    async with request.app.state.pool.acquire() as conn:
        row = await images.set_facsimile(conn, user_id, organization_id=organization_id, position=data.position,
                                         allowed_user_ids=allowed, content=content, uploaded_by=_user_id(request))
    return FacsimileOut(**row)


@get("/api/print/facsimiles/{user_id:int}", guards=[ANY_USER], tags=TAGS, summary="Факсимиле пользователя")
async def read_facsimile(request: Request, user_id: Id) -> FacsimileOut:
    async with request.app.state.pool.acquire() as conn:
        return FacsimileOut(**await images.facsimile(conn, user_id))


@put("/api/print/facsimiles/{user_id:int}/allowed-users", guards=ADMIN, tags=TAGS,
     summary="Кому разрешено печатать с факсимиле")
async def write_allowed(request: Request, user_id: Id, data: JSONBody[AllowedUsers]) -> FacsimileOut:
    async with request.app.state.pool.acquire() as conn:
        return FacsimileOut(**await images.set_allowed_users(conn, user_id, data.user_ids))


@get("/api/print/facsimiles/{user_id:int}/image", guards=ADMIN, tags=TAGS, summary="Картинка факсимиле",
     opt={"media_types": {"200": IMAGES}})
async def facsimile_image(request: Request, user_id: Id) -> Response:
    async with request.app.state.pool.acquire() as conn:
        return _image(*await images.facsimile_image(conn, user_id))


@delete("/api/print/facsimiles/{user_id:int}", guards=ADMIN, tags=TAGS, summary="Удалить факсимиле")
async def remove_facsimile(request: Request, user_id: Id) -> None:
    async with request.app.state.pool.acquire() as conn:
        await images.delete_facsimile(conn, user_id)


ROUTES = [read_defaults, write_defaults, read_smtp, write_smtp, upload_stamp, read_stamp, remove_stamp,
          list_facsimiles, upload_facsimile, read_facsimile, write_allowed, facsimile_image, remove_facsimile]
