"""Credit-card accounts v2: `GET /open-banking/credit-cards-accounts/v2/accounts[/{creditCardAccountId}
[/limits|/bills|/bills/{billId}/transactions|/transactions|/transactions-current]]`.

Permissions: CREDIT_CARDS_ACCOUNTS_READ (list, detail), _LIMITS_READ, _BILLS_READ,
_BILLS_TRANSACTIONS_READ, _TRANSACTIONS_READ; scope `credit-cards-accounts`. The customer has
one card with twelve monthly bills of 20-30 purchases each. Lists page with `page`/`page-size`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .._dataset import day_start_ms
from .._documents import BRADESCO_CNPJ
from .._money import ofb_money
from .._server import Reply, Request, Router
from ._envelope import data_access, envelope, ofb_route, paged, refused
from ._provider import Provider

BASE = "/open-banking/credit-cards-accounts/v2/accounts"
SCOPE = "credit-cards-accounts"
PREFIX = "CREDIT_CARDS_ACCOUNTS_"


def register(mtls: Router, provider: Provider) -> None:
    """Add the credit-card endpoints to the mTLS router."""
    api = CreditCardsAPI(provider)
    card = "/{creditCardAccountId}"
    for suffix, handler in (("", api.list_accounts), (card, api.detail), (f"{card}/limits", api.limits),
                            (f"{card}/bills", api.bills), (f"{card}/bills/{{billId}}/transactions", api.bill_transactions),
                            (f"{card}/transactions", api.transactions),
                            (f"{card}/transactions-current", api.transactions_current)):  # fmt: skip
        mtls.add("GET", BASE + suffix, ofb_route(handler))


class CreditCardsAPI:
    """Credit-card handlers over the dataset."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.data = provider.context.data

    def list_accounts(self, request: Request) -> Reply:
        """The customer's card accounts."""
        data_access(self.provider, request, SCOPE, PREFIX + "READ")
        return paged(self.provider, request, [self._summary()])

    def detail(self, request: Request) -> Reply:
        """One card account."""
        data_access(self.provider, request, SCOPE, PREFIX + "READ")
        self._card(request)
        summary = self._summary()
        detail = {k: summary[k] for k in ("name", "productType", "creditCardNetwork")}
        return envelope(
            self.provider,
            request,
            detail
            | {"paymentMethod": [{"identificationNumber": "4321", "isMultipleCreditCard": False}]},
        )

    def limits(self, request: Request) -> Reply:
        """The card's total limit, used and available."""
        data_access(self.provider, request, SCOPE, PREFIX + "LIMITS_READ")
        self._card(request)
        used = sum(t[1] for t in self.data.card_transactions_for(0))
        limit = 1_500_000
        return envelope(self.provider, request, [{
            "creditLineLimitType": "LIMITE_CREDITO_TOTAL", "consolidationType": "CONSOLIDADO",
            "identificationNumber": "4321", "lineName": "CREDITO_A_VISTA", "isLimitFlexible": False,
            "limitAmount": ofb_money(limit), "usedAmount": ofb_money(used), "availableAmount": ofb_money(limit - used),
        }])  # fmt: skip

    def bills(self, request: Request) -> Reply:
        """Monthly bills, newest first."""
        data_access(self.provider, request, SCOPE, PREFIX + "BILLS_READ")
        self._card(request)
        return paged(self.provider, request, self.data.bills)

    def bill_transactions(self, request: Request) -> Reply:
        """The purchases on one bill."""
        data_access(self.provider, request, SCOPE, PREFIX + "BILLS_TRANSACTIONS_READ")
        self._card(request)
        index = next(
            (i for i, b in enumerate(self.data.bills) if b["billId"] == request.params["billId"]),
            None,
        )
        if index is None:
            raise refused(404, "NOT_FOUND", f"bill {request.params['billId'][:100]} not found.")
        return paged(self.provider, request, self._transactions_of([index]))

    def transactions(self, request: Request) -> Reply:
        """Every purchase of the last twelve bills, newest bill first."""
        data_access(self.provider, request, SCOPE, PREFIX + "TRANSACTIONS_READ")
        self._card(request)
        return paged(self.provider, request, self._transactions_of(range(len(self.data.bills))))

    def transactions_current(self, request: Request) -> Reply:
        """Purchases of the last 7 days (D-6) before the data date."""
        data_access(self.provider, request, SCOPE, PREFIX + "TRANSACTIONS_READ")
        self._card(request)
        since = day_start_ms(self.data.as_of - dt.timedelta(days=6))
        recent = [
            t
            for t in self._transactions_of(range(2))
            if _epoch_ms(t["transactionDateTime"]) >= since
        ]
        return paged(self.provider, request, recent)

    def _transactions_of(self, bill_indexes: Any) -> list[dict[str, Any]]:
        return [self.data.card_transaction_json(b, i)
                for b in bill_indexes for i in range(len(self.data.card_transactions_for(b)))]  # fmt: skip

    def _summary(self) -> dict[str, Any]:
        return {"creditCardAccountId": self.data.card_account_id, "brandName": "BRADESCO", "companyCnpj": BRADESCO_CNPJ,
                "name": "Bradesco Visa Platinum", "productType": "PLATINUM", "creditCardNetwork": "VISA"}  # fmt: skip

    def _card(self, request: Request) -> None:
        if request.params["creditCardAccountId"] != self.data.card_account_id:
            raise refused(
                404,
                "NOT_FOUND",
                f"credit card account {request.params['creditCardAccountId'][:100]} not found.",
            )


def _epoch_ms(stamp: str) -> int:
    return int(dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
