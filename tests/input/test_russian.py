"""Point 15: error messages are Russian through and through. One table (erp.api.errors) turns
every message of the validation library into a Russian sentence; nothing English leaks."""

import pytest

from erp.api.errors import translate_validation
from tests.input.conftest import ENGLISH, refused

LIBRARY = [  # what msgspec and Litestar say, as they say it
    ("Expected `str` of length <= 250 - at `$.name`", "name", "не длиннее 250 символов"),
    ("Expected `str` of length >= 1 - at `$.name`", "name", "не может быть пустым"),
    ("Expected `str` matching regex '^\\\\d{1,2}:\\\\d{2}$' - at `$.lines[0].start`", "lines[0].start",
     "неверный формат"),
    ("Expected `int | null`, got `str` - at `$.parent_id`", "parent_id",
     "неверный тип: ожидается целое число или null"),
    ("Expected `int` >= 1", "limit", "не меньше 1"),
    ("Expected `int` <= 1440", "limit", "не больше 1440"),
    ("Expected `array` of length <= 100 - at `$.documents`", "documents", "не больше 100 элементов"),
    ("Invalid RFC3339 encoded datetime - at `$.date`", "date", "ожидается дата и время ISO 8601"),
    ("Invalid RFC3339 encoded date", "limit", "ожидается дата ГГГГ-ММ-ДД"),
    ("Invalid enum value 'lots' - at `$.method`", "method", "недопустимое значение 'lots'"),
    ("Object missing required field `kind` - at `$.based_on`", "based_on", "обязательное поле не заполнено"),
    ("Object contains unknown field `colour`", None, "неизвестное поле"),
    ("Integer value out of range - at `$.id`", "id", "слишком большое число"),
    ("Missing required query parameter 'date' for path /api/schedule/slots", None,
     "обязательный параметр не передан"),
    ("Expected `datetime` with a timezone component", "limit", "укажите смещение часового пояса"),
    ("Something the table does not know (RFC 1234)", "limit", "неверное значение"),
]


@pytest.mark.parametrize(("message", "field", "text"), LIBRARY)
def test_every_library_message_has_a_russian_sentence(message, field, text):
    """``field=None``: the message names it, Litestar gives no key."""
    if field is None:
        named = message.split("`")[1] if "`" in message else message.split("'")[1]
        assert translate_validation(message) == (named, text)
        return
    assert translate_validation(message, "limit") == (field, text)
    assert not ENGLISH.search(text.replace("null", ""))


async def test_the_api_answers_in_russian(api, clinic):
    cases = [
        ("POST", "/api/catalogs/clients", {"name": "Я" * 300, "kind": "person"}, "name"),
        ("POST", "/api/catalogs/clients", {"name": "", "kind": "person"}, "name"),
        ("POST", "/api/catalogs/nomenclature", {"name": "Группа", "parent_id": "abc"}, "parent_id"),
        ("POST", "/api/documents/work-schedules", {"month": "2021-12-01", "lines": [
            {"doctor_id": clinic.efimova, "day": "2021-12-22", "start": "25:99", "end": "13:00"}]},
         "lines[0].start"),
        ("POST", "/api/documents/payments", {"amount": "10", "method": "lots"}, "method"),
        ("POST", "/api/documents/payments", {"amount": "10", "colour": "red"}, "colour"),
        ("POST", "/api/documents/invoices", {"based_on": {"id": 1}}, "based_on.kind"),
        ("PUT", "/api/period-lock", {"date": "31.12.2021"}, "date"),
    ]
    for method, path, body, field in cases:
        r = await api.client.request(method, path, json=body, headers=api.headers)
        assert field in refused(r)["details"]["fields"], (path, body, r.text)
    for path, params, field in (("/api/schedule/slots", {}, "date"), ("/api/schedule/slots", {"date": "x"}, "date"),
                                ("/api/documents/payments", {"limit": "много"}, "limit"),
                                ("/api/audit-log", {"limit": "7"}, "limit")):
        r = await api.client.get(path, params=params, headers=api.headers)
        assert field in refused(r)["details"]["fields"], (path, params, r.text)
