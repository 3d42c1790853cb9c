"""A surface for `tests/proof/test_audit.py`: the dashboard's widget state after a whole journey.

Register it there with `SURFACE_HOOKS.append(dashboard_surface)`: the audit then greps the
state a notebook would save for every secret the sandbox issued.
"""

from __future__ import annotations

import json

import ipywidgets as widgets

from bradesco_explore.sandbox import Sandbox
from bradesco_explore.widgets import Dashboard, ExplorerState
from bradesco_explore.workspace import Workspace


def dashboard_surface(sandbox: Sandbox) -> str:
    """Run client credentials, an authorization code flow and a fetch; return the saved state."""
    workspace = Workspace(
        "local", sandbox.environment, sandbox.identity, sandbox.credentials, sandbox
    )
    board = Dashboard(ExplorerState(workspace))  # the caller's sandbox stays open
    try:
        board.flows.family.value = "pix"
        board.flows.run()
        board.flows.family.value = "openfinance"
        board.flows.run()
        board.flows.auto_consent()
        board.explorer.endpoint.value = "openfinance.accounts"
        board.explorer.fetch()
        shown = [board.flows.message.value, board.explorer.message.value]
        if any(shown):
            raise AssertionError(f"the journey failed: {shown}")
        return json.dumps(widgets.Widget.get_manager_state(), default=str)
    finally:
        board.close()
