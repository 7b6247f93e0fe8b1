"""Laying out a form: Jinja to HTML, WeasyPrint to PDF.

The Jinja environment, the print stylesheet and WeasyPrint's font
configuration are built once per process; WeasyPrint itself is imported on
first use, because importing it takes seconds that a CLI command or an app
that never prints should not pay. Layout is CPU work, so it runs on one
dedicated thread: the event loop keeps serving while a PDF is being made,
and WeasyPrint is never entered by two threads at once. A large batch is
shared out between worker processes, one per core, and their PDFs are
joined with pikepdf (qpdf): WeasyPrint lays out four to ten invoices a second
on one core, and a hundred should not take ten seconds. (pypdf, pure Python,
took two seconds to join a hundred one-page invoices; qpdf takes a tenth of one.)

An unposted document carries the "Не проведён" watermark on every page; the
facsimiles and the stamp are images inlined as ``data:`` URIs, so the HTML
preview and the PDF are self-contained.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import gc
import io
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import jinja2
from markupsafe import Markup

from . import formatting
from .forms import PrintData

log = logging.getLogger("erp.printing")
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weasyprint")
PARALLEL_FROM = 8


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
    env.filters.update(money=formatting.money, quantity=formatting.quantity, long_date=formatting.long_date,
                       short_date=formatting.short_date, time=formatting.clock)
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
    # Our own stylesheet, trusted: escaping it would break its quoted font names.
    css = Markup(stylesheet_text()) if inline_css else ""
    return template.render(doc=data, signatures=signatures, inline_css=css)


def lines_table_html(data: PrintData, title: str = "Наименование") -> str:
    """The standard lines table of ``data`` (the ``lines_table`` variable of user templates)."""
    return environment().from_string('{% from "_parts.html" import lines_table %}{{ lines_table(doc, title) }}'
                                      ).render(doc=data, title=title)


@functools.cache
def preview_policy() -> str:
    """The Content-Security-Policy of the preview: its own stylesheet and ``data:`` images, no script."""
    from erp.api.headers import inline_style_policy

    return inline_style_policy(stylesheet_text(), framed_by_self=True)


def _layout(html: str):
    from weasyprint.urls import URLFetcher

    html_class, css, fonts = _weasy()
    # data: URIs only (the facsimiles and the stamp): a template cannot pull a file of the server
    # (<link rel=attachment href="file:///…">) or a page of the network into a PDF.
    fetcher = URLFetcher(allowed_protocols=("data",))
    return html_class(string=html, base_url=None, url_fetcher=fetcher).render(stylesheets=[css], font_config=fonts)


def _render_each(htmls: Sequence[str]) -> list[bytes]:
    """Each document's own PDF. Runs on the printing thread or in a worker process."""
    # Laying out builds large object graphs; the cyclic collector only slows it down.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [_layout(html).write_pdf() for html in htmls]
    finally:
        if enabled:
            gc.enable()


WORKERS = min(os.cpu_count() or 1, 4)


@functools.cache
def _processes() -> ProcessPoolExecutor | None:
    """Worker processes for large batches, one per core (at most four); none on one core.
    Spawned, not forked: the server's threads and connections stay out of them."""
    if WORKERS < 2:
        return None
    return ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"), initializer=warm_up)


def merge(pdfs: Sequence[bytes]) -> bytes:
    """One PDF of several, in order; each keeps its own pages and page numbers."""
    if len(pdfs) == 1:
        return pdfs[0]
    import pikepdf

    with pikepdf.Pdf.new() as joined:
        parts = [pikepdf.Pdf.open(io.BytesIO(pdf)) for pdf in pdfs]
        try:
            for part in parts:
                joined.pages.extend(part.pages)
            out = io.BytesIO()
            joined.save(out)
        finally:
            for part in parts:
                part.close()
    return out.getvalue()


async def to_pdfs(htmls: Sequence[str]) -> list[bytes]:
    """Lay out ``htmls`` (from :func:`render_html` without inline CSS): each one's PDF.

    A few go to the printing thread; a batch of :data:`PARALLEL_FROM` or more is
    split between worker processes, so every core works on it."""
    loop = asyncio.get_running_loop()
    htmls = list(htmls)
    pool = _processes() if len(htmls) >= PARALLEL_FROM else None
    if pool is not None:
        size = -(-len(htmls) // WORKERS)
        chunks = [htmls[i:i + size] for i in range(0, len(htmls), size)]
        try:
            parts = await asyncio.gather(*(loop.run_in_executor(pool, _render_each, c) for c in chunks))
            return [pdf for part in parts for pdf in part]
        except BrokenProcessPool:
            log.warning("a PDF worker process died; laying out on the printing thread")
            _processes.cache_clear()
    return await loop.run_in_executor(_EXECUTOR, _render_each, htmls)


async def to_pdf(htmls: Sequence[str]) -> tuple[bytes, list[bytes]]:
    """The combined PDF of ``htmls`` and each one's own PDF."""
    singles = await to_pdfs(htmls)
    combined = await asyncio.get_running_loop().run_in_executor(_EXECUTOR, merge, singles)
    return combined, singles


def warm_up(processes: bool = False) -> None:
    """Import WeasyPrint and load the fonts now rather than on the first print;
    with ``processes``, start the batch workers too and wait until they are ready."""
    _weasy()
    pool = _processes() if processes else None
    if pool is not None:
        for future in [pool.submit(warm_up) for _ in range(WORKERS)]:
            future.result()
