"""Accounts v2: `GET /open-banking/accounts/v2/accounts[/{accountId}[/balances|/transactions|
/transactions-current|/overdraft-limits]]`.

Permissions: ACCOUNTS_READ (list, detail), ACCOUNTS_BALANCES_READ, ACCOUNTS_TRANSACTIONS_READ,
ACCOUNTS_OVERDRAFT_LIMITS_READ; scope `accounts`. Transactions are filtered by
`fromBookingDate`/`toBookingDate` (YYYY-MM-DD, both or neither; `/transactions` allows 12 months
back and 12 forward of the data date, `/transactions-current` 7 days back (D-6) and 12 forward)
and `creditDebitIndicator`, and paged with `page`/`page-size` plus a `pagination-key` that
`links.next` carries (a key from another query is 422). Their `meta` holds only
`requestDateTime` and their `links` have no `last`, as the spec says. Sandbox convenience:
without dates, `/transactions` returns the whole window (the spec's default is the current day).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from .._dataset import DAY_MS, TRANSACTION_KINDS, Account, day_start_ms
from .._money import ofb_money
from .._server import Reply, Request, Router
from ._envelope import data_access, envelope, ofb_route, page_params, paged, refused, self_link
from ._provider import Provider

BASE = "/open-banking/accounts/v2/accounts"
SCOPE = "accounts"


def register(mtls: Router, provider: Provider) -> None:
    """Add the accounts endpoints to the mTLS router."""
    api = AccountsAPI(provider)
    for suffix, handler in (("", api.list_accounts), ("/{accountId}", api.detail), ("/{accountId}/balances", api.balances),
                            ("/{accountId}/transactions", api.transactions),
                            ("/{accountId}/transactions-current", api.transactions_current),
                            ("/{accountId}/overdraft-limits", api.overdraft_limits)):  # fmt: skip
        mtls.add("GET", BASE + suffix, ofb_route(handler))


class AccountsAPI:
    """Accounts handlers over the dataset."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.data = provider.context.data

    def list_accounts(self, request: Request) -> Reply:
        """The customer's accounts."""
        data_access(self.provider, request, SCOPE, "ACCOUNTS_READ")
        return paged(self.provider, request, [a.summary() for a in self.data.accounts])

    def detail(self, request: Request) -> Reply:
        """One account's identification."""
        data_access(self.provider, request, SCOPE, "ACCOUNTS_READ")
        account = self._account(request)
        summary = account.summary()
        detail = {
            k: summary[k] for k in ("compeCode", "branchCode", "number", "checkDigit", "type")
        }
        return envelope(
            self.provider, request, detail | {"subtype": account.subtype, "currency": "BRL"}
        )

    def balances(self, request: Request) -> Reply:
        """Available, blocked and automatically invested amounts."""
        data_access(self.provider, request, SCOPE, "ACCOUNTS_BALANCES_READ")
        account = self._account(request)
        return envelope(self.provider, request, {
            "availableAmount": ofb_money(account.available),
            "blockedAmount": ofb_money(account.blocked),
            "automaticallyInvestedAmount": ofb_money(account.invested),
            "updateDateTime": f"{self.data.as_of.isoformat()}T18:00:00Z",
        })  # fmt: skip

    def overdraft_limits(self, request: Request) -> Reply:
        """Contracted and used overdraft."""
        data_access(self.provider, request, SCOPE, "ACCOUNTS_OVERDRAFT_LIMITS_READ")
        account = self._account(request)
        return envelope(self.provider, request, {
            "overdraftContractedLimit": ofb_money(account.overdraft_limit),
            "overdraftUsedLimit": ofb_money(account.overdraft_used),
            "unarrangedOverdraftAmount": ofb_money(0),
        })  # fmt: skip

    def transactions(self, request: Request) -> Reply:
        """Transactions in a window of 12 months back and 12 forward."""
        return self._transactions(request, back_days=365)

    def transactions_current(self, request: Request) -> Reply:
        """Recent transactions: 7 days back (D-6) and 12 months forward."""
        return self._transactions(request, back_days=6)

    def _transactions(self, request: Request, *, back_days: int) -> Reply:
        data_access(self.provider, request, SCOPE, "ACCOUNTS_TRANSACTIONS_READ")
        account = self._account(request)
        start, end = self._window(request, back_days)
        table = self.data.transactions(account.account_id)
        indexes: Sequence[int] = table.window(day_start_ms(start), day_start_ms(end) + DAY_MS)
        indicator = request.arg("creditDebitIndicator")
        if indicator is not None:
            if indicator not in ("CREDITO", "DEBITO"):
                raise refused(
                    422, "PARAMETRO_INVALIDO", "creditDebitIndicator must be CREDITO or DEBITO."
                )
            credit = indicator == "CREDITO"
            indexes = [i for i in indexes if TRANSACTION_KINDS[table.kinds[i]][2] is credit]
        key = self._pagination_key(account, start, end, indicator)
        if request.arg("pagination-key") not in (None, key):
            raise refused(
                422,
                "PARAMETRO_INVALIDO",
                "pagination-key belongs to another query: follow links.next.",
            )
        page, size = page_params(request)
        chunk = indexes[(page - 1) * size : page * size]
        items = [self.data.transaction_json(account.account_id, table, i) for i in chunk]
        return envelope(
            self.provider,
            request,
            items,
            links=self._links(request, page, size, len(indexes), key),
            meta={},
        )

    def _links(
        self, request: Request, page: int, size: int, total: int, key: str
    ) -> dict[str, str]:
        def link(number: int) -> str:
            return self_link(
                self.provider, request, page=number, **{"page-size": size, "pagination-key": key}
            )

        links = {"self": link(page), "first": link(1)}
        if page > 1:
            links["prev"] = link(page - 1)
        if page * size < total:
            links["next"] = link(page + 1)
        return links

    def _window(self, request: Request, back_days: int) -> tuple[dt.date, dt.date]:
        as_of = self.data.as_of
        lowest, highest = as_of - dt.timedelta(days=back_days), as_of + dt.timedelta(days=365)
        raw_from, raw_to = request.arg("fromBookingDate"), request.arg("toBookingDate")
        if raw_from is None and raw_to is None:
            return lowest, highest
        if raw_from is None or raw_to is None:
            raise refused(
                422,
                "PARAMETRO_NAO_INFORMADO",
                "send both fromBookingDate and toBookingDate, or neither.",
            )
        try:
            start, end = dt.date.fromisoformat(raw_from), dt.date.fromisoformat(raw_to)
        except ValueError:
            raise refused(
                422, "PARAMETRO_INVALIDO", "fromBookingDate and toBookingDate are YYYY-MM-DD."
            ) from None
        if start > end or start < lowest or end > highest:
            raise refused(422, "PARAMETRO_INVALIDO",
                          f"booking dates must satisfy {lowest} <= fromBookingDate <= toBookingDate <= {highest}.")  # fmt: skip
        return start, end

    def _pagination_key(
        self, account: Account, start: dt.date, end: dt.date, indicator: str | None
    ) -> str:
        text = f"{self.data.seed}|{account.account_id}|{start}|{end}|{indicator}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _account(self, request: Request) -> Account:
        account = self.data.account(request.params["accountId"])
        if account is None:
            raise refused(
                404,
                "NOT_FOUND",
                f"account {request.params['accountId'][:100]} not found in this consent.",
            )
        return account
