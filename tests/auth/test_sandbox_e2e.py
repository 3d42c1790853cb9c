"""Every grant of every family, end to end over mTLS, against the local sandbox.

The client is configured only from `sb.environment`, `sb.identity` and `sb.credentials`:
nothing in it knows it is talking to the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bradesco_explore.auth import Client
from bradesco_explore.sandbox import Sandbox

PERMISSIONS = ["ACCOUNTS_READ", "ACCOUNTS_BALANCES_READ", "RESOURCES_READ"]
CONSENTS = "/open-banking/consents/v3/consents"
ACCOUNTS = "/open-banking/accounts/v2/accounts"
CLASSIC_BOLETO = {
    "nuCPFCNPJ": "68542653", "filialCPFCNPJ": "1018", "ctrlCPFCNPJ": "38", "cdTipoAcesso": "2",
    "clubBanco": "2269651", "cdTipoContrato": "48", "idProduto": "09", "nuNegociacao": "386100000000041000",
    "nuTitulo": "0", "nuCliente": "PEDIDO-77", "dtEmissaoTitulo": "01.06.2025", "dtVencimentoTitulo": "30.06.2025",
    "vlNominalTitulo": "15075", "cdEspecieTitulo": "02", "nomePagador": "FULANO DE TAL",
    "logradouroPagador": "RUA A", "nuLogradouroPagador": "10", "cepPagador": "06029", "complementoCepPagador": "900",
    "bairroPagador": "CENTRO", "municipioPagador": "OSASCO", "ufPagador": "SP", "cdIndCpfcnpjPagador": "1",
    "nuCpfcnpjPagador": "38453450803",
}  # fmt: skip


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=7, transactions=200) as sandbox:
        yield sandbox


def client_for(sb: Sandbox, family: str) -> Client:
    return Client(sb.environment, family, identity=sb.identity, credentials=sb.credentials)


def test_pix_client_credentials_with_basic(sb: Sandbox) -> None:
    with client_for(sb, "pix") as client:
        response = client.get(
            "/v2/cob", params={"inicio": "2024-01-01T00:00:00Z", "fim": "2024-12-31T23:59:59Z"}
        )
        assert response.ok
        token = client.token()
        assert token.cnf == sb.identity.x5t_s256 and token.scope == ("cob.read",)


def test_portal_client_credentials_in_the_body(sb: Sandbox) -> None:
    with client_for(sb, "portal") as client:
        response = client.get(
            "/v1/fornecimento-saldos-contas/saldos", params={"agencia": "3861", "conta": "41000"}
        )
        assert response.ok


def test_legacy_jwt_bearer_with_x_brad_signatures(sb: Sandbox) -> None:
    with client_for(sb, "legacy") as client:
        created = client.post("/v1/boleto/registrarBoleto", json=CLASSIC_BOLETO)
        assert created.ok, created.text
        number = created.json().get("nossoNumero") or created.json().get("nuTituloGerado")
        assert client.post("/v1/boleto/titulo-consultar", json={"nossoNumero": number}).ok


@pytest.mark.parametrize("response_mode", [None, "jwt"])
def test_open_finance_consent_authorization_accounts_and_refresh(
    sb: Sandbox, response_mode: str | None
) -> None:
    with client_for(sb, "openfinance") as client:
        consent_token = client.token(["consents"], grant="client_credentials")
        consent = client.post(CONSENTS, token=consent_token, json={"data": {
            "loggedUser": {"document": {"identification": sb.customer.cpf, "rel": "CPF"}},
            "permissions": PERMISSIONS}})  # fmt: skip
        consent_id = consent.json()["data"]["consentId"]
        pending = client.authorize(
            scopes=["openid", "accounts"], consent=consent_id, response_mode=response_mode
        )
        tokens = client.finish(pending, client.follow(pending))
        assert (
            tokens.id_token_claims is not None
            and tokens.id_token_claims["sub"] == sb.customer.subject
        )
        accounts = client.get(ACCOUNTS).json()["data"]
        assert accounts
        refreshed = client.refresh(tokens)
        assert not refreshed.same_as(tokens)
        assert client.get(f"{ACCOUNTS}/{accounts[0]['accountId']}/balances").ok


def test_expired_tokens_are_renewed_reactively(sb: Sandbox) -> None:
    with client_for(sb, "pix") as client:
        client.token()
        sb.expire_tokens()
        assert client.get(
            "/v2/cob", params={"inicio": "2024-01-01T00:00:00Z", "fim": "2024-12-31T23:59:59Z"}
        ).ok
        assert client.stats["reactive_refreshes"] == 1


def test_jwks_rotation_is_followed(sb: Sandbox) -> None:
    with client_for(sb, "openfinance") as client:
        consent_token = client.token(["consents"], grant="client_credentials")
        for _ in range(2):
            consent = client.post(CONSENTS, token=consent_token, json={"data": {
                "loggedUser": {"document": {"identification": sb.customer.cpf, "rel": "CPF"}},
                "permissions": PERMISSIONS}})  # fmt: skip
            pending = client.authorize(
                scopes=["openid", "accounts"], consent=consent.json()["data"]["consentId"]
            )
            assert client.finish(pending, client.follow(pending)).id_token_claims
            sb.rotate_jwks()
        assert client.stats["jwks_requests"] == 2, (
            "the rotated key was fetched once, on its unknown kid"
        )
