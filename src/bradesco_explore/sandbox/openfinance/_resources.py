"""Resources v3: `GET /open-banking/resources/v3/resources` (RESOURCES_READ, scope `resources`).

Lists what the consent shares: each account (ACCOUNT, with ACCOUNTS_READ) and the card
(CREDIT_CARD_ACCOUNT, with CREDIT_CARDS_ACCOUNTS_READ), all AVAILABLE. Paged.
"""

from __future__ import annotations

from .._server import Reply, Request, Router
from ._envelope import data_access, ofb_route, paged
from ._provider import Provider

PATH = "/open-banking/resources/v3/resources"


def register(mtls: Router, provider: Provider) -> None:
    """Add the resources endpoint to the mTLS router."""

    def resources(request: Request) -> Reply:
        """The resources the consent shares."""
        consent = data_access(provider, request, "resources", "RESOURCES_READ")
        data = provider.context.data
        items = []
        if "ACCOUNTS_READ" in consent.permissions:
            items += [
                {"resourceId": a.account_id, "type": "ACCOUNT", "status": "AVAILABLE"}
                for a in data.accounts
            ]
        if "CREDIT_CARDS_ACCOUNTS_READ" in consent.permissions:
            items.append(
                {
                    "resourceId": data.card_account_id,
                    "type": "CREDIT_CARD_ACCOUNT",
                    "status": "AVAILABLE",
                }
            )
        return paged(provider, request, items)

    mtls.add("GET", PATH, ofb_route(resources))
