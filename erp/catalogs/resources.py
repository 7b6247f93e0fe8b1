"""Ресурсы: the clinic's rooms (кабинеты) and equipment (оборудование) that a Request books beside
the doctor.

A resource is either always available or works to its own schedule, set as the doctors' is: an
«Установка графиков работы ресурсов» document (:mod:`erp.documents.resource_schedule`) writes its
intervals into the resource-schedule register, and a booking outside them is refused.
"""

from erp.platform.catalog import Catalog
from erp.platform.fields import Field

ROOM, EQUIPMENT = "room", "equipment"

resources = Catalog(
    "resources", "Ресурсы", item_title="Ресурс",
    fields=(
        Field("kind", "enum", "Вид", choices=(ROOM, EQUIPMENT), default=ROOM, fixed_once_used=True),
        Field("organization_id", "ref", "Организация", ref="organizations"),
        Field("always_available", "bool", "Всегда доступен", default=True),
    ),
)
