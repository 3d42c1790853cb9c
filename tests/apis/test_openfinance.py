"""Open Finance helpers against the sandbox: consent lifecycle, the one-call grant, data calls."""

from __future__ import annotations

import datetime as dt

import pytest

from bradesco_explore.apis import openfinance as of
from bradesco_explore.auth import Client
from bradesco_explore.errors import ConfigurationError, HTTPStatusError
from bradesco_explore.sandbox import Sandbox


def test_consent_create_get_delete(of_client: Client, sb: Sandbox) -> None:
    created = of.create_consent(of_client, cpf=sb.customer.cpf, permissions=["ACCOUNTS_READ"],
                                expires=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))  # fmt: skip
    assert created.status_code == 201
    data = created.json()["data"]
    assert data["status"] == "AWAITING_AUTHORISATION"
    assert set(data["permissions"]) == {"ACCOUNTS_READ", "RESOURCES_READ"}, (
        "RESOURCES_READ travels with every group"
    )
    assert (
        of.get_consent(of_client, data["consentId"]).json()["data"]["consentId"]
        == data["consentId"]
    )
    assert of.delete_consent(of_client, data["consentId"]).status_code == 204
    assert of.get_consent(of_client, data["consentId"]).json()["data"]["status"] == "REJECTED"


def test_grant_access_then_data_calls(of_client: Client, sb: Sandbox) -> None:
    access = of.grant_access(of_client, cpf=sb.customer.cpf)
    assert access.consent_id.startswith("urn:")
    assert f"consent:{access.consent_id}" in access.token.scope
    assert of.get_consent(of_client, access.consent_id).json()["data"]["status"] == "AUTHORISED"
    accounts = of.accounts(of_client, token=access.token).json()["data"]
    account_id = accounts[0]["accountId"]
    assert "subtype" in of.account(of_client, account_id).json()["data"]
    assert "availableAmount" in of.balances(of_client, account_id).json()["data"]
    page = of.transactions(
        of_client, account_id, start=dt.date(2025, 1, 1), end=dt.date(2025, 6, 30), page_size=50
    )
    assert len(page.json()["data"]) == 50 and "next" in page.json()["links"]
    current = of.transactions(of_client, account_id, current=True)
    assert current.ok
    assert of.overdraft_limits(of_client, account_id).ok


def test_data_without_the_permission_is_refused(of_client: Client, sb: Sandbox) -> None:
    access = of.grant_access(of_client, cpf=sb.customer.cpf, permissions=["ACCOUNTS_READ"])
    accounts = of.accounts(of_client, token=access.token).json()["data"]
    with pytest.raises(HTTPStatusError) as info:
        of.balances(of_client, accounts[0]["accountId"], token=access.token)
    assert info.value.status == 403


@pytest.mark.parametrize(("kwargs", "message"), [({"cpf": "123"}, "11 digits"),
                                                 ({"cpf": "39053344705", "expires": dt.datetime(2030, 1, 1)}, "timezone")])  # fmt: skip
def test_bad_consent_arguments_fail_before_any_request(
    of_client: Client, kwargs: dict[str, object], message: str
) -> None:
    before = len(of_client.log)
    with pytest.raises(ConfigurationError, match=message):
        of.create_consent(of_client, **kwargs)  # type: ignore[arg-type]
    assert len(of_client.log) == before
