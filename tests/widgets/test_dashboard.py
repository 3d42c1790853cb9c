"""explore(): the dashboard as one call, the whole journey through it, and the leak check itself."""

from __future__ import annotations

import secrets

import ipywidgets as widgets
import pytest

from bradesco_explore.errors import ConfigurationError
from bradesco_explore.widgets import Dashboard, explore
from bradesco_explore.workspace import Workspace

from ._audit import dashboard_surface
from ._leaks import Forbidden, assert_clean, pkcs12_file, upload_entry


def test_explore_opens_and_closes_its_own_workspace() -> None:
    board = explore(target="local")
    try:
        assert board.state.owns_workspace and board.state.workspace.target == "local"
        sandbox = board.state.workspace.sandbox
        assert sandbox is not None and sandbox.running
        assert board.tabs.titles == ("Certificate", "Flows", "Explore responses")
        assert board.tabs.children == (board.certificate, board.flows, board.explorer)
        assert "local sandbox (target local)" in board.header.value
        assert repr(board).startswith("Dashboard(target='local', identity='O=bradesco-explore")
        assert "0x" not in repr(board)
    finally:
        board.close()
    assert not sandbox.running
    assert board.comm is None and board.flows.run_button.comm is None


def test_explore_leaves_a_given_workspace_open(workspace: Workspace) -> None:
    board = explore(workspace)
    board.close()
    assert workspace.sandbox is not None and workspace.sandbox.running
    with pytest.raises(ConfigurationError, match="not both"):
        explore(workspace, target="local")


def test_the_explorer_follows_the_family_chosen_for_the_flows(dashboard: Dashboard) -> None:
    dashboard.flows.family.value = "portal"
    assert dashboard.explorer.family.value == "portal"
    assert dashboard.explorer.endpoint.value == "portal.balance"
    dashboard.explorer.family.value = "pix"  # and can still be chosen on its own
    assert dashboard.flows.family.value == "portal"


def test_the_whole_journey_leaves_no_secret_in_any_widget(
    dashboard: Dashboard, workspace: Workspace, forbidden: Forbidden
) -> None:
    """Certificate upload, client credentials, authorization code, a table: checked after each."""
    sandbox = workspace.sandbox
    assert sandbox is not None
    analyst = sandbox.ca.issue_client("journey analyst")
    sandbox.register_identity(analyst)
    password = secrets.token_urlsafe(12)
    p12 = pkcs12_file(analyst, password)
    forbidden.add_key(analyst)
    forbidden.add_blob(p12)
    forbidden.add_text(password)

    def check(allowed: tuple[str, ...] = ()) -> None:
        assert_clean(dashboard, forbidden.with_sandbox(sandbox), allowed=allowed)

    dashboard.certificate.upload.set_state({"value": [upload_entry("journey.pfx", p12)]})
    check()
    dashboard.certificate.password.value = password
    dashboard.certificate.load_button.click()
    assert "in use for every flow" in dashboard.certificate.report.value
    check()

    flows = dashboard.flows
    flows.family.value = "pix"
    flows.run_button.click()
    assert flows.flow is not None and flows.flow.token is not None
    assert flows.flow.token.cnf == analyst.x5t_s256
    check()

    flows.family.value = "openfinance"
    flows.run_button.click()
    pending = flows.flow.pending
    assert pending is not None
    check(allowed=(pending.request_uri or "",))
    flows.auto_button.click()
    assert flows.flow.token is not None and flows.message.value == ""
    check()

    dashboard.explorer.family.value = "openfinance"
    dashboard.explorer.endpoint.value = "openfinance.accounts"
    dashboard.explorer.fetch_button.click()
    assert dashboard.explorer.fetched is not None and len(dashboard.explorer.fetched.table) == 2
    check()


def test_the_leak_check_catches_what_it_looks_for(workspace: Workspace) -> None:
    """The checker itself: a secret left in a trait or an upload buffer fails it."""
    assert workspace.sandbox is not None
    forbidden = Forbidden()
    forbidden.add_text("a-long-secret-value")
    forbidden.add_blob(b"\x30\x82secret-bytes")
    holder = widgets.VBox([widgets.HTML("<p>a-long-secret-value</p>")])
    upload = widgets.FileUpload()
    upload.set_state({"value": [upload_entry("key.der", b"\x30\x82secret-bytes")]})
    wrapper = widgets.VBox([upload])
    try:
        with pytest.raises(AssertionError, match="HTML"):
            assert_clean(holder, forbidden)
        with pytest.raises(AssertionError, match="binary buffer"):
            assert_clean(wrapper, forbidden)
        holder.children[0].value = ""
        with pytest.raises(AssertionError, match="saved widget state"):
            assert_clean(holder, forbidden)  # the upload is not in this tree, but it is saved
        upload.value = ()
        assert_clean(holder, forbidden)
    finally:
        for widget in (holder.children[0], holder, upload, wrapper):
            widget.close()


def test_the_audit_surface_runs_the_journey_and_shows_no_secret(workspace: Workspace) -> None:
    assert workspace.sandbox is not None
    text = dashboard_surface(workspace.sandbox)
    assert "Access token" in text and "Open Finance accounts" in text
    for number, secret in enumerate(s for s in workspace.sandbox.known_secrets() if len(s) >= 8):
        assert secret not in text, f"the saved widget state holds secret #{number}"
    assert workspace.sandbox.running
