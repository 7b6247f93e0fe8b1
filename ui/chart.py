"""A horizontal bar chart drawn as SVG on the server: no JavaScript, prints
and exports as it looks. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

PALETTE = ("#4a90d9", "#3cb371", "#f0ad4e", "#d9534f", "#9b59b6", "#1abc9c", "#e67e22", "#34495e")


def bars(items: Sequence[tuple[str, Decimal]], fmt: Callable[[Decimal], str], *, title: str = "",
         width: int = 820, bar: int = 26, gap: int = 8, label_width: int = 240) -> Markup:
    """``items`` are ``(label, value)``; values below zero draw as zero-length bars."""
    top = 30 if title else 8
    height = top + len(items) * (bar + gap) + 8
    top_value = max((v for _, v in items), default=Decimal(0))
    room = width - label_width - 120
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}" data-chart="bars">']
    if title:
        parts.append(f'<text x="0" y="18" font-size="15" font-weight="bold" fill="#333">{escape(title)}</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * (bar + gap)
        length = int(room * (value / top_value)) if top_value > 0 and value > 0 else 0
        shown = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<g data-bar data-label="{escape(label)}" data-value="{value}">'
            f'<title>{escape(label)}: {escape(fmt(value))}</title>'
            f'<text x="{label_width - 8}" y="{y + bar * 0.68:.1f}" font-size="13" text-anchor="end" fill="#333">'
            f'{escape(shown)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{max(length, 1)}" height="{bar}" rx="3" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{label_width + length + 6}" y="{y + bar * 0.68:.1f}" font-size="13" fill="#333">'
            f'{escape(fmt(value))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
