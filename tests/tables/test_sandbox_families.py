"""Every family tabulated from the sandbox: dtypes, values and exact totals against the raw JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pandas as pd
import pytest

import bradesco_explore as bx
from bradesco_explore.apis import boletos, openfinance, pix, saldo_extrato
from bradesco_explore.workspace import Workspace

UTC = dt.UTC


@pytest.fixture(scope="module")
def ws() -> Iterator[Workspace]:
    with Workspace.open("local", seed=5, transactions=2500) as workspace:
        yield workspace


def is_decimal(series: pd.Series) -> bool:
    return str(series.dtype).startswith("decimal")


def is_aware(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.DatetimeTZDtype)


def pt_br(text: str, sign: str) -> Decimal:
    value = Decimal(text.replace(".", "").replace(",", "."))
    return -value if sign in ("-", "D") else value


def test_pix_charges_and_received(ws: Workspace) -> None:
    client = ws.client("pix")
    start, end = dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2026, 1, 1, tzinfo=UTC)
    raw = pix.list_charges(client, start, end, page_size=1000)
    frame = bx.to_frame(raw)
    cobs = raw.json()["cobs"]
    assert len(frame) == len(cobs) > 0
    assert is_decimal(frame["valor.original"]) and is_aware(frame["calendario.criacao"])
    assert frame["valor.original"].sum() == sum(Decimal(c["valor"]["original"]) for c in cobs)
    assert isinstance(frame["status"].dtype, pd.CategoricalDtype)
    received = pix.list_received(
        client, dt.datetime(2024, 10, 2, tzinfo=UTC), dt.datetime(2024, 10, 3, 10, 6, tzinfo=UTC)
    )
    table = bx.to_frame(received)
    assert table["valor"].sum() == sum(Decimal(p["valor"]) for p in received.json()["pix"])


def test_boleto_registration_and_settled_list(ws: Workspace) -> None:
    assert ws.sandbox is not None
    client, ben = ws.client("portal"), ws.sandbox.beneficiary
    layout = boletos.hybrid_boleto(beneficiary_cnpj=ben.cnpj, negotiation=ben.negotiation, amount="1234.56",
                                   due=dt.date(2030, 1, 31), issued=dt.date(2029, 12, 1), payer_name="FULANO",
                                   payer_document=ws.sandbox.customer.cpf)  # fmt: skip
    registered = bx.to_frame(boletos.register(client, layout))
    assert registered["valMoeda10"].iloc[0] == Decimal("1234.56")  # sent as 123456 cents
    assert registered["dataVencto10"].iloc[0] == pd.Timestamp("2030-01-31", tz="America/Sao_Paulo")
    query = boletos.settled_query(cpf_cnpj="114383908", branch="0", control="7", product=9,
                                  negotiation="28560230114", paid_from=dt.date(2020, 1, 1), paid_to=dt.date(2030, 1, 1))  # fmt: skip
    pages = bx.BoletoListPages(client, boletos.LIST_PATH, query, progress=False)
    frame = bx.to_frame(pages)
    titles = [t for page in pages.pages for t in page.json()["titulos"]]
    assert len(pages.pages) > 1 and len(frame) == len(titles)
    assert frame["valorTitulo"].sum() == Decimal(sum(t["valorTitulo"] for t in titles)) / 100
    assert is_aware(frame["dataPagamento"])


def test_balance_and_statement(ws: Workspace) -> None:
    assert ws.sandbox is not None
    client, ben = ws.client("portal"), ws.sandbox.beneficiary
    raw = saldo_extrato.balance(client, branch=ben.branch, account=ben.account)
    frame = bx.to_frame(raw)
    items = raw.json()["lstLancamentosSaldos"]
    assert frame["valorLancamento"].sum() == sum(
        pt_br(i["valorLancamento"], i["sinalSaldo"]) for i in items
    )
    statement = saldo_extrato.statement(client, branch=ben.branch, account=ben.account,
                                        start=dt.date(2025, 5, 1), end=dt.date(2025, 6, 30))  # fmt: skip
    table = bx.to_frame(statement)
    assert is_decimal(table["valorLancamento"]) and is_aware(table["dataLancamento"])
    assert (table["valorLancamento"] < 0).any() and (table["valorLancamento"] > 0).any()


def test_open_finance_accounts_balances_paged_transactions(ws: Workspace) -> None:
    assert ws.sandbox is not None
    client = ws.client("openfinance")
    consent = openfinance.create_consent(client, cpf=ws.sandbox.customer.cpf,
                                         permissions=[*openfinance.ACCOUNTS_PERMISSIONS,
                                                      *openfinance.CREDIT_CARD_PERMISSIONS]).json()["data"]  # fmt: skip
    pending = client.authorize(scopes=["openid", "accounts", "credit-cards-accounts", "resources"],
                               consent=consent["consentId"])  # fmt: skip
    client.finish(pending, client.follow(pending))

    accounts = bx.to_frame(openfinance.accounts(client))
    assert list(accounts.columns[:3]) and isinstance(accounts["type"].dtype, pd.CategoricalDtype)
    account_id = accounts["accountId"].iloc[0]
    balance_raw = openfinance.balances(client, account_id)
    balance = bx.to_frame(balance_raw)
    assert balance["availableAmount"].iloc[0] == Decimal(
        balance_raw.json()["data"]["availableAmount"]["amount"]
    )
    assert balance["availableAmount.currency"].iloc[0] == "BRL"

    pages = bx.OpenFinancePages(client, f"{openfinance.ACCOUNTS}/{account_id}/transactions", page_size=300,
                                progress=False)  # fmt: skip
    frame = bx.to_frame(pages)
    records = [r for page in pages.pages for r in page.json()["data"]]
    assert len(pages.pages) > 2 and len(frame) == len(records)
    assert frame["transactionAmount"].sum() == sum(
        Decimal(r["transactionAmount"]["amount"]) for r in records
    )
    assert is_aware(frame["transactionDateTime"]) and isinstance(
        frame["creditDebitType"].dtype, pd.CategoricalDtype
    )
    assert frame["partieCnpjCpf"].str.contains(r"\*").all(), "CPF/CNPJ masked by default"
    unmasked = bx.to_frame(pages, mask=False)
    assert unmasked["partieCnpjCpf"].tolist() == [r["partieCnpjCpf"] for r in records]

    cards = bx.to_frame(openfinance.credit_card_accounts(client))
    card_id = cards["creditCardAccountId"].iloc[0]
    card_tx_raw = openfinance.credit_card_transactions(client, card_id, page_size=1000)
    card_tx = bx.to_frame(card_tx_raw)
    assert len(card_tx) == len(card_tx_raw.json()["data"])
    bills = bx.to_frame(openfinance.credit_card_bills(client, card_id))
    assert len(bills) > 0
    resources = bx.to_frame(openfinance.resources(client))
    assert set(resources["type"].astype(str)) >= {"ACCOUNT"}


def test_boleto_query_second_copy(ws: Workspace) -> None:
    assert ws.sandbox is not None
    client, ben = ws.client("portal"), ws.sandbox.beneficiary
    raw = boletos.query(
        client, beneficiary_cnpj=ben.cnpj, product=9, account="38610041000", our_number="970039324"
    )
    frame = bx.to_frame(raw)
    assert len(frame) == 1
    assert frame["valMoeda"].iloc[0] == Decimal(raw.json()["valMoeda"]) / 100
    assert is_aware(frame["dataVencto"]) and frame["linhaDig"].iloc[0] == raw.json()["linhaDig"]
