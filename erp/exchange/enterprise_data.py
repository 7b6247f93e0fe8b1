"""EnterpriseData («Универсальный формат обмена», version 1.8): our objects as the XML 1С:Бухгалтерия 8.3
loads through «Синхронизация данных через универсальный формат» or «Загрузка данных из файла».

Pure functions: plain rows in, lxml elements out; no I/O. An object refers to another (a document to its
client, a line to its item) by the other's «КлючевыеСвойства» — its «Ссылка» (a UUID kept per object,
:func:`erp.exchange.read.refs`) and the properties 1C matches by when the reference is new to it (name,
INN, KPP). Every value goes in as element text, so lxml escapes it; nothing is concatenated into the markup.

Names, order and required properties are those of the official EnterpriseData 1.8 XDTO package; the part
written here is transcribed as ``tests/exchange/xsd/enterprise_data_1_8.xsd`` and every file is checked
against it. Properties the format requires and we keep no data for are filled so 1C reads them the usual
way (see :data:`RUB`, :func:`settlements`):

* currency: roubles, by the classifier code «643» (1C finds its «Валюты» item by the code);
* contract: none is kept here, so «ДанныеВзаиморасчетов» names the counterparty's «Основной договор» of
  the right kind («СПокупателем» for sales, invoices and payments, «СПоставщиком» for receipts), without
  a «Ссылка»: 1C finds or creates that contract by its key properties;
* a payment's settlement line says «Автоматически»: 1C offsets it against the client's open debts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from lxml import etree

from erp.catalogs.nomenclature import OKEI  # ОКЕИ codes of the units; any other unit goes by its name alone
from erp.services.pricing import vat_of

MSG = "http://www.1c.ru/SSL/Exchange/Message"
ED = "http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8"
VERSION = "1.8"
EXCHANGE_PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"

VAT = {"20": "НДС20", "10": "НДС10", "0": "НДС0", "none": "БезНДС", None: "БезНДС", "": "БезНДС"}
PERSON_KINDS = {"company": "ЮридическоеЛицо", "person": "ФизическоеЛицо", "sole_trader": "ФизическоеЛицо"}
RUB = ("643", "руб.")  # the classifier code and name of the rouble
CONTRACT = "Основной договор"
BUYER, SUPPLIER = "СПокупателем", "СПоставщиком"


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


def _object(kind: str) -> etree._Element:
    return etree.Element(_tag(kind), nsmap={None: ED})


# ---------- references (КлючевыеСвойства…) ----------

def classifier(parent: etree._Element, name: str, code: str | None, title: str) -> etree._Element:
    """An item named by a classifier («ДанныеКлассификатора»: code, name): a currency, a unit."""
    element = _add(parent, name)
    _fields(_add(element, "ДанныеКлассификатора"), (("Код", code), ("Наименование", title)))
    return element


def currency(parent: etree._Element, name: str = "Валюта") -> etree._Element:
    return classifier(parent, name, *RUB)


def unit(parent: etree._Element, item: dict) -> etree._Element:
    """КлючевыеСвойстваЕдиницаИзмерения of an item's unit: the ОКЕИ code when we know it, and the name."""
    title = item.get("unit") or "шт"
    return classifier(parent, "ЕдиницаИзмерения", OKEI.get(title), title)


def counterparty_ref(parent: etree._Element, name: str, client: dict) -> etree._Element:
    element = _add(parent, name)
    _fields(element, (("Ссылка", client["ref"]), ("Наименование", client["name"]),
                      ("НаименованиеПолное", client.get("full_name") or client["name"]),
                      ("ИНН", client.get("inn")), ("КПП", client.get("kpp")),
                      ("ЮридическоеФизическоеЛицо", PERSON_KINDS.get(client.get("kind"), "ФизическоеЛицо"))))
    return element


def organization_ref(parent: etree._Element, org: dict, name: str = "Организация") -> etree._Element:
    element = _add(parent, name)
    _fields(element, (("Ссылка", org["ref"]), ("Наименование", org["name"]),
                      ("НаименованиеПолное", org.get("full_name") or org["name"]),
                      ("ИНН", org.get("inn")), ("КПП", org.get("kpp")),
                      ("ЮридическоеФизическоеЛицо",
                       "ФизическоеЛицо" if len(org.get("inn") or "") == 12 else "ЮридическоеЛицо")))
    return element


def item_ref(parent: etree._Element, item: dict, name: str = "Номенклатура") -> etree._Element:
    element = _add(parent, name)
    _fields(element, (("Ссылка", item["ref"]), ("НаименованиеПолное", item["name"]),
                      ("КодВПрограмме", item.get("code")), ("Артикул", item.get("article")),
                      ("Наименование", item["name"])))
    return element


def bank_account(parent: etree._Element, name: str, account: dict, org: dict) -> etree._Element:
    """КлючевыеСвойстваБанковскийСчет of one of the organization's accounts: number, bank, owner."""
    element = _add(parent, name)
    _add(element, "НомерСчета", account["account_number"])
    if account.get("bik") or account.get("bank_name"):
        bank = _add(_add(element, "Банк"), "ДанныеКлассификатораБанков")
        _fields(bank, (("Наименование", account.get("bank_name")), ("БИК", account.get("bik")),
                       ("КоррСчет", account.get("correspondent_account"))))
    organization_ref(_add(element, "Владелец"), org, "ОрганизацииСсылка")
    return element


def settlements(parent: etree._Element, org: dict, client: dict, contract_kind: str) -> etree._Element:
    """ОбщиеСвойстваДанныеВзаиморасчетов: the counterparty's main contract of the kind, in roubles."""
    element = _add(parent, "ДанныеВзаиморасчетов")
    contract = _add(element, "Договор")
    _add(contract, "ВидДоговора", contract_kind)
    organization_ref(contract, org)
    counterparty_ref(contract, "Контрагент", client)
    currency(contract, "ВалютаВзаиморасчетов")
    _add(contract, "РасчетыВУсловныхЕдиницах", False)
    _add(contract, "Наименование", CONTRACT)
    currency(element, "ВалютаВзаиморасчетов")
    _add(element, "РасчетыВУсловныхЕдиницах", False)
    return element


# ---------- catalogs ----------

def counterparty(client: dict) -> etree._Element:
    """Справочник.Контрагенты."""
    element = _object("Справочник.Контрагенты")
    counterparty_ref(element, "КлючевыеСвойства", client)
    return element


def nomenclature(item: dict) -> etree._Element:
    """Справочник.Номенклатура: a good or a service, its unit, VAT rate and kind."""
    element = _object("Справочник.Номенклатура")
    item_ref(element, item, "КлючевыеСвойства")
    kind = "Товар" if item.get("kind") == "goods" else "Услуга"
    _add(element, "ТипНоменклатуры", kind)
    unit(element, item)
    _add(element, "СтавкаНДС", VAT.get(item.get("vat_rate"), "БезНДС"))
    view = _add(element, "ВидНоменклатуры")
    _fields(view, (("Наименование", "Товары" if kind == "Товар" else "Услуги"), ("ТипНоменклатуры", kind)))
    return element


# ---------- documents ----------

def _document(kind: str, doc: dict, org: dict, client: dict | None = None) -> etree._Element:
    """The object with its «КлючевыеСвойства» (reference, date, number, organization[, counterparty])."""
    element = _object(kind)
    keys = _add(element, "КлючевыеСвойства")
    _fields(keys, (("Ссылка", doc["ref"]), ("Дата", doc["date"]), ("Номер", doc["number"])))
    organization_ref(keys, org)
    if client is not None:
        counterparty_ref(keys, "Контрагент", client)
    return element


def _goods(element: etree._Element, lines: list[dict], items: dict[int, dict], vat) -> None:
    """«Товары»: each row names its item through «ДанныеНоменклатуры» and its unit; ``vat(line)`` is
    (rate, amount)."""
    if not lines:
        return
    table = _add(element, "Товары")
    for line in lines:
        row, item = _add(table, "Строка"), items[line["nomenclature_id"]]
        item_ref(_add(row, "ДанныеНоменклатуры"), item)
        unit(row, item)
        rate, amount = vat(line)
        _fields(row, (("Количество", line["quantity"]), ("Сумма", line["amount"]), ("Цена", line["price"]),
                      ("СтавкаНДС", VAT.get(rate, "БезНДС")), ("СуммаНДС", amount)))


def _services(element: etree._Element, lines: list[dict], items: dict[int, dict], vat) -> None:
    """«Услуги»: each row names its item directly and says what was done («Содержание»)."""
    if not lines:
        return
    table = _add(element, "Услуги")
    for line in lines:
        row, item = _add(table, "Строка"), items[line["nomenclature_id"]]
        item_ref(row, item)
        rate, amount = vat(line)
        _fields(row, (("Количество", line["quantity"]), ("Сумма", line["amount"]), ("Цена", line["price"]),
                      ("СтавкаНДС", VAT.get(rate, "БезНДС")), ("СуммаНДС", amount), ("Содержание", item["name"])))


def _split(lines: list[dict], items: dict[int, dict]) -> tuple[list[dict], list[dict]]:
    goods = [ln for ln in lines if items[ln["nomenclature_id"]].get("kind") == "goods"]
    return goods, [ln for ln in lines if items[ln["nomenclature_id"]].get("kind") != "goods"]


def _warehouse(element: etree._Element, doc: dict) -> None:
    if doc.get("warehouse"):
        _add(_add(element, "Склад"), "Наименование", doc["warehouse"])


def rendering(doc: dict, org: dict, client: dict, items: dict[int, dict]) -> etree._Element:
    """Документ.РеализацияТоваровУслуг: «Оказание услуг» as «Реализация (акт, накладная)»; VAT at the
    organization's rate, included in the amounts, as the sales register counts it."""
    element = _document("Документ.РеализацияТоваровУслуг", doc, org)
    _add(element, "ВидОперации", "РеализацияКлиенту")
    currency(element)
    _add(element, "Сумма", doc["amount_total"])
    _add(element, "СуммаВключаетНДС", True)
    _warehouse(element, doc)
    counterparty_ref(element, "Контрагент", client)
    settlements(element, org, client, BUYER)
    _fields(element, (("Комментарий", doc.get("comment")),))
    rate = org.get("vat_rate")
    _add(element, "Налогообложение",
         "ПродажаНеОблагаетсяНДС" if VAT.get(rate, "БезНДС") == "БезНДС" else "ПродажаОблагаетсяНДС")
    goods, services = _split(doc["lines"], items)
    vat = lambda ln: (rate, vat_of(ln["amount"], rate))  # noqa: E731
    _goods(element, goods, items, vat)
    _services(element, services, items, vat)
    return element


def invoice(doc: dict, org: dict, client: dict, items: dict[int, dict]) -> etree._Element:
    """Документ.СчетПокупателю: «Счёт на оплату» with its lines' own VAT. The format has no comment
    for it, so ours stays here."""
    element = _document("Документ.СчетПокупателю", doc, org)
    currency(element)
    _add(element, "Сумма", doc["amount_total"])
    counterparty_ref(element, "Контрагент", client)
    settlements(element, org, client, BUYER)
    _add(element, "СуммаВключаетНДС", True)
    if doc.get("account"):
        bank_account(element, "БанковскийСчетОрганизации", doc["account"], org)
    goods, services = _split(doc["lines"], items)
    vat = lambda ln: (ln.get("vat_rate"), ln["vat_amount"] if ln.get("vat_amount") is not None  # noqa: E731
                      else Decimal("0.00"))
    _goods(element, goods, items, vat)
    _services(element, services, items, vat)
    return element


def _breakdown(element: etree._Element, doc: dict, org: dict, client: dict) -> None:
    """«РасшифровкаПлатежа»: the whole amount against the client's debts, offset automatically."""
    row = _add(_add(element, "РасшифровкаПлатежа"), "Строка")
    _add(row, "Сумма", doc["amount"])
    settlements(row, org, client, BUYER)
    _add(row, "СпособПогашенияЗадолженности", "Автоматически")


def payment(doc: dict, org: dict, client: dict) -> etree._Element:
    """«Поступление оплаты» from a client: Документ.ПКОРасчетыСКонтрагентами (cash, a receipt order) or
    Документ.ПБДСРасчетыСКонтрагентами (bank, onto the organization's account the payment names)."""
    if doc["method"] == "cash":
        element = _document("Документ.ПКОРасчетыСКонтрагентами", doc, org)
        common = _add(element, "ОбщиеДанные")
        currency(common)
        _add(common, "Сумма", doc["amount"])
        _fields(common, (("Комментарий", doc.get("comment")), ("ПринятоОт", client["name"])))
        counterparty_ref(element, "Контрагент", client)
        _add(element, "ВидРасчетов", BUYER)
    else:
        element = _document("Документ.ПБДСРасчетыСКонтрагентами", doc, org)
        common = _add(element, "ОбщиеДанные")
        _add(common, "ДатаВыписки", doc["date"].date().isoformat())
        currency(common)
        _add(common, "Сумма", doc["amount"])
        _fields(common, (("Комментарий", doc.get("comment")),))
        bank_account(common, "БанковскийСчетОрганизации", doc["account"], org)
        _add(element, "ВидРасчетов", BUYER)
        counterparty_ref(element, "Контрагент", client)
    _breakdown(element, doc, org, client)
    return element


def goods_receipt(doc: dict, org: dict, supplier: dict, items: dict[int, dict]) -> etree._Element:
    """Документ.ПоступлениеТоваровУслуг: «Поступление товаров» bought from a supplier, without VAT."""
    element = _document("Документ.ПоступлениеТоваровУслуг", doc, org, supplier)
    goods, services = _split(doc["lines"], items)
    vat = lambda ln: ("none", Decimal("0.00"))  # noqa: E731
    _goods(element, goods, items, vat)
    _services(element, services, items, vat)
    currency(element)
    _add(element, "ВидОперации", "ПокупкаУПоставщика")
    _add(element, "Сумма", sum((ln["amount"] for ln in doc["lines"]), Decimal("0.00")))
    _add(element, "СуммаВключаетНДС", False)
    _warehouse(element, doc)
    settlements(element, org, supplier, SUPPLIER)
    _fields(element, (("Комментарий", doc.get("comment")),))
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
