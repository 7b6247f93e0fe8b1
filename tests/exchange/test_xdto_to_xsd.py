"""``xsd/xdto_to_xsd.py``, the transcription of a 1C XDTO package into XSD that made
``xsd/enterprise_data_1_8.xsd``: on a small hand-written package, the schema it writes accepts what the
package allows and rejects what it does not — property order, required properties, enumerations,
facets, repeated rows, an unordered group — and a type missing from the package is an error, not a
silently looser schema."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.exchange.xsd.xdto_to_xsd import Package, XdtoError, main, transcribe

NS = "urn:example:shop"
PACKAGE = f"""<package xmlns="http://v8.1c.ru/8.1/xdto" xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" targetNamespace="{NS}">
  <valueType name="Kinds" base="xs:string" variety="Atomic">
    <enumeration xsi:type="xs:string">Goods</enumeration>
    <enumeration>Service</enumeration>
  </valueType>
  <valueType name="Money" base="xs:decimal" totalDigits="5" fractionDigits="2"/>
  <objectType name="Base" abstract="true">
    <property name="Note" type="xs:string" lowerBound="0"/>
  </objectType>
  <objectType xmlns:d2p1="{NS}" name="Order" base="d2p1:Base" open="true">
    <property name="Number" type="xs:string"/>
    <property xmlns:d3p1="{NS}" name="Kind" type="d3p1:Kinds" lowerBound="0"/>
    <property name="Code" lowerBound="0">
      <typeDef xsi:type="ValueType" base="xs:string" maxLength="3"/>
    </property>
    <property name="Payer" lowerBound="0">
      <typeDef xsi:type="ObjectType" ordered="false">
        <property name="Name" type="xs:string" lowerBound="0"/>
        <property name="Phone" type="xs:string" lowerBound="0"/>
      </typeDef>
    </property>
    <property xmlns:d3p1="{NS}" name="Row" type="d3p1:Row" lowerBound="0" upperBound="-1"/>
    <property xmlns:d3p1="{NS}" name="Extra" type="d3p1:Extra" lowerBound="0" nillable="true"/>
    <property name="version" type="xs:string" form="Attribute"/>
  </objectType>
  <objectType name="Row">
    <property xmlns:d3p1="{NS}" name="Amount" type="d3p1:Money"/>
  </objectType>
  <objectType name="Unused">
    <property name="X" type="xs:string"/>
  </objectType>
</package>"""


def order(*parts: str, version: str = ' version="2"') -> etree._Element:
    return etree.fromstring(f'<Order xmlns="{NS}"{version}>{"".join(parts)}</Order>')


@pytest.fixture
def schema() -> etree.XMLSchema:
    package = Package([etree.fromstring(PACKAGE)])
    return etree.XMLSchema(transcribe(package, ["Order"], opaque={"Extra"}))


def test_the_schema_accepts_what_the_package_allows(schema):
    full = order("<Note>n</Note><Number>7</Number><Kind>Service</Kind><Code>A1</Code>",
                 "<Payer><Phone>1</Phone><Name>Ann</Name></Payer>",  # ordered="false": any order
                 "<Row><Amount>123.45</Amount></Row><Row><Amount>1</Amount></Row>",
                 "<Extra><anything>goes</anything></Extra>")  # an opaque type is xs:anyType
    assert schema.validate(full), schema.error_log
    assert schema.validate(order("<Number>7</Number>"))  # only the required property


@pytest.mark.parametrize("parts, version, why", [
    (("<Kind>Service</Kind><Number>7</Number>",), ' version="2"', "out of order"),
    (("<Kind>Service</Kind>",), ' version="2"', "the required Number missing"),
    (("<Number>7</Number><Kind>Toy</Kind>",), ' version="2"', "a value outside the enumeration"),
    (("<Number>7</Number><Code>ABCD</Code>",), ' version="2"', "longer than maxLength"),
    (("<Number>7</Number><Row><Amount>12345.6</Amount></Row>",), ' version="2"', "more digits than totalDigits"),
    (("<Number>7</Number><Row><Amount>1.234</Amount></Row>",), ' version="2"', "more fraction digits"),
    (("<Number>7</Number><Other/>",), ' version="2"', "a property the package does not have"),
    (("<Number>7</Number>",), "", "the required attribute missing"),
])
def test_the_schema_rejects_what_the_package_does_not_allow(schema, parts, version, why):
    assert not schema.validate(order(*parts, version=version)), why


def test_only_the_closure_of_the_roots_is_transcribed():
    xsd = transcribe(Package([etree.fromstring(PACKAGE)]), ["Order"], opaque={"Extra"})
    names = {el.get("name") for el in xsd if el.get("name")}
    assert names == {"Order", "Base", "Kinds", "Row", "Money"}
    assert xsd.find("{http://www.w3.org/2001/XMLSchema}complexType[@name='Base']").get("abstract") == "true"
    assert xsd.find("{http://www.w3.org/2001/XMLSchema}element[@name='Order']").get("type") == "Order"


def test_a_type_missing_from_the_package_is_an_error():
    with pytest.raises(XdtoError, match="Extra is neither in the package nor declared opaque"):
        transcribe(Package([etree.fromstring(PACKAGE)]), ["Order"])
    with pytest.raises(XdtoError, match="Kinds is defined twice, differently"):
        Package([etree.fromstring(PACKAGE), etree.fromstring(PACKAGE.replace("Goods", "Toys"))])


def test_the_command_line_writes_the_schema_or_says_what_is_missing(tmp_path, capsys):
    package = tmp_path / "Package.bin"
    package.write_text(PACKAGE, encoding="utf-8")
    comment = tmp_path / "source.txt"
    comment.write_text("  SOURCE: a test package", encoding="utf-8")
    assert main([str(package), "--root", "Order", "--opaque", "Extra", "--wrapper", "Body",
                 "--comment", str(comment)]) == 0
    written = etree.fromstring(capsys.readouterr().out.encode())
    assert "SOURCE: a test package" in written[0].text
    body = etree.XMLSchema(written)
    assert body.validate(etree.fromstring(f'<Body xmlns="{NS}"><Order version="1"><Number>1</Number></Order>'
                                          f'<Order version="1"><Number>2</Number></Order></Body>'))
    assert main([str(package), "--root", "Order"]) == 1
    assert "Extra is neither in the package" in capsys.readouterr().err
