"""Laying out a form: Jinja to HTML, WeasyPrint to PDF.

The Jinja environment, the print stylesheet and WeasyPrint's font
configuration are built once per process; WeasyPrint itself is imported on
first use, because importing it takes seconds that a CLI command or an app
that never prints should not pay. Layout is CPU work, so it runs on one
dedicated thread: the event loop keeps serving while a PDF is being made,
and WeasyPrint is never entered by two threads at once.

An unposted document carries the "Не проведён" watermark on every page; the
facsimiles and the stamp are images inlined as ``data:`` URIs, so the HTML
preview and the PDF are self-contained.
"""

from __future__ import annotations

import asyncio
import base64
import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import jinja2

from . import formatting
from .forms import PrintData

_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weasyprint")


@dataclass(frozen=True)
class Signatures:
    """The images to print over the signature lines and "М.П.", as ``data:`` URIs."""

    director: str | None = None
    accountant: str | None = None
    stamp: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.director or self.accountant or self.stamp)


NO_SIGNATURES = Signatures()


def data_uri(content_type: str, image: bytes) -> str:
    return f"data:{content_type};base64,{base64.b64encode(image).decode()}"


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("erp.printing", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(money=formatting.money, quantity=formatting.quantity, long_date=formatting.long_date)
    return env


@functools.cache
def stylesheet_text() -> str:
    return files("erp.printing").joinpath("templates", "print.css").read_text(encoding="utf-8")


@functools.cache
def _weasy() -> tuple[Any, Any, Any]:
    """WeasyPrint's HTML class, the compiled stylesheet and the font configuration."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return HTML, CSS(string=stylesheet_text(), font_config=fonts), fonts


def render_html(data: PrintData, signatures: Signatures = NO_SIGNATURES, *, inline_css: bool = True) -> str:
    """The form as a standalone HTML page (the preview), or, without the inline
    stylesheet, as the input of the PDF layout."""
    template = environment().get_template(data.form.template)
    return template.render(doc=data, signatures=signatures, inline_css=stylesheet_text() if inline_css else "")


def _layout(html: str):
    html_class, css, fonts = _weasy()
    return html_class(string=html, base_url=None).render(stylesheets=[css], font_config=fonts)


def _write(documents: Sequence[Any]) -> bytes:
    """One PDF of the pages of ``documents``, each keeping its own page numbers."""
    first = documents[0]
    if len(documents) == 1:
        return first.write_pdf()
    return first.copy([page for doc in documents for page in doc.pages]).write_pdf()


def _pdfs(htmls: Sequence[str], each: bool) -> tuple[bytes, list[bytes]]:
    documents = [_layout(html) for html in htmls]
    combined = _write(documents)
    singles = [_write([doc]) for doc in documents] if each and len(documents) > 1 else \
        [combined] if each else []
    return combined, singles


async def to_pdf(htmls: Sequence[str], *, each: bool = False) -> tuple[bytes, list[bytes]]:
    """Lay out ``htmls`` (from :func:`render_html` without inline CSS) on the printing
    thread: the combined PDF and, with ``each``, every document's own PDF too."""
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, _pdfs, list(htmls), each)


def warm_up() -> None:
    """Import WeasyPrint and load the fonts now rather than on the first print."""
    _weasy()
