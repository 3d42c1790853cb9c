"""Readable messages for the forms: every failure becomes a short card, never a traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from .._html import card, esc
from .._secret import get_logger, redact
from ..errors import BradescoExploreError

__all__ = ["error_html", "note_html", "shown_errors"]

log = get_logger("bradesco_explore.widgets")


def error_html(exc: BaseException, action: str) -> str:
    """A red card: what was being done, and the error's message (redacted)."""
    message = redact(str(exc)) or type(exc).__name__
    if isinstance(exc, BradescoExploreError):
        body = f"<p>{esc(message)}</p><small>{esc(type(exc).__name__)}</small>"
    else:
        body = (
            f"<p>Unexpected {esc(type(exc).__name__)}: {esc(message)}</p>"
            "<small>This is a bug in bradesco-explore; please report it with the steps "
            "that led here.</small>"
        )
    return card(f"{action} failed", body, level="error")


def note_html(text: str, level: str = "neutral") -> str:
    """A one-line note in a card of `level` ("info", "warning", "error", "neutral")."""
    return card("", f"<span>{esc(text)}</span>", level=level)


@contextlib.contextmanager
def shown_errors(show: Callable[[str], None], action: str) -> Iterator[None]:
    """Run the block; if it raises, pass `error_html(...)` to `show` instead of propagating.

    Widget callbacks run inside the kernel's event handling, where an exception would only
    print a traceback to the log console: the form shows the message instead.
    """
    try:
        yield
    except Exception as exc:  # every failure becomes a message (see docstring)
        log.debug("%s failed: %s", action, type(exc).__name__)
        show(error_html(exc, action))
