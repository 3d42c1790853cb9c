"""`bradesco-explore demo`: the whole journey, headless, against the local sandbox.

The same steps as the walkthrough notebooks - certificate, every grant of every family, the
calls, the tables - printed for a terminal or used as a smoke test. Nothing secret is printed:
tokens show as their redacted repr, CPF/CNPJ are masked in the tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..workspace import Workspace

Step = Callable[["Workspace"], None]
_ROWS = 8


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = subparsers.add_parser(
        "demo", help="run every flow against the local sandbox and print the tables"
    )
    demo.add_argument(
        "--seed", type=int, default=7, help="sandbox data seed (same seed, same tables)"
    )
    demo.add_argument(
        "--transactions", type=int, default=3000, help="Open Finance transactions to generate"
    )
    demo.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..workspace import Workspace

    with Workspace.open("local", seed=args.seed, transactions=args.transactions) as workspace:
        for title, step in STEPS:
            _heading(title)
            step(workspace)
        _heading("Every exchange (redacted)")
        total = sum(len(c.log) for c in workspace._opened)
        print(f"{total} HTTP exchanges over mTLS, each with its own x-fapi-interaction-id.")
    return 0


def _heading(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 72 - len(title)))


def _show(frame: pd.DataFrame, columns: list[str] | None = None) -> None:
    import pandas as pd

    chosen = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    with pd.option_context(
        "display.width", 160, "display.max_columns", 12, "display.max_colwidth", 28
    ):
        print(frame[chosen].head(_ROWS).to_string(index=False))
    print(f"({len(frame)} rows)")


def certificate(ws: Workspace) -> None:
    assert ws.identity is not None
    for key, value in ws.identity.summary().items():
        print(f"  {key:<18} {value}")
    for finding in ws.identity.findings:
        print(f"  [{finding.severity}] {finding.code}: {finding.message}")


def pix_charges(ws: Workspace) -> None:
    from ..apis import pix
    from ..tables import to_frame

    client = ws.client("pix")
    txid = pix.new_txid()
    created = pix.create_charge(client, txid=txid, amount="150.75", key=ws.beneficiary.pix_key,
                                debtor={"cpf": ws.customer.cpf, "nome": ws.customer.name})  # fmt: skip
    print(f"PUT /v2/cob/{{txid}} -> {created.status_code}; token: {client.token(['cob.write'])!r}")
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    charges = to_frame(pix.list_charges(client, start, dt.datetime.now(dt.UTC), page_size=1000))
    _show(charges, ["txid", "status", "valor.original", "devedor.cpf", "calendario.criacao"])


def _boleto(ws: Workspace, amount: str, payer: str) -> dict[str, Any]:
    """A hybrid boleto from the workspace's beneficiary to its customer, due in two weeks."""
    from ..apis import boletos as api

    ben, today = ws.beneficiary, dt.date.today()
    return api.hybrid_boleto(beneficiary_cnpj=ben.cnpj, negotiation=ben.negotiation, amount=amount,
                             due=today + dt.timedelta(days=14), issued=today, payer_name=payer,
                             payer_document=ws.customer.cpf)  # fmt: skip


def boletos(ws: Workspace) -> None:
    from ..apis import boletos as api
    from ..tables import to_frame

    registered = api.register(ws.client("portal"), _boleto(ws, "320.00", "FULANO DE TAL"))
    print(f"gerarBoleto -> {registered.status_code}")
    _show(
        to_frame(registered),
        ["ctitloCobrCdent", "linhaDig10", "valMoeda10", "dataVencto10", "status10"],
    )


def statement(ws: Workspace) -> None:
    from ..apis import saldo_extrato
    from ..tables import to_frame

    client, ben = ws.client("portal"), ws.beneficiary
    _show(to_frame(saldo_extrato.balance(client, branch=ben.branch, account=ben.account)))
    end = dt.date(2025, 6, 30)
    extrato = saldo_extrato.statement(client, branch=ben.branch, account=ben.account,
                                      start=end - dt.timedelta(days=30), end=end)  # fmt: skip
    _show(
        to_frame(extrato),
        [
            "bloco",
            "dataLancamento",
            "descritivoLancamentoCompleto",
            "valorLancamento",
            "valorSaldoAposLancamento",
        ],
    )


def legacy(ws: Workspace) -> None:
    from ..apis import boletos as api

    client = ws.client("legacy")
    response = api.register(client, _boleto(ws, "99.90", "CICLANO"))
    print(f"JWT-bearer token {client.token()!r}")
    print(
        f"POST /v1/boleto-hibrido/registrar-boleto with X-Brad-Signature -> {response.status_code}"
    )


def open_finance(ws: Workspace) -> None:
    from ..apis import openfinance as of
    from ..tables import OpenFinancePages, spending_by_type, to_frame

    client = ws.client("openfinance")
    consent = of.create_consent(client, cpf=ws.customer.cpf).json()["data"]
    print(f"consent {consent['status']}")
    pending = client.authorize(scopes=["openid", "accounts"], consent=consent["consentId"])
    print(f"authorization (PAR + signed request object + PKCE S256): {pending!r}")
    tokens = client.finish(pending, client.follow(pending))
    print(f"ID token validated; user token {tokens!r}")
    accounts = to_frame(of.accounts(client))
    _show(accounts, ["accountId", "type", "compeCode", "branchCode", "number"])
    account_id = accounts["accountId"].iloc[0]
    _show(to_frame(of.balances(client, account_id)))

    path = f"{of.ACCOUNTS}/{account_id}/transactions"
    pages = OpenFinancePages(client, path, page_size=500, progress=False)
    transactions = to_frame(pages)
    _show(
        transactions,
        ["transactionDateTime", "creditDebitType", "type", "transactionAmount", "partieCnpjCpf"],
    )
    print("\nspending by transaction type:")
    _show(spending_by_type(transactions))


STEPS: list[tuple[str, Step]] = [
    ("1. Client certificate (identity)", certificate),
    ("2. Pix: client_credentials (Basic, certificate-bound token), charges", pix_charges),
    ("3. Cobranca: register a hybrid boleto (portal, client_credentials over mTLS)", boletos),
    ("4. Saldo e extrato PJ (pt-BR amounts, dd/MM/yyyy)", statement),
    ("5. Legacy Open APIs: JWT-bearer grant and X-Brad-Signature", legacy),
    ("6. Open Finance: consent, PAR + JAR + PKCE, ID token, accounts, transactions", open_finance),
]
