"""Small view helpers shared by the forms: show or hide a widget, put an object in an Output."""

from __future__ import annotations

from typing import Any

__all__ = ["set_visible", "show_object"]


def set_visible(widget: Any, visible: bool) -> None:
    """Show or hide `widget` (its layout's `display`)."""
    widget.layout.display = "" if visible else "none"


def show_object(output: Any, obj: Any) -> None:
    """Replace an `Output` widget's content with `obj`'s text and HTML representations.

    The bundle is built from the object's own `__repr__` and `_repr_html_` (no IPython shell
    needed, so it works in plain Python too). JupyterLab renders Output widgets as trusted, so
    the HTML's small scripts (the token's expiry countdown) run there.
    """
    data = {"text/plain": repr(obj)}
    html = getattr(obj, "_repr_html_", None)
    if callable(html):
        data["text/html"] = str(html())
    output.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)
