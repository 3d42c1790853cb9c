"""Workspace targets: the in-process sandbox, attaching to a running one, and clear errors."""

from __future__ import annotations

import pytest

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
