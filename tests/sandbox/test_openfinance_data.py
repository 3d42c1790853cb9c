"""Open Finance data APIs: consents v3, accounts v2, credit-cards-accounts v2, resources v3 -
envelopes, money, pagination, the interaction id, permissions and token checks."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from bradesco_explore.sandbox import Sandbox

from ._wire import ALL_ACCOUNT_PERMISSIONS, Tokens, Wire, fapi_headers, identity_files

MONEY = re.compile(r"^-?\d{1,15}\.\d{2,4}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture(scope="module")
def tokens(wire: Wire) -> Tokens:
    return wire.flow()


@pytest.fixture(scope="module")
def account_id(wire: Wire, tokens: Tokens) -> str:
    return str(wire.get("/accounts/v2/accounts", tokens.access).json()["data"][0]["accountId"])


def assert_money(value: dict[str, str]) -> None:
    assert MONEY.match(value["amount"]) and value["currency"] == "BRL"


# -- consents -------------------------------------------------------------------------------------


def test_a_consent_is_created_awaiting_and_can_be_read_and_deleted(wire: Wire) -> None:
    created = wire.create_consent()
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["status"] == "AWAITING_AUTHORISATION" and data["consentId"].startswith(
        "urn:bradesco:"
    )
    assert RFC3339.match(data["creationDateTime"]) and set(data["permissions"]) == set(
        ALL_ACCOUNT_PERMISSIONS
    )
    assert created.json()["links"]["self"].endswith(data["consentId"])
    url = f"{wire.api}/consents/v3/consents/{data['consentId']}"
    token = wire.cc_token()
    assert (
        wire.http.get(url, headers=fapi_headers(token)).json()["data"]["status"]
        == "AWAITING_AUTHORISATION"
    )
    assert wire.http.delete(url, headers=fapi_headers(token)).status_code == 204
    rejected = wire.http.get(url, headers=fapi_headers(token)).json()["data"]
    assert rejected["status"] == "REJECTED" and rejected["rejection"]["rejectedBy"] == "USER"
    again = wire.http.delete(url, headers=fapi_headers(token))
    assert (
        again.status_code == 422
        and again.json()["errors"][0]["code"] == "CONSENTIMENTO_EM_STATUS_REJEITADO"
    )


def test_a_percent_encoded_consent_id_in_the_path_is_understood(wire: Wire) -> None:
    from urllib.parse import quote

    consent_id = wire.consent_id()
    reply = wire.http.get(
        f"{wire.api}/consents/v3/consents/{quote(consent_id, safe='')}",
        headers=fapi_headers(wire.cc_token()),
    )
    assert reply.status_code == 200 and reply.json()["data"]["consentId"] == consent_id


@pytest.mark.parametrize(
    ("permissions", "code"),
    [
        (["ACCOUNTS_READ"], "COMBINACAO_PERMISSOES_INCORRETA"),
        (["ACCOUNTS_BALANCES_READ", "RESOURCES_READ"], "COMBINACAO_PERMISSOES_INCORRETA"),
        (["LOANS_READ", "RESOURCES_READ"], "SEM_PERMISSOES_FUNCIONAIS_RESTANTES"),
        (["NOT A PERMISSION"], "PARAMETRO_INVALIDO"),
    ],
)
def test_bad_permission_sets_are_refused(wire: Wire, permissions: list[str], code: str) -> None:
    reply = wire.create_consent(permissions)
    assert reply.status_code in (400, 422) and reply.json()["errors"][0]["code"] == code
    assert RFC3339.match(reply.json()["meta"]["requestDateTime"])


def test_permissions_for_products_the_sandbox_lacks_are_dropped(wire: Wire) -> None:
    reply = wire.create_consent(["ACCOUNTS_READ", "RESOURCES_READ", "LOANS_READ"])
    assert reply.status_code == 201 and reply.json()["data"]["permissions"] == [
        "ACCOUNTS_READ",
        "RESOURCES_READ",
    ]


@pytest.mark.parametrize("expiration", ["2020-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "tomorrow"])
def test_a_bad_expiration_is_refused(wire: Wire, expiration: str) -> None:
    reply = wire.create_consent(expirationDateTime=expiration)
    assert (
        reply.status_code == 422 and reply.json()["errors"][0]["code"] == "DATA_EXPIRACAO_INVALIDA"
    )


def test_a_consent_with_an_expiration_reports_it(wire: Wire) -> None:
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        wire.create_consent(expirationDateTime=later).json()["data"]["expirationDateTime"] == later
    )


def test_a_bad_logged_user_is_refused(wire: Wire) -> None:
    reply = wire.create_consent(cpf="123")
    assert reply.status_code == 400 and "loggedUser" in reply.json()["errors"][0]["detail"]


def test_consents_need_a_client_credentials_token(wire: Wire, tokens: Tokens) -> None:
    reply = wire.create_consent(token=tokens.access)
    assert reply.status_code == 403 and reply.json()["errors"][0]["code"] == "FORBIDDEN"


def test_the_interaction_id_is_required_and_echoed(wire: Wire, tokens: Tokens) -> None:
    missing = wire.http.get(
        f"{wire.api}/accounts/v2/accounts", headers={"Authorization": f"Bearer {tokens.access}"}
    )
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["code"] == "PARAMETRO_NAO_INFORMADO"
    assert uuid.UUID(missing.headers["x-fapi-interaction-id"])
    bad = wire.http.get(f"{wire.api}/accounts/v2/accounts",
                        headers={"Authorization": f"Bearer {tokens.access}", "x-fapi-interaction-id": "not-a-uuid"})  # fmt: skip
    assert bad.status_code == 400 and bad.headers["x-fapi-interaction-id"] != "not-a-uuid"
    headers = fapi_headers(tokens.access)
    ok = wire.http.get(f"{wire.api}/accounts/v2/accounts", headers=headers)
    assert ok.headers["x-fapi-interaction-id"] == headers["x-fapi-interaction-id"]


# -- accounts -------------------------------------------------------------------------------------


def test_accounts_list_uses_the_data_links_meta_envelope(wire: Wire, tokens: Tokens) -> None:
    body = wire.get("/accounts/v2/accounts", tokens.access).json()
    assert set(body) == {"data", "links", "meta"}
    assert (
        body["meta"]["totalRecords"] == 2
        and body["meta"]["totalPages"] == 1
        and RFC3339.match(body["meta"]["requestDateTime"])
    )
    assert body["links"]["self"].startswith(wire.api)
    first = body["data"][0]
    assert (
        first["compeCode"] == "237"
        and re.fullmatch(r"\d{4}", first["branchCode"])
        and re.fullmatch(r"\d{8,20}", first["number"])
    )
    assert {a["type"] for a in body["data"]} == {"CONTA_DEPOSITO_A_VISTA", "CONTA_POUPANCA"}


def test_account_detail_balances_and_overdraft(wire: Wire, tokens: Tokens, account_id: str) -> None:
    detail = wire.get(f"/accounts/v2/accounts/{account_id}", tokens.access).json()["data"]
    assert detail["subtype"] == "INDIVIDUAL" and detail["currency"] == "BRL"
    balances = wire.get(f"/accounts/v2/accounts/{account_id}/balances", tokens.access).json()[
        "data"
    ]
    for name in ("availableAmount", "blockedAmount", "automaticallyInvestedAmount"):
        assert_money(balances[name])
    assert re.fullmatch(r"\d+\.\d{4}", balances["availableAmount"]["amount"])
    limits = wire.get(f"/accounts/v2/accounts/{account_id}/overdraft-limits", tokens.access).json()[
        "data"
    ]
    assert_money(limits["overdraftContractedLimit"])


def test_transactions_page_with_a_pagination_key_following_links_next(
    wire: Wire, tokens: Tokens, account_id: str
) -> None:
    url: str | None = f"{wire.api}/accounts/v2/accounts/{account_id}/transactions?page-size=1000"
    seen: list[str] = []
    pages = 0
    while url:
        body = wire.http.get(url, headers=fapi_headers(tokens.access)).json()
        pages += 1
        assert set(body["meta"]) == {"requestDateTime"} and "last" not in body["links"]
        seen += [t["transactionId"] for t in body["data"]]
        url = body["links"].get("next")
        if url:
            assert "pagination-key=" in url
    assert pages == 3 and len(seen) == len(set(seen)) == 3000
    first = wire.get(
        f"/accounts/v2/accounts/{account_id}/transactions", tokens.access, params={"page-size": "1"}
    ).json()["data"][0]
    assert re.fullmatch(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", first["transactionDateTime"]
    )
    assert first["creditDebitType"] in ("CREDITO", "DEBITO") and first["partiePersonType"] in (
        "PESSOA_NATURAL",
        "PESSOA_JURIDICA",
    )
    assert_money(first["transactionAmount"])


def test_a_pagination_key_from_another_query_is_refused(
    wire: Wire, tokens: Tokens, account_id: str
) -> None:
    path = f"/accounts/v2/accounts/{account_id}/transactions"
    next_link = wire.get(path, tokens.access, params={"page-size": "10"}).json()["links"]["next"]
    key = re.search(r"pagination-key=([0-9a-f]+)", next_link)
    assert key is not None
    reply = wire.get(
        path,
        tokens.access,
        params={"page": "2", "creditDebitIndicator": "CREDITO", "pagination-key": key.group(1)},
    )
    assert reply.status_code == 422


def test_transactions_filter_by_booking_date_and_indicator(
    wire: Wire, tokens: Tokens, account_id: str
) -> None:
    params = {
        "fromBookingDate": "2025-06-01",
        "toBookingDate": "2025-06-30",
        "creditDebitIndicator": "CREDITO",
        "page-size": "1000",
    }
    data = wire.get(
        f"/accounts/v2/accounts/{account_id}/transactions", tokens.access, params=params
    ).json()["data"]
    assert data and all(
        t["transactionDateTime"].startswith("2025-06") and t["creditDebitType"] == "CREDITO"
        for t in data
    )
    one_sided = wire.get(
        f"/accounts/v2/accounts/{account_id}/transactions",
        tokens.access,
        params={"fromBookingDate": "2025-06-01"},
    )
    assert one_sided.status_code == 422
    too_old = wire.get(f"/accounts/v2/accounts/{account_id}/transactions", tokens.access,
                       params={"fromBookingDate": "2020-01-01", "toBookingDate": "2020-02-01"})  # fmt: skip
    assert too_old.status_code == 422


def test_transactions_current_covers_the_last_seven_days(
    wire: Wire, tokens: Tokens, account_id: str
) -> None:
    data = wire.get(
        f"/accounts/v2/accounts/{account_id}/transactions-current",
        tokens.access,
        params={"page-size": "1000"},
    ).json()["data"]
    assert data and all(t["transactionDateTime"] >= "2025-06-24" for t in data)
    assert any(t["completedAuthorisedPaymentType"] == "LANCAMENTO_FUTURO" for t in data)


@pytest.mark.parametrize("size", ["0", "1001", "abc"])
def test_an_invalid_page_size_is_422(wire: Wire, tokens: Tokens, size: str) -> None:
    reply = wire.get("/accounts/v2/accounts", tokens.access, params={"page-size": size})
    assert reply.status_code == 422 and reply.json()["errors"][0]["code"] == "PARAMETRO_INVALIDO"


def test_an_unknown_account_is_404(wire: Wire, tokens: Tokens) -> None:
    assert wire.get("/accounts/v2/accounts/nope/balances", tokens.access).status_code == 404


# -- credit cards and resources -----------------------------------------------------------------------


def test_credit_card_accounts_bills_and_transactions(wire: Wire, tokens: Tokens) -> None:
    cards = wire.get("/credit-cards-accounts/v2/accounts", tokens.access).json()["data"]
    card = cards[0]["creditCardAccountId"]
    assert cards[0]["creditCardNetwork"] == "VISA"
    assert wire.get(f"/credit-cards-accounts/v2/accounts/{card}", tokens.access).json()["data"][
        "paymentMethod"
    ]
    bills = wire.get(f"/credit-cards-accounts/v2/accounts/{card}/bills", tokens.access).json()
    assert bills["meta"]["totalRecords"] == 12
    bill = bills["data"][0]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", bill["dueDate"])
    assert_money(bill["billTotalAmount"])
    on_bill = wire.get(f"/credit-cards-accounts/v2/accounts/{card}/bills/{bill['billId']}/transactions", tokens.access,
                       params={"page-size": "100"}).json()["data"]  # fmt: skip
    total = sum(int(t["amount"]["amount"].replace(".", "")) for t in on_bill) // 100
    assert f"{total // 100}.{total % 100:02d}00" == bill["billTotalAmount"]["amount"]
    everything = wire.get(
        f"/credit-cards-accounts/v2/accounts/{card}/transactions", tokens.access
    ).json()
    assert everything["meta"]["totalRecords"] >= 240 and "next" in everything["links"]
    limits = wire.get(f"/credit-cards-accounts/v2/accounts/{card}/limits", tokens.access).json()[
        "data"
    ]
    assert_money(limits[0]["availableAmount"])


def test_resources_list_what_the_consent_shares(wire: Wire, tokens: Tokens) -> None:
    data = wire.get("/resources/v3/resources", tokens.access).json()["data"]
    assert sorted(r["type"] for r in data) == ["ACCOUNT", "ACCOUNT", "CREDIT_CARD_ACCOUNT"]
    assert all(r["status"] == "AVAILABLE" for r in data)


# -- access checks ------------------------------------------------------------------------------------


def test_a_permission_the_consent_lacks_is_403(wire: Wire) -> None:
    limited = wire.flow(["ACCOUNTS_READ", "RESOURCES_READ"])
    assert wire.get("/accounts/v2/accounts", limited.access).status_code == 200
    account = wire.get("/accounts/v2/accounts", limited.access).json()["data"][0]["accountId"]
    denied = wire.get(f"/accounts/v2/accounts/{account}/balances", limited.access)
    assert (
        denied.status_code == 403
        and "ACCOUNTS_BALANCES_READ" in denied.json()["errors"][0]["detail"]
    )
    cards = wire.get("/credit-cards-accounts/v2/accounts", limited.access)
    assert cards.status_code == 403


def test_a_scope_not_granted_is_403(wire: Wire) -> None:
    tokens = wire.flow()  # the default scopes name every family
    consent_id = wire.consent_id()
    pending, params, _ = wire.front_channel(
        consent_id, scope=f"openid accounts consent:{consent_id}"
    )
    token = wire.redeem(params["code"], pending).json()["access_token"]
    assert wire.get("/accounts/v2/accounts", token).status_code == 200
    reply = wire.get("/resources/v3/resources", token)
    assert reply.status_code == 403 and "resources" in reply.json()["errors"][0]["detail"]
    assert 'error="insufficient_scope"' in reply.headers["WWW-Authenticate"]
    assert wire.get("/resources/v3/resources", tokens.access).status_code == 200


def test_a_client_credentials_token_cannot_read_customer_data(wire: Wire) -> None:
    reply = wire.get("/accounts/v2/accounts", wire.cc_token())
    assert reply.status_code == 403


def test_a_bound_token_with_another_registered_certificate_is_401(
    sandbox: Sandbox, fresh_wire: Wire, tmp_path: Path
) -> None:
    tokens = fresh_wire.flow()
    second = sandbox.ca.issue_client("second")
    sandbox.register_identity(second)
    other = fresh_wire.with_cert(identity_files(second, tmp_path))
    reply = other.get("/accounts/v2/accounts", tokens.access)
    assert reply.status_code == 401 and reply.json()["errors"][0]["code"] == "UNAUTHORIZED"
    assert "cnf.x5t#S256" in reply.json()["errors"][0]["detail"]


def test_an_expired_token_is_401_and_a_refresh_brings_access_back(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    tokens = fresh_wire.flow()
    sandbox.expire_tokens()
    expired = fresh_wire.get("/accounts/v2/accounts", tokens.access)
    assert (
        expired.status_code == 401
        and 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    )
    renewed = fresh_wire.http.post(fresh_wire.token_url, data={"grant_type": "refresh_token",
                                   "refresh_token": tokens.body["refresh_token"]} | fresh_wire.client_auth())  # fmt: skip
    assert (
        fresh_wire.get("/accounts/v2/accounts", renewed.json()["access_token"]).status_code == 200
    )


def test_short_token_lifetimes_are_configurable() -> None:
    with Sandbox(token_lifetime=2, transactions=10) as sandbox:
        wire = Wire(sandbox)
        body: dict[str, Any] = wire.flow().body
        assert body["expires_in"] == 2


def test_userinfo_returns_the_subject_for_an_openid_token(wire: Wire, tokens: Tokens) -> None:
    reply = wire.http.get(
        wire.meta["mtls_endpoint_aliases"]["userinfo_endpoint"], headers=fapi_headers(tokens.access)
    )
    assert reply.json() == {"sub": wire.sb.customer.subject}
    public = requests.get(wire.meta["userinfo_endpoint"], verify=str(wire.sb.ca_bundle), timeout=10)
    assert public.status_code == 401
