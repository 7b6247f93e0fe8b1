"""Transcribe part of a 1C XDTO package (the ``http://v8.1c.ru/8.1/xdto`` package format, e.g. an
EnterpriseData package's ``Package.bin``) into an XML Schema: the named root object types and every
type they reference, transitively.

The mapping is the one 1C uses when it exports an XDTO package as XSD:

* ``valueType`` (``base``, facets ``length``/``minLength``/``maxLength``/``totalDigits``/
  ``fractionDigits``, ``pattern`` and ``enumeration`` children) -> ``xs:simpleType`` restriction;
* ``objectType`` -> ``xs:complexType`` (``abstract`` kept) with an ``xs:sequence`` of its properties in order
  (``xs:all`` when the type is declared ``ordered="false"``); ``base="…:Object"`` -> extension;
* ``property`` -> ``xs:element``: ``lowerBound`` -> ``minOccurs`` (1 when absent), ``upperBound`` ->
  ``maxOccurs`` (``-1`` -> unbounded, 1 when absent), ``nillable`` -> ``nillable``,
  ``form="Attribute"`` -> ``xs:attribute``; an inline ``typeDef`` -> an anonymous type;
* each root object type -> a global ``xs:element`` of the same name (1C writes an object as an
  element named after its type); ``--type`` adds a type (and its references) without an element.

``--wrapper NAME`` declares a global element NAME holding any number of the root elements in any
order (1C's exchange message ``Body``, which no package declares: the exchange writes it by hand).
``--comment FILE`` puts the file's text at the top of the schema as an XML comment.

Types listed as *opaque* are not transcribed: properties of those types keep their name, order and
occurrence but are typed ``xs:anyType``. A reference to a type that is neither in the package nor
opaque is an error, so the closure is complete or the script says what is missing.

Usage::

    python xdto_to_xsd.py PACKAGE.xml --root Справочник.Контрагенты --root … [--type Type …]
        [--opaque Type …] [--import NAMESPACE=PREFIX=schema.xsd …] [--wrapper Body]
        [--comment FILE] > out.xsd

Several package files may be given; their types are merged (one target namespace for the output).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

XDTO = "http://v8.1c.ru/8.1/xdto"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
FACETS = ("length", "minLength", "maxLength", "totalDigits", "fractionDigits",
          "minInclusive", "maxInclusive", "minExclusive", "maxExclusive")


class XdtoError(ValueError):
    """The package cannot be transcribed as asked (a missing type, an unsupported construct)."""


def _q(tag: str) -> str:
    return f"{{{XDTO}}}{tag}"


def _resolve(element: etree._Element, qname: str) -> tuple[str, str]:
    """``prefix:local`` (or ``{ns}local``) as (namespace, local) in the element's scope."""
    if qname.startswith("{"):
        ns, local = qname[1:].split("}", 1)
        return ns, local
    prefix, _, local = qname.rpartition(":")
    ns = element.nsmap.get(prefix or None)
    if ns is None:
        raise XdtoError(f"unknown prefix in {qname!r}")
    return ns, local


class Package:
    """The types of one or more XDTO package files, by (namespace, name)."""

    def __init__(self, roots: Iterable[etree._Element]):
        self.types: dict[tuple[str, str], etree._Element] = {}
        self.namespace = ""
        for root in roots:
            if root.tag != _q("package"):
                raise XdtoError(f"not an XDTO package: <{root.tag}>")
            ns = root.get("targetNamespace", "")
            self.namespace = self.namespace or ns
            for node in root:
                if node.tag in (_q("valueType"), _q("objectType")):
                    key = (ns, node.get("name"))
                    if key in self.types and etree.tostring(self.types[key]) != etree.tostring(node):
                        raise XdtoError(f"type {key[1]} is defined twice, differently")
                    self.types[key] = node

    @classmethod
    def parse(cls, paths: Iterable[str]) -> Package:
        return cls(etree.parse(p).getroot() for p in paths)


def _refs(node: etree._Element) -> Iterable[tuple[str, str]]:
    """The types a type definition names (its base, its properties' types, inline ones')."""
    if node.get("base"):
        yield _resolve(node, node.get("base"))
    for prop in node.iter(_q("property")):
        if prop.get("type"):
            yield _resolve(prop, prop.get("type"))
    for inner in node.iter(_q("typeDef")):
        if inner.get("base"):
            yield _resolve(inner, inner.get("base"))


def closure(package: Package, roots: Iterable[str], opaque: set[str]) -> list[tuple[str, str]]:
    """The root types and everything they reference, in a stable order (first reached first)."""
    ns = package.namespace
    seen: dict[tuple[str, str], None] = {}
    stack = [(ns, r) for r in reversed(list(roots))]
    while stack:
        key = stack.pop()
        if key in seen or key[0] in (XS,) or key[0] != ns or key[1] in opaque:
            continue
        if key not in package.types:
            raise XdtoError(f"type {key[1]} is neither in the package nor declared opaque")
        seen[key] = None
        stack.extend(reversed([r for r in _refs(package.types[key]) if r not in seen]))
    return list(seen)


class Writer:
    def __init__(self, package: Package, opaque: set[str], imports: dict[str, tuple[str, str]]):
        self.package, self.opaque, self.imports = package, opaque, imports
        nsmap = {"xs": XS, None: package.namespace}
        nsmap.update({prefix: ns for ns, (prefix, _loc) in imports.items()})
        self.schema = etree.Element(f"{{{XS}}}schema", nsmap=nsmap, targetNamespace=package.namespace,
                                    elementFormDefault="qualified")
        for ns, (_prefix, location) in imports.items():
            etree.SubElement(self.schema, f"{{{XS}}}import", namespace=ns, schemaLocation=location)

    def _xs(self, parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{XS}}}{tag}", **attrs)

    def _name(self, ns: str, local: str) -> str:
        if ns == XS:
            return f"xs:{local}"
        if ns == self.package.namespace:
            return local
        if ns in self.imports:
            return f"{self.imports[ns][0]}:{local}"
        raise XdtoError(f"namespace {ns} is not imported (name {local})")

    def _type_ref(self, node: etree._Element, qname: str) -> str:
        ns, local = _resolve(node, qname)
        if ns == self.package.namespace and local in self.opaque:
            return "xs:anyType"
        return self._name(ns, local)

    def simple(self, parent: etree._Element, node: etree._Element) -> None:
        """A valueType (or an inline ValueType typeDef) as the content of an xs:simpleType."""
        if node.get("variety", "Atomic") != "Atomic":
            raise XdtoError(f"variety {node.get('variety')} is not supported ({node.get('name')})")
        restriction = self._xs(parent, "restriction", base=self._type_ref(node, node.get("base")))
        for facet in FACETS:
            if node.get(facet) is not None:
                self._xs(restriction, facet, value=node.get(facet))
        for child in node:
            if child.tag == _q("pattern"):
                self._xs(restriction, "pattern", value=child.text or "")
            elif child.tag == _q("enumeration"):
                self._xs(restriction, "enumeration", value=child.text or "")

    def complex(self, parent: etree._Element, node: etree._Element) -> None:
        """An objectType (or an inline ObjectType typeDef) as the content of an xs:complexType."""
        holder = parent
        if node.get("base"):
            content = self._xs(parent, "complexContent")
            holder = self._xs(content, "extension", base=self._type_ref(node, node.get("base")))
        props = [p for p in node if p.tag == _q("property")]
        elements = [p for p in props if p.get("form") != "Attribute"]
        unordered = node.get("ordered") == "false" and all(
            p.get("upperBound", "1") in ("0", "1") for p in elements)
        group = self._xs(holder, "all" if unordered else "sequence") if elements else None
        for prop in elements:
            assert group is not None
            self.element(group, prop)
        for prop in props:
            if prop.get("form") == "Attribute":
                attr = self._xs(holder, "attribute", name=prop.get("name"),
                                type=self._type_ref(prop, prop.get("type")))
                if prop.get("lowerBound") != "0":
                    attr.set("use", "required")

    def element(self, parent: etree._Element, prop: etree._Element) -> None:
        el = self._xs(parent, "element", name=prop.get("name"))
        if prop.get("type"):
            el.set("type", self._type_ref(prop, prop.get("type")))
        lower, upper = prop.get("lowerBound", "1"), prop.get("upperBound", "1")
        if lower != "1":
            el.set("minOccurs", lower)
        if upper != "1":
            el.set("maxOccurs", "unbounded" if upper == "-1" else upper)
        if prop.get("nillable") == "true":
            el.set("nillable", "true")
        inline = prop.find(_q("typeDef"))
        if inline is not None:
            kind = inline.get(f"{{{XSI}}}type", "")
            if kind.endswith("ValueType"):
                self.simple(self._xs(el, "simpleType"), inline)
            else:
                self.complex(self._xs(el, "complexType"), inline)

    def write(self, types: list[tuple[str, str]], roots: list[str], wrapper: str | None) -> etree._Element:
        for key in types:
            node = self.package.types[key]
            if node.tag == _q("valueType"):
                self.simple(self._xs(self.schema, "simpleType", name=key[1]), node)
            else:
                complex_type = self._xs(self.schema, "complexType", name=key[1])
                if node.get("abstract") == "true":
                    complex_type.set("abstract", "true")
                self.complex(complex_type, node)
        for root in roots:
            self._xs(self.schema, "element", name=root, type=root)
        if wrapper:
            body = self._xs(self._xs(self._xs(self.schema, "element", name=wrapper), "complexType"), "choice",
                            minOccurs="0", maxOccurs="unbounded")
            for root in roots:
                self._xs(body, "element", ref=root)
        return self.schema


def transcribe(package: Package, roots: list[str], opaque: Iterable[str] = (),
               imports: dict[str, tuple[str, str]] | None = None, extra: Iterable[str] = (),
               wrapper: str | None = None, comment: str | None = None) -> etree._Element:
    """The XSD (as an element) for ``roots`` and what they reference; see the module docstring."""
    opaque_set = set(opaque)
    types = closure(package, [*roots, *extra], opaque_set)
    schema = Writer(package, opaque_set, imports or {}).write(types, roots, wrapper)
    if comment:
        schema.insert(0, etree.Comment(f"\n{comment.strip(chr(10)).rstrip()}\n"))
    return schema


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="+", help="XDTO package files")
    parser.add_argument("--root", action="append", default=[], help="an object type to transcribe")
    parser.add_argument("--type", action="append", default=[], help="a type to transcribe without an element")
    parser.add_argument("--wrapper", help="a global element holding any of the root elements")
    parser.add_argument("--comment", help="a text file to put at the top as a comment")
    parser.add_argument("--opaque", action="append", default=[], help="a type left as xs:anyType")
    parser.add_argument("--import", dest="imports", action="append", default=[],
                        help="NAMESPACE=PREFIX=schemaLocation of a referenced schema")
    args = parser.parse_args(argv)
    imports = {}
    for spec in args.imports:
        ns, prefix, location = spec.rsplit("=", 2)
        imports[ns] = (prefix, location)
    try:
        comment = Path(args.comment).read_text(encoding="utf-8") if args.comment else None
        schema = transcribe(Package.parse(args.packages), args.root, args.opaque, imports, args.type,
                            args.wrapper, comment)
    except XdtoError as exc:
        print(f"xdto_to_xsd: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    sys.stdout.write(etree.tostring(schema, encoding="unicode", pretty_print=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
