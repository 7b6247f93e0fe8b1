"""Загрузка выписки банка end to end (issue 15, points 5 and 9): ``POST /api/bank-statements/preview``
matches each payment of a hand-written statement — the client by the payer's INN and the invoice by its
number in the purpose, the supplier by the recipient's INN — and lists the one it cannot match; the
accountant's choice fills it; ``POST /api/bank-statements`` posts the payments, the outgoing payment and
the transfer in one transaction: the money in the account is the bank's closing balance, the invoice is
paid, the supplier's debt is down. The same file again (or the next statement repeating a payment) makes
nothing; a broken file, a payment the money cannot cover or a wrong choice writes nothing at all."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal as D
from pathlib import Path

from erp.app.application import create_app
from tests.clinic.conftest import counts
from tests.conftest import concurrent_client

FILES = Path(__file__).parent / "statements"
WINDOWS, UTF8 = "kl_to_1c_windows.txt", "kl_to_1c_utf8.txt"
DEPOSIT = "40702810238000000002"  # the clinic's second account, the UTF-8 statement's transfer goes to


async def send(client, headers, name: str | bytes, *, preview: bool = False, choices: dict | None = None,
               status: int | None = None) -> dict:
    content = (FILES / name).read_bytes() if isinstance(name, str) else name
    path = "/api/bank-statements" + ("/preview" if preview else "")
    data = {"choices": json.dumps(choices)} if choices is not None else {}
    r = await client.post(path, headers=headers, files={"file": ("kl_to_1c.txt", content)}, data=data)
    expected = status if status is not None else (200 if preview else 201)
    assert r.status_code == expected, f"POST {path}: {r.status_code} {r.text[:3000]}"
    return r.json()


async def romashka(api) -> dict:
    return await api.item("clients", {"name": "ООО «Ромашка»", "kind": "company", "inn": "7701234560",
                                      "kpp": "770101001"})


async def bill(api, clinic, client_id: int, quantity: str = "3") -> dict:
    """A posted invoice of three visits, 4 500 ₽: the first of the base, № К0000000001."""
    return await api.create("invoices", {
        "date": "2026-11-30T12:00:00", "organization_id": clinic.org, "bank_account_id": clinic.account,
        "client_id": client_id, "due_date": "2026-12-07",
        "lines": [{"nomenclature_id": clinic.service, "quantity": quantity, "price": "1500"}]}, post=True)


async def money(api, clinic, account: int) -> D:
    rows = await api.balance("money", organization_id=clinic.org, account_kind="bank-accounts", account_id=account)
    return D(rows[0]["amount"]) if rows else D(0)


async def test_the_preview_matches_clients_invoices_and_suppliers_and_lists_the_rest(client, admin, api, clinic,
                                                                                      db):
    buyer = await romashka(api)
    invoice = await bill(api, clinic, buyer["id"])
    before = await counts(db)
    found = await send(client, admin, WINDOWS, preview=True)
    assert (found["encoding"], found["start"], found["end"]) == ("cp1251", "2026-12-01", "2026-12-03")
    assert [a["account_number"] for a in found["accounts"]] == ["40702810938000000001"]
    assert (found["total"], found["ready"], found["unmatched"], found["incoming"], found["outgoing"]) == (
        3, 2, 1, "5750.00", "1000.00")
    paid, unknown, supplier = found["rows"]
    assert (paid["direction"], paid["status"], paid["client_id"], paid["client_name"], paid["invoice_id"],
            paid["invoice_number"], paid["amount"], paid["day"]) == (
        "in", "ready", buyer["id"], "ООО «Ромашка»", invoice["id"], invoice["number"], "4500.00", "2026-12-02")
    assert [(i["id"], i["due"]) for i in paid["invoices"]] == [(invoice["id"], "4500.00")]  # offered to choose
    assert (unknown["status"], unknown["client_id"], unknown["counterparty"]) == (
        "unmatched", None, "Сидорова Анна Петровна")
    assert "ИНН 500100732259 не найден" in unknown["note"]
    assert (supplier["direction"], supplier["status"], supplier["client_id"], supplier["operation"]) == (
        "out", "ready", clinic.supplier, "to_supplier")
    assert await counts(db) == before  # a preview writes nothing


async def test_loading_posts_everything_in_one_go_and_the_money_is_the_banks_closing_balance(client, admin, api,
                                                                                              clinic, db):
    buyer = await romashka(api)
    invoice = await bill(api, clinic, buyer["id"])
    choices = {"2": {"client_id": clinic.client}}  # Сидорова paid for Иванов's visit: the accountant's choice
    loaded = await send(client, admin, WINDOWS, choices=choices)
    assert [(r["status"], r["document"]["kind"]) for r in loaded["rows"]] == [
        ("ready", "payments"), ("ready", "payments"), ("ready", "outgoing-payments")]
    first, second, third = [await api.get(f"/api/documents/{r['document']['kind']}/{r['document']['id']}")
                            for r in loaded["rows"]]
    assert all(d["posted"] for d in (first, second, third))
    assert (first["client_id"], first["invoice_id"], first["amount"], first["date"][:10]) == (
        buyer["id"], invoice["id"], "4500.00", "2026-12-02")
    assert "№ 214 от 01.12.2026" in first["comment"]
    assert (second["client_id"], second["invoice_id"], second["amount"]) == (clinic.client, None, "1250.00")
    assert (third["recipient_id"], third["operation"], third["amount"], third["bank_account_id"]) == (
        clinic.supplier, "to_supplier", "1000.00", clinic.account)
    assert third["purpose"].startswith("Оплата по счету 45")
    assert await money(api, clinic, clinic.account) == D("4750.00")  # КонечныйОстаток of the statement
    status = await api.get(f"/api/documents/invoices/{invoice['id']}")
    assert (status["status"], status["amount_due"]) == ("paid", "0.00")
    debts = await api.balance("supplier-settlements", counterparty_id=clinic.supplier)
    assert [d["amount"] for d in debts] == ["-1000.00"]  # paid before the goods came: an advance

    before = await counts(db)
    again = await send(client, admin, WINDOWS, choices=choices)
    assert [r["status"] for r in again["rows"]] == ["imported"] * 3
    assert [r["document"]["id"] for r in again["rows"]] == [r["document"]["id"] for r in loaded["rows"]]
    assert await counts(db) == before and await money(api, clinic, clinic.account) == D("4750.00")


async def test_the_next_statement_repeating_a_payment_makes_only_the_new_ones(client, admin, api, clinic, db):
    await romashka(api)
    deposit = await api.item("bank-accounts", {"name": "Депозитный", "organization_id": clinic.org,
                                               "bank_name": "ПАО Сбербанк", "bik": "044525225",
                                               "account_number": DEPOSIT})
    await send(client, admin, WINDOWS, choices={"2": {"skip": True}})
    assert await money(api, clinic, clinic.account) == D("3500.00")  # 4 500 in, 1 000 out, Сидорова skipped
    found = await send(client, admin, UTF8, preview=True)
    assert found["encoding"] == "utf-8"
    assert [(r["direction"], r["status"]) for r in found["rows"]] == [
        ("out", "imported"), ("in", "ready"), ("transfer", "ready")]
    advance = found["rows"][1]
    assert (advance["amount"], advance["invoice_id"]) == ("2000.00", None)  # «договору № 15» is not an invoice
    loaded = await send(client, admin, UTF8)
    transfer = await api.get(f"/api/documents/money-transfers/{loaded['rows'][2]['document']['id']}")
    assert (transfer["bank_account_id"], transfer["bank_account_to_id"], transfer["posted"]) == (
        clinic.account, deposit["id"], True)
    assert await money(api, clinic, clinic.account) == D("5000.00")
    assert await money(api, clinic, deposit["id"]) == D("500.00")
    outgoing = await api.get("/api/documents/outgoing-payments")
    assert len(outgoing["items"]) == 1  # the repeated № 58 made nothing


async def test_a_broken_or_foreign_statement_is_refused_in_russian_and_writes_nothing(client, admin, api, clinic,
                                                                                     db):
    before = await counts(db)
    for name, code in (("broken_header.txt", "statement_bad_header"), ("truncated.txt", "statement_broken"),
                       ("bad_amount.txt", "statement_bad_amount"), ("other_account.txt", "statement_no_our_account")):
        for preview in (True, False):
            answer = await send(client, admin, name, preview=preview, status=422)
            assert answer["code"] == code and answer["message"].startswith("Выписка не загружена")
    nul = await send(client, admin, b"1CClientBankExchange\r\n\x00", status=422)
    assert nul["code"] == "invalid_text"
    huge = await send(client, admin, b"1CClientBankExchange\r\n" + b" " * (11 * 1024 * 1024), status=413)
    assert huge["code"] == "file_too_large" and "МБ" in huge["message"]
    # a payment in the statement between two strangers: the file is not this account's statement
    text = (FILES / WINDOWS).read_bytes().decode("cp1251")
    foreign = text.replace("ПлательщикСчет=40702810938000000001\r\nДатаСписано=03.12.2026",
                           "ПлательщикСчет=40702810000000000555\r\nДатаСписано=03.12.2026")
    assert foreign != text
    answer = await send(client, admin, foreign.encode("cp1251"), preview=True, status=422)
    assert answer["code"] == "statement_unknown_account" and "№ 58 от 03.12.2026" in answer["message"]
    assert await counts(db) == before
    assert await db.fetchval("SELECT count(*) FROM bank_statement_rows") == 0


async def test_a_payment_the_money_cannot_cover_refuses_the_whole_statement(client, admin, api, clinic, db):
    await romashka(api)
    before = await counts(db)
    # both incoming payments skipped, the 1 000 to the supplier finds the account empty
    answer = await send(client, admin, WINDOWS, choices={"1": {"skip": True}, "2": {"skip": True}}, status=409)
    assert answer["code"] == "balance_shortage"
    assert answer["details"]["row"] == 3 and "строка 3 (№ 58 от 03.12.2026" in answer["message"]
    assert await counts(db) == before
    assert await db.fetchval("SELECT count(*) FROM bank_statement_rows") == 0


async def test_an_invoice_of_another_client_or_a_bad_choice_writes_nothing(client, admin, api, clinic, db):
    buyer = await romashka(api)
    theirs = await bill(api, clinic, clinic.client, quantity="1")
    before = await counts(db)
    answer = await send(client, admin, WINDOWS, choices={"1": {"invoice_id": theirs["id"]}, "2": {"skip": True}},
                        status=422)
    assert answer["details"]["row"] == 1 and "другому клиенту" in answer["message"]
    for choices in ('{"1": 5}', "[]", '{"x": {}}', '{"1": {"client_id": "abc"}}', '{"3": {"operation": "gift"}}'):
        r = await client.post("/api/bank-statements", headers=admin, data={"choices": choices},
                              files={"file": ("kl_to_1c.txt", (FILES / WINDOWS).read_bytes())})
        assert r.status_code == 422 and r.json()["code"] == "bad_choice", r.text
    unknown = await send(client, admin, WINDOWS, choices={"2": {"client_id": 999999}}, status=422)
    assert unknown["details"]["row"] == 2
    assert await counts(db) == before and buyer["id"]


async def test_only_who_posts_payments_loads_statements(client, users, clinic):
    content = (FILES / WINDOWS).read_bytes()
    for path in ("/api/bank-statements", "/api/bank-statements/preview"):
        r = await client.post(path, files={"file": ("kl_to_1c.txt", content)})
        assert r.status_code == 401
        r = await client.post(path, headers=await users.headers("manager"), files={"file": ("kl_to_1c.txt", content)})
        assert r.status_code == 403 and r.json()["code"] == "forbidden_role"
    r = await client.post("/api/bank-statements/preview", headers=await users.headers("accountant"),
                          files={"file": ("kl_to_1c.txt", content)})
    assert r.status_code == 200 and r.json()["total"] == 3


async def test_two_loads_of_one_statement_at_once_make_each_payment_once(settings, database_url, admin, api,
                                                                         clinic, db):
    await romashka(api)
    content = (FILES / WINDOWS).read_bytes()
    async with concurrent_client(create_app(settings, database_url, pool_size=4)) as http:
        answers = await asyncio.gather(*(http.post(
            "/api/bank-statements", headers=admin, data={"choices": json.dumps({"2": {"client_id": clinic.client}})},
            files={"file": ("kl_to_1c.txt", content)}) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [201, 201], [a.text for a in answers]
    assert await db.fetchval("SELECT count(*) FROM doc_payments") == 2
    assert await db.fetchval("SELECT count(*) FROM doc_outgoing_payments") == 1
    assert await db.fetchval("SELECT count(*) FROM bank_statement_rows WHERE document_id IS NOT NULL") == 3
    assert await money(api, clinic, clinic.account) == D("4750.00")


async def test_a_statement_of_a_closed_period_writes_nothing(client, admin, api, clinic, db):
    await romashka(api)
    await api.put("/api/period-lock", {"date": "2026-12-02", "organization_id": clinic.org})
    before = await counts(db)
    answer = await send(client, admin, WINDOWS, choices={"2": {"skip": True}}, status=409)
    assert answer["details"]["row"] == 1 and "строка 1 (№ 214 от 01.12.2026" in answer["message"]
    assert await counts(db) == before
    assert await db.fetchval("SELECT count(*) FROM bank_statement_rows") == 0
