"""EnterpriseData («Универсальный формат обмена», version 1.8): our objects as the XML 1С:Бухгалтерия 8.3
loads through «Синхронизация данных через универсальный формат» or «Загрузка данных из файла».

Pure functions: plain rows in, lxml elements out; no I/O. An object refers to another (a document to its
client, a line to its item) by the other's «КлючевыеСвойства» — its «Ссылка» (a UUID kept per object,
:mod:`erp.exchange.refs`) and the properties 1C matches by when the reference is new to it (name, INN, KPP).
Every value goes in as element text, so lxml escapes it; nothing is concatenated into the markup.

The structure follows the format's published description; the XSD in ``tests/exchange/`` is written by us
from it (the official XDTO package could not be downloaded here) and lists exactly what is emitted below.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from lxml import etree

from erp.services.pricing import vat_of

MSG = "http://www.1c.ru/SSL/Exchange/Message"
ED = "http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8"
VERSION = "1.8"
EXCHANGE_PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"

VAT = {"20": "НДС20", "10": "НДС10", "0": "НДС0", "none": "БезНДС", None: "БезНДС", "": "БезНДС"}
PERSON_KINDS = {"company": "ЮридическоеЛицо", "person": "ФизическоеЛицо", "sole_trader": "ФизическоеЛицо"}
# ОКЕИ codes of the units the clinic uses most; any other unit goes by its name alone.
OKEI = {"шт": "796", "усл": "876", "упак": "778", "уп": "778", "компл": "839", "пар": "715", "кг": "166",
        "г": "163", "мг": "161", "л": "112", "мл": "111", "м": "006", "см": "004", "мм": "003", "м2": "055",
        "ч": "356", "мин": "355"}
RUB = (("Код", "643"), ("Наименование", "руб."))


def _tag(name: str) -> str:
    return f"{{{ED}}}{name}"


def _add(parent: etree._Element, name: str, value: Any = None) -> etree._Element:
    element = etree.SubElement(parent, _tag(name))
    if value is not None:
        element.text = _text(value)
    return element


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0).isoformat()
    return str(value)


def _fields(parent: etree._Element, pairs) -> None:
    for name, value in pairs:
        if value not in (None, ""):
            _add(parent, name, value)


# ---------- references (КлючевыеСвойства) ----------

def counterparty_ref(parent: etree._Element, name: str, client: dict) -> etree._Element:
    element = _add(parent, name)
    _fields(element, (("Ссылка", client["ref"]), ("Наименование", client["name"]),
                      ("НаименованиеПолное", client.get("full_name") or client["name"]),
                      ("ИНН", client.get("inn")), ("КПП", client.get("kpp")),
                      ("ЮридическоеФизическоеЛицо", PERSON_KINDS.get(client.get("kind"), "ФизическоеЛицо"))))
    return element


def organization_ref(parent: etree._Element, org: dict) -> etree._Element:
    element = _add(parent, "Организация")
    _fields(element, (("Ссылка", org["ref"]), ("Наименование", org["name"]),
                      ("НаименованиеПолное", org.get("full_name") or org["name"]),
                      ("ИНН", org.get("inn")), ("КПП", org.get("kpp")),
                      ("ЮридическоеФизическоеЛицо",
                       "ФизическоеЛицо" if len(org.get("inn") or "") == 12 else "ЮридическоеЛицо")))
    return element


def item_ref(parent: etree._Element, item: dict) -> etree._Element:
    element = _add(parent, "Номенклатура")
    _fields(element, (("Ссылка", item["ref"]), ("НаименованиеПолное", item["name"]),
                      ("Наименование", item["name"]), ("КодВПрограмме", item.get("code"))))
    return element


def _currency(parent: etree._Element) -> None:
    _fields(_add(parent, "Валюта"), RUB)


# ---------- catalogs ----------

def counterparty(client: dict) -> etree._Element:
    """Справочник.Контрагенты."""
    element = etree.Element(_tag("Справочник.Контрагенты"), nsmap={None: ED})
    counterparty_ref(element, "КлючевыеСвойства", client)
    return element


def nomenclature(item: dict) -> etree._Element:
    """Справочник.Номенклатура: a good or a service, its unit, article and VAT rate."""
    element = etree.Element(_tag("Справочник.Номенклатура"), nsmap={None: ED})
    keys = _add(element, "КлючевыеСвойства")
    _fields(keys, (("Ссылка", item["ref"]), ("НаименованиеПолное", item["name"]), ("Наименование", item["name"]),
                   ("КодВПрограмме", item.get("code"))))
    unit = item.get("unit") or "шт"
    _fields(_add(element, "ЕдиницаИзмерения"), (("Код", OKEI.get(unit)), ("Наименование", unit)))
    goods = item.get("kind") == "goods"
    _fields(_add(element, "ВидНоменклатуры"), (("Наименование", "Товары" if goods else "Услуги"),
                                                ("Тип", "Товар" if goods else "Услуга")))
    _fields(element, (("Артикул", item.get("article")), ("СтавкаНДС", VAT.get(item.get("vat_rate"), "БезНДС"))))
    return element


# ---------- documents ----------

def _document(kind: str, doc: dict, org: dict) -> etree._Element:
    element = etree.Element(_tag(kind), nsmap={None: ED})
    keys = _add(element, "КлючевыеСвойства")
    _fields(keys, (("Ссылка", doc["ref"]), ("Дата", doc["date"]), ("Номер", doc["number"])))
    organization_ref(keys, org)
    return element


def _lines(element: etree._Element, lines: list[dict], items: dict[int, dict], vat) -> None:
    """«Товары» and «Услуги» rows; ``vat(line) -> (rate, amount)``."""
    for kind, table in (("goods", "Товары"), ("service", "Услуги")):
        rows = [ln for ln in lines if items[ln["nomenclature_id"]].get("kind") == kind]
        if not rows:
            continue
        part = _add(element, table)
        for line in rows:
            row = _add(part, "Строка")
            item = items[line["nomenclature_id"]]
            item_ref(row, item)
            if kind == "service":
                _add(row, "Содержание", item["name"])
            rate, amount = vat(line)
            _fields(row, (("Количество", line["quantity"]), ("Цена", line["price"]), ("Сумма", line["amount"]),
                          ("СтавкаНДС", VAT.get(rate, "БезНДС")), ("СуммаНДС", amount)))


def _head(element: etree._Element, doc: dict, client: dict, operation: str | None, amount: Decimal,
          vat_included: bool | None) -> None:
    if operation:
        _add(element, "ВидОперации", operation)
    _currency(element)
    _add(element, "Сумма", amount)
    if vat_included is not None:
        _add(element, "СуммаВключаетНДС", vat_included)
    counterparty_ref(element, "Контрагент", client)
    if doc.get("comment"):
        _add(element, "Комментарий", doc["comment"])


def rendering(doc: dict, org: dict, client: dict, items: dict[int, dict]) -> etree._Element:
    """Документ.РеализацияТоваровУслуг: «Оказание услуг» as «Реализация (акт, накладная)»; VAT at the
    organization's rate, included in the amounts, as the sales register counts it."""
    element = _document("Документ.РеализацияТоваровУслуг", doc, org)
    _head(element, doc, client, "РеализацияКлиенту", doc["amount_total"], True)
    rate = org.get("vat_rate")
    _lines(element, doc["lines"], items, lambda ln: (rate, vat_of(ln["amount"], rate)))
    return element


def invoice(doc: dict, org: dict, client: dict, items: dict[int, dict]) -> etree._Element:
    """Документ.СчетНаОплатуПокупателю: «Счёт на оплату» with its lines' own VAT."""
    element = _document("Документ.СчетНаОплатуПокупателю", doc, org)
    _head(element, doc, client, None, doc["amount_total"], True)
    _lines(element, doc["lines"], items,
           lambda ln: (ln.get("vat_rate"), ln.get("vat_amount") if ln.get("vat_amount") is not None
                       else Decimal("0.00")))
    return element


def payment(doc: dict, org: dict, client: dict) -> etree._Element:
    """«Поступление оплаты»: Документ.ПКО (cash) or Документ.ПоступлениеНаРасчетныйСчет (bank)."""
    kind = "Документ.ПКО" if doc["method"] == "cash" else "Документ.ПоступлениеНаРасчетныйСчет"
    element = _document(kind, doc, org)
    _head(element, doc, client, "ОплатаПокупателя", doc["amount"], None)
    return element


def goods_receipt(doc: dict, org: dict, supplier: dict, items: dict[int, dict]) -> etree._Element:
    """Документ.ПоступлениеТоваровУслуг: «Поступление товаров» from a supplier, without VAT."""
    element = _document("Документ.ПоступлениеТоваровУслуг", doc, org)
    total = sum((ln["amount"] for ln in doc["lines"]), Decimal("0.00"))
    _head(element, doc, supplier, "ЗакупкаУПоставщика", total, False)
    _lines(element, doc["lines"], items, lambda ln: ("none", Decimal("0.00")))
    return element


# ---------- the message ----------

def content_hash(element: etree._Element) -> str:
    """What an object looks like in the file, as a hash: equal hashes, nothing to send again."""
    return hashlib.sha256(etree.tostring(element, method="c14n")).hexdigest()


def message(objects: list[etree._Element], *, message_no: int, sender: str, recipient: str,
            created: dt.datetime) -> bytes:
    """The exchange message: ``msg:Header`` (format, confirmation numbers, versions) and ``Body``."""
    root = etree.Element("Message", nsmap={"msg": MSG, "xs": "http://www.w3.org/2001/XMLSchema",
                                           "xsi": "http://www.w3.org/2001/XMLSchema-instance"})
    header = etree.SubElement(root, f"{{{MSG}}}Header")
    etree.SubElement(header, f"{{{MSG}}}Format").text = ED
    etree.SubElement(header, f"{{{MSG}}}CreationDate").text = _text(created)
    confirmation = etree.SubElement(header, f"{{{MSG}}}Confirmation")
    for name, value in (("ExchangePlan", EXCHANGE_PLAN), ("To", recipient), ("From", sender),
                        ("MessageNo", message_no), ("ReceivedNo", 0)):
        etree.SubElement(confirmation, f"{{{MSG}}}{name}").text = _text(value)
    etree.SubElement(header, f"{{{MSG}}}AvailableVersion").text = VERSION
    body = etree.SubElement(root, _tag("Body"), nsmap={None: ED})
    body.extend(objects)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
