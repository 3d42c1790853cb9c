"""Workspace targets: the in-process sandbox, attaching to a running one, and clear errors."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest

from bradesco_explore.apis import pix
from bradesco_explore.errors import ConfigurationError
from bradesco_explore.sandbox import Sandbox
from bradesco_explore.workspace import Workspace


def test_local_target_runs_a_sandbox_and_reuses_clients() -> None:
    with Workspace.open("local", transactions=50) as ws:
        assert ws.sandbox is not None and ws.sandbox.running
        pix = ws.client("pix")
        assert ws.client("pix") is pix
        assert ws.client("pix", refresh_margin=30) is not pix
        assert pix.token().cnf == ws.identity.x5t_s256  # type: ignore[union-attr]
        assert "Secret('…" in repr(ws) and ws.credentials.client_secret.reveal() not in repr(ws)  # type: ignore[union-attr]
    assert not ws.sandbox.running


def test_local_sandbox_target_attaches_through_the_exported_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Sandbox(transactions=50) as sb:
        for key, value in sb.env_variables().items():
            monkeypatch.setenv(key, value)
        with Workspace.open() as ws:  # BRADESCO_ENVIRONMENT=local-sandbox
            assert ws.target == "local-sandbox" and ws.sandbox is None
            assert ws.client("portal").get("/v1/fornecimento-saldos-contas/saldos",
                                           params={"agencia": "3861", "conta": "41000"}).ok  # fmt: skip
            of = ws.client("openfinance")
            assert of.metadata().issuer == sb.issuer
        assert sb.stats.tokens_issued[("portal", "client_credentials")] == 1


def test_attach_without_variables_explains_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORTAL", "LEGACY", "PIX", "OPENFINANCE"):
        monkeypatch.delenv(f"BRADESCO_{name}_URL", raising=False)
    monkeypatch.chdir("/")
    with pytest.raises(ConfigurationError, match="BRADESCO_PORTAL_URL"):
        Workspace.open("local-sandbox")


def test_remote_target_needs_a_certificate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.delenv("BRADESCO_CERT", raising=False)
    monkeypatch.chdir(str(tmp_path))
    with pytest.raises(ConfigurationError, match="BRADESCO_CERT"):
        Workspace.open("bradesco-sandbox")


def test_unknown_target(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.delenv("BRADESCO_CERT", raising=False)
    monkeypatch.chdir(str(tmp_path))
    with pytest.raises(ConfigurationError, match="Unknown target 'staging'"):
        Workspace.open("staging")


def test_sandbox_options_only_for_local() -> None:
    with pytest.raises(ConfigurationError, match="only apply"):
        Workspace.open("production", seed=3)


def test_customer_and_beneficiary_per_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    with Workspace.open("local", transactions=10) as ws:
        assert ws.customer == ws.sandbox.customer and ws.beneficiary.cnpj == "68542653101838"  # type: ignore[union-attr]
        other = ws.sandbox.ca.issue_client("second")  # type: ignore[union-attr]
        assert ws.client("pix", identity=other).identity is other
    remote = Workspace("production", ws.environment, None, ws.credentials)
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.delenv("BRADESCO_CUSTOMER_CPF", raising=False)
    with pytest.raises(ConfigurationError, match="BRADESCO_CUSTOMER_CPF"):
        _ = remote.customer
    with pytest.raises(ConfigurationError, match="BRADESCO_BENEFICIARY_CNPJ"):
        _ = remote.beneficiary
    monkeypatch.setenv("BRADESCO_CUSTOMER_CPF", "39053344705")
    assert remote.customer.cpf == "39053344705"


def test_local_sandbox_switches_explain_themselves_at_other_targets() -> None:
    with Workspace.open("local", transactions=10) as ws:
        assert ws.local_sandbox is ws.sandbox
        elsewhere = Workspace("bradesco-sandbox", ws.environment, ws.identity, ws.credentials)
        with pytest.raises(ConfigurationError) as refused:
            elsewhere.local_sandbox.reset_stats()
    message = str(refused.value)
    assert "uses the local sandbox's switches" in message and "counters" in message
    assert "no equivalent at 'bradesco-sandbox'" in message
    assert "BRADESCO_ENVIRONMENT=local" in message


def test_pix_window_is_the_days_of_the_sandbox_data() -> None:
    start, end = dt.datetime(2024, 10, 1, tzinfo=dt.UTC), dt.datetime(2024, 10, 4, tzinfo=dt.UTC)
    with Workspace.open("local", transactions=10) as ws:
        client = ws.client("pix")
        assert ws.pix_window == (start, end)
        assert len(pix.list_received(client, *ws.pix_window).json()["pix"]) == 24
        assert len(pix.list_charges(client, *ws.pix_window).json()["cobs"]) == 8
        month_before = pix.list_received(client, start - dt.timedelta(days=30), start).json()
        assert month_before["pix"] == [], "none of the sandbox's Pix data lies outside the window"
        bank = Workspace("bradesco-sandbox", ws.environment, ws.identity, ws.credentials)
        live = Workspace("production", ws.environment, ws.identity, ws.credentials)
    assert bank.pix_window == (start, end)
    first, last = live.pix_window
    assert last - first == dt.timedelta(days=4) and first < dt.datetime.now(dt.UTC) < last


def test_leaked_secrets_names_the_kind_never_the_value() -> None:
    with Workspace.open("local", transactions=10) as ws:
        token = ws.client("pix").token(["cob.read"])
        secret = ws.credentials.client_secret.reveal()  # type: ignore[union-attr]
        texts = [f"Authorization: {token.authorization()}", f"client_secret={quote(secret)}"]
        found = ws.leaked_secrets(texts)
        assert found == ["a signed token or assertion (JWT)", "the client secret"]
        assert not any(secret in kind or token.access_token.reveal() in kind for kind in found)
        assert (
            ws.leaked_secrets(
                [repr(token), str(ws.credentials), ws.client("pix").log.to_frame().to_string()]
            )
            == []
        )
