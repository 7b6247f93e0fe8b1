"""How choices are shown to people: the Russian label of each enum value of the configuration.

The UI shows (and translates) these labels, the Excel export writes them, and the Excel import
reads them back, so one table serves all three.
"""

from __future__ import annotations

CHOICE_LABELS = {
    "person": "Физическое лицо", "sole_trader": "Индивидуальный предприниматель", "company": "Юридическое лицо",
    "goods": "Товар", "service": "Услуга",
    "20": "20%", "10": "10%", "0": "0%", "none": "Без НДС", "cash": "Наличные", "bank": "Безналичные",
    "unpaid": "Не оплачен", "partially_paid": "Оплачен частично", "paid": "Оплачен",
    "admin": "Администратор", "accountant": "Бухгалтер", "manager": "Менеджер",
    "room": "Кабинет", "equipment": "Оборудование",
    "cash-desks": "Касса", "bank-accounts": "Банковский счёт",  # a money account's kind («Денежные средства»)
    "to_supplier": "Оплата поставщику", "to_client": "Возврат клиенту",  # an outgoing payment's operation
    "other_expense": "Прочий расход",
    # «Ввод начальных остатков»: its section of the books
    "stock": "Товары на складах", "clients": "Расчёты с клиентами", "suppliers": "Расчёты с поставщиками",
    "money": "Денежные средства",
    "expected": "Ожидается", "partially_received": "Частично получен", "received": "Получен",
}

# A flag as the export writes it ("Да"/"Нет") and the other ways a spreadsheet says yes or no.
YES = ("да", "yes", "true", "истина", "1", "+", "x", "✓")
NO = ("нет", "no", "false", "ложь", "0", "-")
