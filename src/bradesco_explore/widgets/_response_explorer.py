"""`ResponseExplorer`: pick an endpoint of a family, fill its parameters, fetch, see the table.

A thin view over `_fetch.fetch_endpoint` and the endpoint catalogue (`apis.catalogue`). It
uses the client a flow last used for the family, so an authorization run in the flows tab
is what the Open Finance endpoints are called with.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from .._html import esc
from ..apis import catalogue
from ..apis.catalogue import Endpoint
from ._display import set_visible
from ._fetch import Fetched, csv_link_html, exchanges_html, fetch_endpoint, raw_json_html
from ._messages import note_html, shown_errors
from ._state import Change, ExplorerState

__all__ = ["ResponseExplorer"]


class ResponseExplorer(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Fetch a listing (every page, with a progress bar) and see it as a table.

    `fetch()` is what the button does; `parameter_values()` is what the form holds.
    """

    def __init__(self, state: ExplorerState) -> None:
        super().__init__()
        self.state = state
        self.fetched: Fetched | None = None
        self.family = widgets.Dropdown(description="Family")
        self.endpoint = widgets.Dropdown(description="Endpoint", layout=widgets.Layout(width="60%"))
        self.parameters = widgets.VBox()
        self.fetch_button = widgets.Button(
            description="Fetch", button_style="primary", icon="download"
        )
        self.progress = widgets.IntProgress(min=0, max=1, description="Pages")
        self.progress_label = widgets.Label()
        self.message, self.table, self.raw = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.exchanges, self.csv = widgets.HTML(), widgets.HTML()
        for widget, name in (
            (self.family, "family"),
            (self.endpoint, "endpoint"),
            (self.fetch_button, "fetch"),
            (self.table, "table"),
            (self.progress, "progress"),
            (self.csv, "csv"),
        ):
            widget.add_class(f"bx-explore-{name}")  # fmt: skip
        self.children = (
            widgets.HTML("<b>Responses as tables</b>: CPF and CNPJ are masked."),
            self.family, self.endpoint, self.parameters, widgets.HBox([self.fetch_button]),
            widgets.HBox([self.progress, self.progress_label]), self.message,
            self.table, self.csv, self.raw, self.exchanges,
        )  # fmt: skip
        self.family.observe(lambda _change: self._sync_endpoints(), names="value")
        self.endpoint.observe(lambda _change: self._sync_parameters(), names="value")
        self.fetch_button.on_click(lambda _button: self.fetch())
        state.subscribe(self._on_state_change)
        self._sync_families()

    # -- actions -----------------------------------------------------------------------------------
    def selected(self) -> Endpoint | None:
        """The endpoint chosen, if the family has any."""
        key = self.endpoint.value
        return catalogue.endpoint(key) if key else None

    def parameter_values(self) -> dict[str, str]:
        """The parameters as typed, by name."""
        return {box.parameter_name: box.value for box in self.parameters.children}

    def fetch(self) -> None:
        """Fetch every page of the chosen endpoint and show the table, JSON and exchanges."""
        endpoint = self.selected()
        self._clear_results()
        if endpoint is None:
            self.message.value = note_html("This family has no listing endpoints here.", "warning")
            return
        with shown_errors(self._show_message, f"Fetching {endpoint.title}"):
            client = self.state.current_client(endpoint.family)
            set_visible(self.progress, True)
            fetched = fetch_endpoint(
                client, endpoint, self.parameter_values(), on_page=self._on_page
            )
            self._show(fetched)

    # -- behaviour -----------------------------------------------------------------------------------
    def _on_page(self, done: int, total: int | None) -> None:
        self.progress.max = max(total or done, done, 1)
        self.progress.value = done
        self.progress_label.value = f"page {done} of {total}" if total else f"page {done}"

    def _show(self, fetched: Fetched) -> None:
        self.fetched = fetched
        note = " (stopped at the page limit)" if fetched.truncated else ""
        table = fetched.table._repr_html_() + (f"<p>{esc(note)}</p>" if note else "")
        self.table.value = (
            f'<div style="overflow-x:auto;max-width:100%">{table}</div>'  # wide tables scroll
        )
        self.csv.value = csv_link_html(fetched.table, f"{fetched.endpoint.key}.csv")
        self.raw.value = raw_json_html(fetched.pages)
        self.exchanges.value = exchanges_html(fetched.exchanges)

    def _clear_results(self) -> None:
        self.fetched = None
        for widget in (self.message, self.table, self.csv, self.raw, self.exchanges):
            widget.value = ""
        self.progress.value, self.progress_label.value = 0, ""
        set_visible(self.progress, False)

    def _sync_families(self) -> None:
        families = tuple(self.state.workspace.environment.families)
        self.family.options = families
        default = self.state.workspace.environment.default_family
        self.family.value = default if default in families else families[0]
        self._sync_endpoints()

    def _sync_endpoints(self) -> None:
        offered = catalogue.endpoints_for(self.family.value or "")
        self.endpoint.options = [(e.title, e.key) for e in offered]
        self.endpoint.value = offered[0].key if offered else None
        self._sync_parameters()

    def _sync_parameters(self) -> None:
        for old in self.parameters.children:
            old.close()  # closed, so the dropped fields leave the notebook's widget state too
        endpoint = self.selected()
        if endpoint is None:
            self.parameters.children = ()
            return
        values = endpoint.defaults(self.state.samples())
        self.parameters.children = tuple(
            _parameter_box(p.name, p.label, p.help, values[p.name]) for p in endpoint.parameters
        )
        self._clear_results()

    def _on_state_change(self, change: Change) -> None:
        self._clear_results()
        if change == "workspace":
            self._sync_families()

    def _show_message(self, html: str) -> None:
        self.message.value = html

    def __repr__(self) -> str:
        return f"ResponseExplorer(family={self.family.value!r}, endpoint={self.endpoint.value!r})"


def _parameter_box(name: str, label: str, help_text: str, value: str) -> Any:
    box = widgets.Text(value=value, description=label, placeholder=help_text,
                       style={"description_width": "initial"})  # fmt: skip
    box.parameter_name = name  # a plain attribute: the catalogue's name for this field
    box.add_class(f"bx-param-{name}")
    return box
