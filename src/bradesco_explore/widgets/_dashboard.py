"""`Dashboard` and `explore()`: the three forms in tabs, shown with one call."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from .._html import card, facts_table
from ..errors import ConfigurationError
from ..workspace import Workspace
from ._certificate_form import CertificateForm
from ._flow_runner import FlowRunner
from ._response_explorer import ResponseExplorer
from ._state import ExplorerState

__all__ = ["Dashboard", "explore"]

_TITLES = ("Certificate", "Flows", "Explore responses")


class Dashboard(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """The certificate form, the flow runner and the response explorer, sharing one state.

    `close()` closes every widget of the dashboard, its clients, and the workspace when the
    dashboard opened it.
    """

    def __init__(self, state: ExplorerState) -> None:
        super().__init__()
        self.state = state
        self.header = widgets.HTML()
        self.certificate = CertificateForm(state)
        self.flows = FlowRunner(state)
        self.explorer = ResponseExplorer(state)
        self.tabs = widgets.Tab(
            children=[self.certificate, self.flows, self.explorer], titles=_TITLES
        )
        # the explorer lists the endpoints of the family chosen for the flows
        widgets.dlink((self.flows.family, "value"), (self.explorer.family, "value"))
        self.add_class("bx-dashboard")
        self.children = (self.header, self.tabs)
        state.subscribe(lambda _change: self._draw_header())
        self._draw_header()

    def _draw_header(self) -> None:
        workspace, identity = self.state.workspace, self.state.identity
        facts = facts_table([
            ("environment", f"{workspace.environment.name} (target {workspace.target})"),
            ("client id", workspace.credentials.client_id),
            ("client certificate", identity.subject if identity else "none loaded"),
        ])  # fmt: skip
        self.header.value = card("bradesco-explore", facts, level="info")

    def close(self) -> None:
        """Close every widget of the dashboard and what the dashboard opened."""
        for widget in _descendants(self):
            if widget is not self:
                widget.close()
        super().close()
        self.state.close()

    def __repr__(self) -> str:
        identity = self.state.identity.subject if self.state.identity else None
        return f"Dashboard(target={self.state.workspace.target!r}, identity={identity!r})"


def explore(workspace: Workspace | None = None, target: str | None = None) -> Dashboard:
    """The dashboard for `workspace`, or for `Workspace.open(target)` (closed with it).

    >>> import bradesco_explore as bx
    >>> bx.explore(target="local")        # doctest: +SKIP
    """
    if workspace is not None and target is not None:
        raise ConfigurationError("Give a workspace or a target, not both.")
    if workspace is not None:
        return Dashboard(ExplorerState(workspace))
    return Dashboard(ExplorerState(Workspace.open(target), owns_workspace=True))


def _descendants(widget: Any) -> list[Any]:
    """`widget` and every widget reachable through its children."""
    found = [widget]
    for child in getattr(widget, "children", ()):
        found.extend(_descendants(child))
    return found
