"""Keeping the UI's Babel catalogs complete.

Every message the UI can show is collected: ``_()`` in the UI's Python
modules and templates (Babel's extractors), and the titles that come from
declarations (catalogs, documents, registers and their fields), choices,
sections and notices. ``python -m ui.i18n_catalog`` rewrites
``ui/locale/ru/LC_MESSAGES/messages.po`` (the identity: message ids are
Russian) and adds whatever the English catalog lacks with an empty
translation, then lists those; a test fails while any is left.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

UI = Path(__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def declared_messages() -> set[str]:
    """Titles that reach the screen from declarations and constants."""
    from erp.amocrm.exchange_log import KIND_TITLES, STATE_TITLES
    from erp.amocrm.stage_actions import ACTIONS
    from erp.configuration import registry
    from erp.printing.forms import FORMS
    from erp.printing.variables import CATALOG, VALUE_TYPES
    from ui import admin, forms, integrations, items, print_templates, reports, stage_actions
    from ui.render import CHOICE_LABELS, SECTIONS

    reg = registry()
    out: set[str] = set(CHOICE_LABELS.values()) | {s.title for s in SECTIONS}
    out |= set(STATE_TITLES.values()) | set(KIND_TITLES.values()) | set(ACTIONS.values())
    for notices in (forms.NOTICES, items.NOTICES, admin.NOTICES, integrations.NOTICES, stage_actions.NOTICES):
        out |= set(notices.values())
    out |= {title for _, title in reports.REPORTS} | set(reports.GROUP_TITLES.values())
    for catalog in reg.catalogs.values():
        out |= {catalog.title, catalog.item_title, *(f.label for f in catalog.fields)}
    for kind in reg.documents.values():
        out |= {kind.title, kind.lines_title, *(f.label for f in (*kind.header, *kind.lines, *kind.derived_fields,
                                                                  *kind.derived_line_fields))}
    for register in (*reg.registers.values(), *reg.info_registers.values()):
        fields = (*register.dimensions, *register.resources, *getattr(register, "attributes", ()))
        out |= {register.title, *(f.label for f in fields)}
    out |= {f.title for f in FORMS.values()} | {f.document_type for f in FORMS.values()}
    out |= set(print_templates.NOTICES.values()) | set(VALUE_TYPES.values()) | {v.group for v in CATALOG}
    out |= {p.name for p in reg.catalogs["document-types"].predefined}
    return {m for m in out if m}


def extracted_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(UI), METHODS, options_map=OPTIONS, keywords={"_": None, "gettext": None, "ngettext": (1, 2)}):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.add(text)
    return found


def all_messages() -> set[str]:
    return extracted_messages() | declared_messages()


def po_path(lang: str) -> Path:
    return UI / "locale" / lang / "LC_MESSAGES" / "messages.po"


def read(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="erp-clinic")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def missing(lang: str) -> list[str]:
    have = {m.id: m.string for m in read(lang) if m.id}
    return sorted(m for m in all_messages() if not have.get(m))


def update() -> list[str]:
    """Rewrite ru (identity) and add the English catalog's new ids; return English gaps."""
    messages = sorted(all_messages())
    ru = Catalog(locale="ru", project="erp-clinic")
    for m in messages:
        ru.add(m, m)
    en_old = {m.id: m.string for m in read("en") if m.id}
    en = Catalog(locale="en", project="erp-clinic")
    for m in messages:
        en.add(m, en_old.get(m, ""))
    for lang, cat in (("ru", ru), ("en", en)):
        po_path(lang).parent.mkdir(parents=True, exist_ok=True)
        with po_path(lang).open("wb") as fh:
            write_po(fh, cat, width=0, omit_header=False, sort_output=True)
    return missing("en")


if __name__ == "__main__":
    gaps = update()
    for message in gaps:
        print(message)
    sys.exit(1 if gaps else 0)
