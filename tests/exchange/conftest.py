"""Fixtures of the EnterpriseData export tests: the small clinic, its API, browsers per role; the schema."""

from pathlib import Path

from lxml import etree

from tests.ui.conftest import api, browser, clinic, login_as  # noqa: F401  (fixtures reused here)

XSD = Path(__file__).parent / "xsd" / "message.xsd"
ED = "{http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8}"


def schema() -> etree.XMLSchema:
    """The exchange message's schema: the envelope, 1C's header and the EnterpriseData 1.8 part we write."""
    return etree.XMLSchema(etree.parse(str(XSD)))


def valid(xml: bytes) -> etree._Element:
    """The parsed file, after asserting it validates against the schema in ``xsd/``."""
    check = schema()
    root = etree.fromstring(xml)
    assert check.validate(root), "\n".join(str(e) for e in check.error_log)
    return root


def objects(root: etree._Element) -> list[tuple[str, str]]:
    """(kind, «Ссылка») of each object in the body, in file order."""
    body = root.find(f"{ED}Body")
    assert body is not None
    return [(el.tag.removeprefix(ED), el.findtext(f"{ED}КлючевыеСвойства/{ED}Ссылка")) for el in body]
