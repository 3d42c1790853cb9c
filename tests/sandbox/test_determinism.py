"""Same seed and size, same JSON: notebooks re-run to the same tables; another seed differs."""

from __future__ import annotations

from typing import Any

from bradesco_explore.sandbox import Sandbox

from ._wire import Wire


def snapshot(sandbox: Sandbox) -> dict[str, Any]:
    """The data answers of every family (request-time fields such as meta and links left out)."""
    wire = Wire(sandbox)
    tokens = wire.flow()
    accounts = wire.get("/accounts/v2/accounts", tokens.access).json()["data"]
    main = accounts[0]["accountId"]
    card = wire.get("/credit-cards-accounts/v2/accounts", tokens.access).json()["data"][0][
        "creditCardAccountId"
    ]
    pix = wire.pix_token()
    portal = wire.portal_token()
    auth = {"Authorization": f"Bearer {pix}"}
    return {
        "accounts": accounts,
        "balances": wire.get(f"/accounts/v2/accounts/{main}/balances", tokens.access).json()["data"],
        "transactions": wire.get(f"/accounts/v2/accounts/{main}/transactions", tokens.access, params={"page": "3", "page-size": "200"}).json()["data"],
        "bills": wire.get(f"/credit-cards-accounts/v2/accounts/{card}/bills", tokens.access).json()["data"],
        "pix": wire.http.get(f"{wire.mtls}/v2/pix", headers=auth, params={"inicio": "2024-10-01T00:00:00Z", "fim": "2024-10-04T00:00:00Z"}).json(),
        "cobs": wire.http.get(f"{wire.mtls}/v2/cob", headers=auth, params={"inicio": "2024-10-01T00:00:00Z", "fim": "2024-10-04T00:00:00Z"}).json(),
        "extrato": wire.http.get(f"{wire.mtls}/v1/fornecimento-extratos-contas/extratos", headers={"Authorization": portal},
                                 params={"agencia": "3861", "conta": "41000", "tipo": "cc", "dataInicio": "01032025", "dataFim": "31032025"}).json(),
    }  # fmt: skip


def test_the_same_seed_gives_identical_json_and_another_seed_does_not() -> None:
    with (
        Sandbox(seed=11, transactions=1200) as first,
        Sandbox(seed=11, transactions=1200) as second,
    ):
        one, two = snapshot(first), snapshot(second)
    assert one == two
    assert len(one["transactions"]) == 200 and len(one["pix"]["pix"]) == 24
    with Sandbox(seed=12, transactions=1200) as other:
        three = snapshot(other)
    assert three["transactions"] != one["transactions"] and three["accounts"] != one["accounts"]
    assert three["extrato"] != one["extrato"]


def test_transactions_scale_to_what_benchmarks_ask_for() -> None:
    with Sandbox(seed=3, transactions=20_000) as sandbox:
        wire = Wire(sandbox)
        tokens = wire.flow()
        main = wire.get("/accounts/v2/accounts", tokens.access).json()["data"][0]["accountId"]
        url: str | None = f"{wire.api}/accounts/v2/accounts/{main}/transactions?page-size=1000"
        count = 0
        while url:
            body = wire.http.get(url, headers={"Authorization": f"Bearer {tokens.access}",
                                               "x-fapi-interaction-id": "9a6f0f4e-1c2d-4e3f-8a9b-0c1d2e3f4a5b"}).json()  # fmt: skip
            count += len(body["data"])
            url = body["links"].get("next")
        assert count == 20_000
