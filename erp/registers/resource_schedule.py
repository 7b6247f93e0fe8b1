"""График работы ресурсов: each room's or piece of equipment's working intervals per day, written
by «Установка графиков работы ресурсов» documents; the same shape as the doctors' schedule: for a
resource and day the latest posted schedule that covers the day wins. A resource marked «Всегда
доступен» ignores it."""

from erp.platform.fields import Field
from erp.platform.info_register import InformationRegister

resource_schedule = InformationRegister(
    "resource-schedule", periodic=True, title="График работы ресурсов",
    dimensions=(Field("resource_id", "ref", "Ресурс", ref="resources", required=True),
                Field("day", "date", "День", required=True)),
    resources=(Field("start_time", "time", "Начало", required=True),
               Field("end_time", "time", "Окончание", required=True)),
)
