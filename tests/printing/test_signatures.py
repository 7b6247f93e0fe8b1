"""Acceptance points 5 (with or without facsimile), 6 and 12 (uploads): a
facsimile per user with the users allowed to use it, a stamp per organization,
and uploads that are not a small PNG/JPEG refused with a clear message."""

import io

from PIL import Image

from erp.printing.images import MAX_IMAGE_BYTES
from tests.printing.conftest import Api, invoice_data, pdf_images, pdf_text


def picture(fmt: str = "PNG", size: tuple[int, int] = (240, 90), color=(20, 40, 160)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


async def user(api: Api, username: str, role: str) -> int:
    made = await api.call("POST", "/api/users", status=201,
                          json={"username": username, "password": "password-123", "role": role})
    return made["id"]


async def upload_facsimile(api: Api, user_id: int, org: int, position: str, allowed: list[int],
                           content: bytes | None = None, status: int = 200) -> dict:
    r = await api.raw("PUT", f"/api/print/facsimiles/{user_id}", status=status,
                      files={"file": ("sign.png", content or picture(), "image/png")},
                      data={"organization_id": str(org), "position": position,
                            "allowed_user_ids": ",".join(map(str, allowed))})
    return r.json()


async def test_stamp_upload_is_stored_and_served_back(api, clinic):
    png = picture()
    stored = await api.raw("PUT", f"/api/print/stamps/{clinic.org}",
                           files={"file": ("stamp.png", png, "image/png")})
    assert stored.json()["content_type"] == "image/png"
    assert stored.json()["size_bytes"] == len(png)
    served = await api.raw("GET", f"/api/print/stamps/{clinic.org}")
    assert served.headers["content-type"] == "image/png" and served.content == png
    jpeg = picture("JPEG")
    await api.raw("PUT", f"/api/print/stamps/{clinic.org}", files={"file": ("stamp.jpg", jpeg, "image/jpeg")})
    assert (await api.raw("GET", f"/api/print/stamps/{clinic.org}")).content == jpeg


async def test_bad_uploads_get_a_clear_message_and_nothing_is_stored(api, clinic, db):
    cases = [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_IMAGE_BYTES + 1), "file_too_large", "файл слишком большой"),
        (b"%PDF-1.7 not a picture at all", "not_an_image", "нужна картинка PNG или JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "not_an_image", "файл повреждён или это не картинка"),
        (picture("GIF"), "not_an_image", "нужна картинка PNG или JPEG"),
        (picture(size=(5000, 10)), "image_too_large", "больше допустимых 4000 точек"),
        (b"", "empty_file", "файл пустой"),
    ]
    for content, code, text in cases:
        r = await api.raw("PUT", f"/api/print/stamps/{clinic.org}", status=422,
                          files={"file": ("stamp.png", content, "image/png")})
        error = r.json()
        assert (error["code"], "file" in error["details"]["fields"]) == (code, True), error
        assert text in error["message"]
    assert await db.fetchval("SELECT count(*) FROM printing_stamps") == 0
    director = await user(api, "director", "accountant")
    await upload_facsimile(api, director, clinic.org, "director", [], content=b"<svg/>", status=422)
    assert await db.fetchval("SELECT count(*) FROM printing_facsimiles") == 0


async def test_only_admins_upload_and_unknown_organizations_are_named(api, clinic, client, users):
    accountant = Api(client, await users.headers("accountant"))
    r = await accountant.raw("PUT", f"/api/print/stamps/{clinic.org}", status=403,
                             files={"file": ("stamp.png", picture(), "image/png")})
    assert r.json()["code"] == "forbidden_role"
    r = await api.raw("PUT", "/api/print/stamps/999", status=422, files={"file": ("s.png", picture(), "image/png")})
    assert r.json()["details"]["fields"] == {"organization_id": "организация с id 999 не найдена"}


async def test_print_with_facsimile_uses_the_signatures_the_user_may_use(api, clinic, client, db):
    director = await user(api, "smirnov", "accountant")
    accountant_id = await user(api, "kuznetsova", "accountant")
    clerk = await user(api, "clerk", "manager")
    stamp = picture(size=(300, 300), color=(0, 0, 200))
    await api.raw("PUT", f"/api/print/stamps/{clinic.org}", files={"file": ("stamp.png", stamp, "image/png")})
    made = await upload_facsimile(api, director, clinic.org, "director", [accountant_id],
                                  content=picture(color=(10, 10, 10)))
    assert (made["position"], made["allowed_user_ids"], made["organization"]) == ("director", [accountant_id],
                                                                                "Клиника")
    await upload_facsimile(api, accountant_id, clinic.org, "accountant", [], content=picture(color=(90, 0, 0)))
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "1500")), post=True)
    path = f"/api/documents/invoices/{doc['id']}/print/invoice"

    token = await api.post("/api/auth/token", {"username": "kuznetsova", "password": "password-123"})
    as_accountant = Api(client, {"Authorization": f"Bearer {token['access_token']}"})
    signed = await as_accountant.pdf(path, facsimile="true")
    assert pdf_images(signed) == 3, "the director's and her own signature, and the stamp"
    assert "Смирнов А.А." in pdf_text(signed)
    assert pdf_images(await as_accountant.pdf(path, facsimile="false")) == 0
    assert pdf_images(await as_accountant.pdf(path)) == 0

    token = await api.post("/api/auth/token", {"username": "clerk", "password": "password-123"})
    as_clerk = Api(client, {"Authorization": f"Bearer {token['access_token']}"})
    refused = await as_clerk.get(path, status=403, facsimile="true")
    assert refused["code"] == "facsimile_not_allowed"
    assert "Вам не разрешено печатать с факсимиле организации «Клиника»" in refused["message"]
    await api.put(f"/api/print/facsimiles/{director}/allowed-users", {"user_ids": [accountant_id, clerk]})
    assert pdf_images(await as_clerk.pdf(path, facsimile="true")) == 2, "the director's signature and the stamp"
    preview = await as_clerk.raw("GET", path, params={"format": "html", "facsimile": "true"})
    assert preview.text.count('src="data:image/png;base64,') == 2
    assert await db.fetchval("SELECT count(*) FROM generated_documents WHERE facsimile") == 2


async def test_print_with_facsimile_when_none_is_uploaded_says_so(api, clinic):
    doc = await api.create("invoices", invoice_data(clinic, (clinic.service, "1", "1500")), post=True)
    error = await api.get(f"/api/documents/invoices/{doc['id']}/print/invoice", status=409, facsimile="true")
    assert error["code"] == "facsimile_missing"
    assert error["message"] == "Для организации «Клиника» не загружено ни одного факсимиле подписи"


async def test_facsimiles_are_listed_and_removed(api, clinic):
    director = await user(api, "smirnov", "accountant")
    await upload_facsimile(api, director, clinic.org, "director", [])
    listed = await api.get("/api/print/facsimiles")
    assert [(f["username"], f["position"]) for f in listed] == [("smirnov", "director")]
    image = await api.raw("GET", f"/api/print/facsimiles/{director}/image")
    assert image.headers["content-type"] == "image/png"
    await api.raw("DELETE", f"/api/print/facsimiles/{director}", status=204)
    assert await api.get("/api/print/facsimiles") == []
    bad = await upload_facsimile(api, director, clinic.org, "boss", [], status=422)
    assert bad["details"]["fields"] == {"position": "допустимые значения: director, accountant"}
