"""Open Finance Brasil data APIs: consents v3, accounts v2, credit-card accounts v2, resources v3.

The journey: `create_consent` (client-credentials token, scope `consents`) -> the customer
authorises it (`client.authorize(scopes=[...], consent=consent_id)` then `client.finish`) ->
data calls with the user's token (scopes `openid consent:{id} accounts ...`). Every function
returns the `Response`; list endpoints return one page (`links.next` says where the next is).

Paths are relative to the family's base URL and start with `/open-banking/`, as the OFB
specifications write them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import ConfigurationError
from ._family import as_date, as_instant, require_family

if TYPE_CHECKING:
    from ..auth import Client, Token
    from ..transport import Response

__all__ = [
    "ACCOUNTS_PERMISSIONS",
    "CREDIT_CARD_PERMISSIONS",
    "GrantedAccess",
    "account",
    "accounts",
    "balances",
    "consent_scopes",
    "create_consent",
    "credit_card_accounts",
    "credit_card_bills",
    "credit_card_transactions",
    "delete_consent",
    "get_consent",
    "grant_access",
    "overdraft_limits",
    "resources",
    "transactions",
]

CONSENTS = "/open-banking/consents/v3/consents"
ACCOUNTS = "/open-banking/accounts/v2/accounts"
CREDIT_CARDS = "/open-banking/credit-cards-accounts/v2/accounts"
RESOURCES = "/open-banking/resources/v3/resources"

ACCOUNTS_PERMISSIONS = (
    "ACCOUNTS_READ",
    "ACCOUNTS_BALANCES_READ",
    "ACCOUNTS_TRANSACTIONS_READ",
    "ACCOUNTS_OVERDRAFT_LIMITS_READ",
    "RESOURCES_READ",
)
CREDIT_CARD_PERMISSIONS = (
    "CREDIT_CARDS_ACCOUNTS_READ",
    "CREDIT_CARDS_ACCOUNTS_BILLS_READ",
    "CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ",
    "CREDIT_CARDS_ACCOUNTS_LIMITS_READ",
    "CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ",
    "RESOURCES_READ",
)
_CPF = re.compile(r"^\d{11}$")


def _consent_token(client: Client) -> Token:
    return client.token(scopes=["consents"], grant="client_credentials")


def create_consent(
    client: Client,
    *,
    cpf: str,
    permissions: Iterable[str] = ACCOUNTS_PERMISSIONS,
    cnpj: str | None = None,
    expires: dt.datetime | str | None = None,
) -> Response:
    """`POST /consents`: ask the customer (by CPF) for `permissions`; status AWAITING_AUTHORISATION.

    Each data group must travel with RESOURCES_READ (added if missing). `expires=None` asks for
    an indefinite consent. The consent id is `response.json()["data"]["consentId"]`.
    """
    require_family(client, "openfinance", "fapi")
    digits = re.sub(r"\D", "", cpf)
    if not _CPF.match(digits):
        raise ConfigurationError(f"cpf must have 11 digits (got {len(digits)}).")
    wanted = list(dict.fromkeys([*permissions, "RESOURCES_READ"]))
    data: dict[str, Any] = {
        "loggedUser": {"document": {"identification": digits, "rel": "CPF"}},
        "permissions": wanted,
    }
    if cnpj:
        data["businessEntity"] = {
            "document": {"identification": re.sub(r"\D", "", cnpj), "rel": "CNPJ"}
        }
    if expires is not None:
        moment = as_instant(expires, "expires").astimezone(dt.UTC)
        data["expirationDateTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return client.post(CONSENTS, json={"data": data}, token=_consent_token(client))


def get_consent(client: Client, consent_id: str) -> Response:
    """`GET /consents/{consentId}`: status, permissions, expiry (client-credentials token)."""
    require_family(client, "openfinance", "fapi")
    return client.get(f"{CONSENTS}/{consent_id}", token=_consent_token(client))


def delete_consent(client: Client, consent_id: str) -> Response:
    """`DELETE /consents/{consentId}`: revoke; the server answers 204."""
    require_family(client, "openfinance", "fapi")
    return client.delete(f"{CONSENTS}/{consent_id}", token=_consent_token(client))


class GrantedAccess(NamedTuple):
    """What `grant_access` returns: the authorised consent's id and the user's token."""

    consent_id: str
    token: Token


def grant_access(
    client: Client,
    *,
    cpf: str,
    permissions: Iterable[str] = ACCOUNTS_PERMISSIONS,
    families: Iterable[str] = ("accounts",),
) -> GrantedAccess:
    """Create a consent, authorise it and redeem the code, in one call - where the server consents by itself.

    The same steps as `create_consent`, `client.authorize(...)`, opening `pending.url`,
    `client.finish(pending, redirect_url)`; the redirect is followed by `client.follow`, which
    works with a server that redirects straight back (the local sandbox's auto-consent, test
    servers). With a real bank, a person approves the consent in a browser: do the steps one
    by one and paste the redirect URL into `client.finish`.
    """
    created = create_consent(client, cpf=cpf, permissions=permissions)
    consent_id = str(created.json()["data"]["consentId"])
    pending = client.authorize(scopes=["openid", *families], consent=consent_id)
    token = client.finish(pending, client.follow(pending))
    return GrantedAccess(consent_id, token)


def consent_scopes(consent_id: str, *families: str) -> list[str]:
    """The scopes an authorization for this consent asks for, e.g. `openid consent:urn:... accounts`."""
    return ["openid", f"consent:{consent_id}", *(families or ("accounts",))]


def _page(
    page: int | None, page_size: int | None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if page is not None:
        params["page"] = page
    if page_size is not None:
        if not 1 <= page_size <= 1000:
            raise ConfigurationError("page_size must be between 1 and 1000.")
        params["page-size"] = page_size
    return params | {k: v for k, v in (extra or {}).items() if v is not None}


def _data_call(
    client: Client, path: str, token: Token | None, params: Mapping[str, Any] | None = None
) -> Response:
    require_family(client, "openfinance", "fapi")
    return client.get(path, params=params, token=token)


def accounts(
    client: Client,
    *,
    token: Token | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> Response:
    """`GET /accounts`: the customer's accounts (user token, permission ACCOUNTS_READ)."""
    return _data_call(client, ACCOUNTS, token, _page(page, page_size))


def account(client: Client, account_id: str, *, token: Token | None = None) -> Response:
    """`GET /accounts/{accountId}`: one account's details."""
    return _data_call(client, f"{ACCOUNTS}/{account_id}", token)


def balances(client: Client, account_id: str, *, token: Token | None = None) -> Response:
    """`GET /accounts/{accountId}/balances`: available, blocked and invested amounts."""
    return _data_call(client, f"{ACCOUNTS}/{account_id}/balances", token)


def overdraft_limits(client: Client, account_id: str, *, token: Token | None = None) -> Response:
    """`GET /accounts/{accountId}/overdraft-limits`."""
    return _data_call(client, f"{ACCOUNTS}/{account_id}/overdraft-limits", token)


def _dates(start: dt.date | str | None, end: dt.date | str | None) -> dict[str, str]:
    start = as_date(start, "start") if start is not None else None
    end = as_date(end, "end") if end is not None else None
    if start and end and end < start:
        raise ConfigurationError(f"end ({end}) is before start ({start}).")
    return {
        k: d.isoformat()
        for k, d in (("fromBookingDate", start), ("toBookingDate", end))
        if d is not None
    }


def transactions(
    client: Client,
    account_id: str,
    *,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    token: Token | None = None,
    page: int | None = None,
    page_size: int | None = None,
    current: bool = False,
) -> Response:
    """`GET /accounts/{accountId}/transactions` for booking dates [start, end] (up to 12 months back).

    `current=True` asks `/transactions-current` instead: the last 7 days (D-6) and the future.
    One page; follow `links.next` (it carries the `pagination-key`) or let
    `bx.OpenFinancePages` fetch them all.
    """
    endpoint = "transactions-current" if current else "transactions"
    return _dated_page(
        client, f"{ACCOUNTS}/{account_id}/{endpoint}", start, end, token, page, page_size
    )


def _dated_page(
    client: Client,
    path: str,
    start: dt.date | str | None,
    end: dt.date | str | None,
    token: Token | None,
    page: int | None,
    page_size: int | None,
) -> Response:
    return _data_call(client, path, token, _page(page, page_size, _dates(start, end)))


def credit_card_accounts(
    client: Client,
    *,
    token: Token | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> Response:
    """`GET /credit-cards-accounts/v2/accounts`."""
    return _data_call(client, CREDIT_CARDS, token, _page(page, page_size))


def credit_card_bills(
    client: Client,
    card_account_id: str,
    *,
    token: Token | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> Response:
    """`GET /credit-cards-accounts/v2/accounts/{id}/bills`."""
    return _data_call(
        client, f"{CREDIT_CARDS}/{card_account_id}/bills", token, _page(page, page_size)
    )


def credit_card_transactions(
    client: Client,
    card_account_id: str,
    *,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    token: Token | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> Response:
    """`GET /credit-cards-accounts/v2/accounts/{id}/transactions` for [start, end]."""
    return _dated_page(
        client, f"{CREDIT_CARDS}/{card_account_id}/transactions", start, end, token, page, page_size
    )


def resources(
    client: Client,
    *,
    token: Token | None = None,
    page: int | None = None,
    page_size: int | None = None,
) -> Response:
    """`GET /resources/v3/resources`: what the consent covers and each resource's status."""
    return _data_call(client, RESOURCES, token, _page(page, page_size))
