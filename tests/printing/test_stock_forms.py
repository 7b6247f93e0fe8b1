"""Issue 16 point 9: the print forms of «Заказ поставщику» (the supplier, the organization that
orders, the goods with prices and totals, who orders) and «Возврат от клиента» (the organization,
the client, the reason, what comes back at the prices it was sold at, both signatures), in the
«Печать ▾» menu of their forms."""

import re

from tests.printing.conftest import pdf_text, rendering_data
from tests.ui.conftest import browser  # noqa: F401  (the forms' «Печать ▾» menu)


async def test_a_supplier_order_prints_the_supplier_the_buyer_the_goods_and_who_orders(api, clinic, browser):  # noqa: F811
    warehouse = await api.item("warehouses", {"name": "Основной склад"})
    order = await api.create("supplier-orders", {
        "date": "2021-12-20T10:00:00", "organization_id": clinic.org, "supplier_id": clinic.company,
        "warehouse_id": warehouse["id"], "lines": [{"nomenclature_id": clinic.goods, "quantity": "100",
                                                    "price": "11.00"}]}, post=True)
    text = pdf_text(await api.pdf(f"/api/documents/supplier-orders/{order['id']}/print/supplier-order"))
    assert "Заказ поставщику № 1 от 20 декабря 2021 г." in text
    assert "Поставщик: ООО «МедСнаб», ИНН 7812345675, КПП 781201001" in text
    assert ("Покупатель: ООО «Клиника Здоровье», ИНН 7707083893, КПП 773601001, "
            "191000, Санкт-Петербург, Невский пр., д. 1") in text
    assert "1 Шприц 5 мл 100 шт 11,00 1 100,00" in text
    assert "Итого: 1 100,00" in text and "Всего к оплате: 1 100,00" in text
    assert "Всего наименований 1, на сумму 1 100,00 руб." in text
    assert "Одна тысяча сто рублей 00 копеек" in text
    assert re.search(r"Заказал .*Смирнов А\.А\.", text)
    page = (await browser.get(f"/documents/supplier-orders/{order['id']}")).text
    assert f"/print/supplier-orders/{order['id']}/supplier-order" in page


async def test_a_client_return_prints_the_client_the_reason_and_what_comes_back(api, clinic, browser):  # noqa: F811
    warehouse = await api.item("warehouses", {"name": "Основной склад"})
    await api.create("goods-receipts", {"date": "2021-12-01T09:00:00", "supplier_id": clinic.company,
                                        "warehouse_id": warehouse["id"], "organization_id": clinic.org,
                                        "lines": [{"nomenclature_id": clinic.goods, "quantity": "5",
                                                   "price": "10.00"}]}, post=True)
    sold = await api.create("service-renderings", rendering_data(
        clinic, (clinic.service, "1", "1500"), (clinic.goods, "3", "25"), warehouse_id=warehouse["id"]), post=True)
    filled = await api.get(f"/api/documents/service-renderings/{sold['id']}/based/client-returns")
    goods = [ln for ln in filled["lines"] if ln["nomenclature_id"] == clinic.goods]
    back = await api.create("client-returns", {**filled, "date": "2021-12-23T10:00:00", "reason": "Не подошёл размер",
                                               "lines": [{**goods[0], "quantity": "2"}]}, post=True)
    text = pdf_text(await api.pdf(f"/api/documents/client-returns/{back['id']}/print/client-return"))
    assert "Возврат от клиента № 1 от 23 декабря 2021 г." in text
    assert "Организация: ООО «Клиника Здоровье», ИНН 7707083893" in text
    assert "Клиент: Иванов Иван Иванович" in text
    assert "Причина возврата: Не подошёл размер" in text
    assert "1 Шприц 5 мл 2 шт 25,00 50,00" in text
    assert "Всего к возврату: 50,00" in text and "Всего возвращено 1, на сумму 50,00 руб." in text
    assert re.search(r"ПРИНЯЛ .*Смирнов А\.А\.", text) and re.search(r"СДАЛ .*Иванов Иван Иванович", text)
    page = (await browser.get(f"/documents/client-returns/{back['id']}")).text
    assert f"/print/client-returns/{back['id']}/client-return" in page
