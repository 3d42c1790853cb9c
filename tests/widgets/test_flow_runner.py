"""The flow runner: every grant step by step, the paste box, auto-consent, refresh, errors."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest

from bradesco_explore.auth import Client
from bradesco_explore.transport import Session
from bradesco_explore.widgets import Dashboard, Flow, FlowOptions, check_token, explore, steps_html
from bradesco_explore.widgets._flow import (
    auth_methods_for,
    consent_permissions,
    default_scopes,
    grants_for,
    scopes_for,
)
from bradesco_explore.workspace import Workspace

from ._leaks import Forbidden, assert_clean


def _browser_redirect(workspace: Workspace, url: str) -> str:
    """What a browser would land on after opening the consent link (auto-consent sandbox)."""
    assert workspace.sandbox is not None
    with Session(None, ca_bundle=workspace.sandbox.ca_bundle) as browser:
        response = browser.request("GET", url)
    assert response.status_code == 302
    return urljoin(url, response.headers["Location"])


def _token_text(board: Dashboard) -> str:
    (output,) = board.flows.token_card.outputs
    return str(output["data"]["text/plain"])


def _token_html(board: Dashboard) -> str:
    (output,) = board.flows.token_card.outputs
    return str(output["data"]["text/html"])


# -- plain functions ----------------------------------------------------------------------------------
def test_choices_offer_only_what_the_family_has(workspace: Workspace) -> None:
    env = workspace.environment
    pix, openfinance, legacy = env.family("pix"), env.family("openfinance"), env.family("legacy")
    assert grants_for(pix) == ("client_credentials",)
    assert grants_for(openfinance) == ("authorization_code", "client_credentials")
    assert grants_for(legacy) == ("jwt_bearer",) and auth_methods_for(legacy) == ("none",)
    assert auth_methods_for(pix)[0] == "client_secret_basic" and "none" not in auth_methods_for(pix)
    assert scopes_for(pix, "client_credentials") == pix.scopes
    assert default_scopes(pix, "client_credentials") == ("cob.read",)
    assert "consents" not in scopes_for(openfinance, "authorization_code")
    assert default_scopes(openfinance, "authorization_code") == ("openid", "accounts")
    assert scopes_for(openfinance, "client_credentials") == ("consents",)
    assert default_scopes(openfinance, "client_credentials") == ("consents",)
    assert consent_permissions(["openid", "accounts"])[-1] == "RESOURCES_READ"
    assert "CREDIT_CARDS_ACCOUNTS_READ" in consent_permissions(["credit-cards-accounts"])


def test_plain_flow_records_each_step_with_its_exchanges(workspace: Workspace) -> None:
    seen: list[int] = []
    with Client(workspace.environment, "pix", identity=workspace.identity,
                credentials=workspace.credentials) as client:  # fmt: skip
        flow = Flow(client, FlowOptions("pix", "client_credentials", "client_secret_basic",
                                        ("cob.read", "cob.write")),
                    on_step=lambda f: seen.append(len(f.steps)))  # fmt: skip
        flow.run()
    assert [s.name for s in flow.steps] == ["configuration", "token request", "validation"]
    assert [s.status for s in flow.steps] == ["ok", "ok", "ok"]
    assert seen == [1, 2, 3]  # the view can redraw after every step
    (exchange,) = flow.steps[1].exchanges
    assert exchange.method == "POST" and exchange.status == 200
    assert flow.token is not None and flow.token.scope == ("cob.read", "cob.write")
    assert "bound to this client certificate" in flow.steps[2].detail
    assert "token request" in steps_html(flow.steps) and "POST" in steps_html(flow.steps)


def test_check_token_flags_another_certificate_and_scope_differences(workspace: Workspace) -> None:
    assert workspace.sandbox is not None
    with Client(workspace.environment, "pix", identity=workspace.identity,
                credentials=workspace.credentials) as client:  # fmt: skip
        token = client.token(["cob.read"])
    other = workspace.sandbox.ca.issue_client("someone else")
    assert check_token(token, other, ["cob.read"])[0] == "failed"
    status, detail = check_token(token, workspace.identity, ["cob.read", "pix.read"])
    assert status == "warning" and "not granted: pix.read" in detail


# -- the view ---------------------------------------------------------------------------------------
def test_client_credentials_shows_steps_and_a_redacted_token_card(
    dashboard: Dashboard, workspace: Workspace, forbidden: Forbidden
) -> None:
    assert workspace.sandbox is not None
    runner = dashboard.flows
    runner.family.value = "pix"
    assert runner.scopes.options == workspace.environment.family("pix").scopes
    assert runner.scopes.value == ("cob.read",)
    assert runner.cpf.layout.display == "none"
    runner.scopes.value = ("cob.read", "pix.read")
    runner.run_button.click()
    assert runner.message.value == ""
    assert "bx-step-ok" in runner.steps.value and "bx-step-failed" not in runner.steps.value
    assert _token_text(dashboard).startswith("Token(Bearer, scope='cob.read pix.read'")
    html = _token_html(dashboard)
    assert "Access token" in html and "bx-countdown" in html  # the expiry countdown
    assert workspace.identity is not None and workspace.identity.x5t_s256 in html
    assert runner.refresh_button.layout.display == ""
    first = runner.flow.token if runner.flow else None
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))

    runner.refresh_button.click()
    assert runner.flow is not None and runner.flow.token is not None
    assert not runner.flow.token.same_as(first)
    assert runner.flow.steps[-2].name == "refresh"
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))


def test_authorization_code_with_a_pasted_redirect(
    dashboard: Dashboard, workspace: Workspace, forbidden: Forbidden
) -> None:
    assert workspace.sandbox is not None
    runner = dashboard.flows
    runner.family.value = "openfinance"
    assert runner.grant.value == "authorization_code"
    customer = workspace.sandbox.customer.cpf
    assert runner.cpf.layout.display == "" and runner.options().cpf == customer
    assert runner.cpf.value == "" and runner.cpf.placeholder.startswith(f"***.{customer[3:6]}.")
    runner.run()
    assert runner.message.value == ""
    assert [s.name for s in runner.flow.steps] == ["discovery", "consent", "PAR", "redirect"]  # type: ignore[union-attr]
    assert "bx-step-waiting" in runner.steps.value
    assert runner.authorization.layout.display == ""
    assert runner.auto_button.layout.display == ""  # the sandbox consents at once
    pending = runner.flow.pending  # type: ignore[union-attr]
    assert pending is not None and pending.url in runner.link.value.replace("&amp;", "&")
    # The link is the one value the browser must get: nothing else secret is in the page.
    assert_clean(
        dashboard, forbidden.with_sandbox(workspace.sandbox), allowed=[pending.request_uri or ""]
    )

    runner.redirect_url.value = _browser_redirect(workspace, pending.url)
    runner.finish_button.click()
    assert runner.message.value == ""
    assert runner.redirect_url.value == "" and runner.link.value == ""
    assert runner.authorization.layout.display == "none"
    names = [s.name for s in runner.flow.steps]  # type: ignore[union-attr]
    assert names == ["discovery", "consent", "PAR", "redirect", "code exchange", "validation"]
    assert "refreshable" in _token_text(dashboard)
    assert "ID token validated" in runner.steps.value
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))

    runner.refresh()
    assert runner.flow.steps[-2].name == "refresh" and runner.message.value == ""  # type: ignore[union-attr]
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))


def test_auto_consent_shortcut(
    dashboard: Dashboard, workspace: Workspace, forbidden: Forbidden
) -> None:
    assert workspace.sandbox is not None
    runner = dashboard.flows
    runner.family.value = "openfinance"
    runner.scopes.value = ("openid", "accounts", "resources")
    runner.run()
    runner.auto_button.click()
    assert runner.message.value == "" and runner.link.value == ""
    assert runner.flow is not None and runner.flow.token is not None
    assert "resources" in runner.flow.token.scope
    assert runner.flow.steps[3].detail.startswith("followed the redirects")
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))


def test_bad_paste_is_a_readable_error_and_ends_the_authorization(
    dashboard: Dashboard, workspace: Workspace, forbidden: Forbidden
) -> None:
    assert workspace.sandbox is not None
    runner = dashboard.flows
    runner.family.value = "openfinance"
    runner.run()
    runner.redirect_url.value = "https://example.com/somewhere-else?code=abcdefgh1234"
    runner.finish()
    assert "Finishing the authorization failed" in runner.message.value
    assert "Traceback" not in runner.message.value
    assert runner.redirect_url.value == "" and runner.link.value == ""
    assert runner.flow is not None and runner.flow.pending is None
    assert runner.flow.steps[-1].status == "failed"
    runner.finish()  # nothing is waiting any more
    assert "press Run first" in runner.message.value
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))


def test_legacy_jwt_bearer_flow(dashboard: Dashboard) -> None:
    runner = dashboard.flows
    runner.family.value = "legacy"
    assert runner.grant.value == "jwt_bearer" and runner.scopes.disabled
    runner.run()
    assert runner.message.value == ""
    assert runner.flow is not None and runner.flow.token is not None
    assert runner.flow.token.grant == "jwt_bearer"


def test_server_refusals_are_readable_and_mark_the_step_failed(dashboard: Dashboard) -> None:
    runner = dashboard.flows
    runner.family.value = "pix"
    runner.auth_method.value = "private_key_jwt"  # not what the Pix token endpoint accepts
    runner.run()
    assert "The client_credentials flow failed" in runner.message.value
    assert "bx-step-failed" in runner.steps.value
    assert runner.token_card.outputs == ()
    runner.family.value = "openfinance"
    runner.cpf.value = "123"
    runner.run()
    assert "cpf must have 11 digits" in runner.message.value
    assert runner.cpf.value == ""  # typed personal data does not stay in the widget


def test_switching_to_an_unconfigured_target_explains_and_stays(
    dashboard: Dashboard, workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BRADESCO_CERT", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = dashboard.flows
    runner.target.value = "production"
    assert "Opening production failed" in runner.message.value
    assert "BRADESCO_CERT" in runner.message.value
    assert runner.target.value == "local" and dashboard.state.workspace is workspace


def test_open_finance_client_credentials_asks_only_for_consents(dashboard: Dashboard) -> None:
    runner = dashboard.flows
    runner.family.value = "openfinance"
    runner.grant.value = "client_credentials"
    assert runner.scopes.options == ("consents",) and runner.scopes.value == ("consents",)
    assert runner.cpf.layout.display == "none"
    runner.run()
    assert runner.message.value == ""
    assert [s.name for s in runner.flow.steps] == ["discovery", "token request", "validation"]  # type: ignore[union-attr]
    assert runner.flow.token is not None and runner.flow.token.scope == ("consents",)  # type: ignore[union-attr]


def test_switching_target_attaches_to_the_running_sandbox(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert workspace.sandbox is not None
    for name, value in workspace.sandbox.env_variables().items():
        monkeypatch.setenv(name, value)
    board = explore(workspace)
    try:
        board.flows.target.value = "local-sandbox"
        assert board.flows.message.value == ""
        assert board.state.workspace.target == "local-sandbox" and board.state.owns_workspace
        assert "target local-sandbox" in board.header.value
        assert board.flows.options().cpf == workspace.sandbox.customer.cpf  # the test customer
        assert board.explorer.family.value == "pix"
        board.flows.run()
        assert board.flows.flow is not None and board.flows.flow.token is not None
    finally:
        board.close()
    assert workspace.sandbox.running  # the dashboard closed only what it opened
