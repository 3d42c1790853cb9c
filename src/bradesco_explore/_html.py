"""Small HTML building blocks shared by every rich display (`_repr_html_`) in the package.

Every value goes through `html.escape`; callers pass plain text, never markup from a server.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

_COLOURS = {
    "error": ("#b00020", "#fdecea"),
    "warning": ("#8a5300", "#fff4e5"),
    "info": ("#1b5e20", "#edf7ed"),
    "neutral": ("#37474f", "#eceff1"),
}


def esc(value: object) -> str:
    """Escape any value for HTML text or attributes."""
    return html.escape(str(value), quote=True)


def badge(text: str, level: str) -> str:
    """A coloured pill: level is 'error', 'warning', 'info' (green) or 'neutral'."""
    fg, bg = _COLOURS.get(level, _COLOURS["neutral"])
    return (
        f'<span class="bx-badge bx-{esc(level)}" style="color:{fg};background:{bg};'
        f'border:1px solid {fg};border-radius:9px;padding:0 7px;font-size:90%">{esc(text)}</span>'
    )


def facts_table(rows: Iterable[tuple[str, object]]) -> str:
    """A two-column table of label and value (values escaped)."""
    body = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{esc(k)}</th>'
        f'<td style="text-align:left;font-family:monospace">{esc(v)}</td></tr>'
        for k, v in rows
    )
    return f'<table class="bx-facts">{body}</table>'


def card(title: str, body: str, *, level: str = "neutral") -> str:
    """A titled box holding already-built HTML."""
    fg, _ = _COLOURS.get(level, _COLOURS["neutral"])
    return (
        f'<div class="bx-card" style="border-left:4px solid {fg};padding:4px 10px;margin:4px 0">'
        f"<b>{esc(title)}</b>{body}</div>"
    )
