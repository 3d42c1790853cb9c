"""Cobranca and Saldo/Extrato helpers against the sandbox, tabulated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import bradesco_explore as bx
from bradesco_explore.apis import boletos, saldo_extrato
from bradesco_explore.auth import Client
from bradesco_explore.errors import ConfigurationError, HTTPStatusError
from bradesco_explore.sandbox import Sandbox


def layout(sb: Sandbox, **overrides: object) -> dict[str, object]:
    ben = sb.beneficiary
    today = dt.date.today()
    args: dict[str, object] = {
        "beneficiary_cnpj": ben.cnpj, "negotiation": ben.negotiation, "amount": "150.75",
        "due": today + dt.timedelta(days=20), "issued": today, "payer_name": "FULANO DE TAL",
        "payer_document": sb.customer.cpf, "payer_street": "RUA A 10", "payer_cep": "06029-900",
    }  # fmt: skip
    return boletos.hybrid_boleto(**(args | overrides))  # type: ignore[arg-type]


def test_register_query_alter_cancel(portal_client: Client, sb: Sandbox) -> None:
    body = layout(sb)
    assert body["vnmnalTitloCobr"] == 15075 and body["demisTitloCobr"].count(".") == 2  # type: ignore[union-attr]
    registered = boletos.register(portal_client, body)
    assert registered.status_code == 200
    title = registered.json()
    number = title["ctitloCobrCdent"]
    assert title["linhaDig10"] and title["wqrcdPdraoMercd"].startswith("000201")
    frame = bx.to_frame(registered)
    assert frame["valMoeda10"].iloc[0] == Decimal("150.75")

    ben = sb.beneficiary
    account = f"{ben.branch}00{ben.account}"[-11:].rjust(11, "0")
    queried = boletos.query(
        portal_client, beneficiary_cnpj=ben.cnpj, product=9, account=account, our_number=number
    )
    assert queried.json()["nossoNumero"] == int(number)
    new_due = dt.date.today() + dt.timedelta(days=40)
    altered = boletos.alter(portal_client, number, due=new_due)
    assert altered.json()["dataVencto10"] == new_due.strftime("%d.%m.%Y")
    root, branch, check = ben.cnpj[:8], ben.cnpj[8:12], ben.cnpj[12:]
    cancelled = boletos.cancel(
        portal_client,
        cpf_cnpj=root,
        branch=branch,
        control=check,
        product=9,
        negotiation=ben.negotiation,
        our_number=number,
    )
    assert cancelled.json()["mensagem"] == "BAIXA EFETUADA"


def test_canned_scenario_due_before_issue_is_reported(portal_client: Client, sb: Sandbox) -> None:
    body = layout(sb, negotiation="111111111111111116")
    with pytest.raises(HTTPStatusError) as info:
        boletos.register(portal_client, body)
    assert info.value.status == 400
    assert "VENCIMENTO" in str(info.value)


def test_due_before_issue_is_refused_locally(sb: Sandbox) -> None:
    with pytest.raises(ConfigurationError, match="before the issue date"):
        layout(sb, due=dt.date.today() - dt.timedelta(days=1))


def test_legacy_client_registers_the_same_layout_signed(legacy_client: Client, sb: Sandbox) -> None:
    response = boletos.register(legacy_client, layout(sb))
    assert response.ok
    sent = [e for e in legacy_client.log if "registrar-boleto" in e.url]
    assert sent and sent[-1].status == 200


def test_list_settled_pages(portal_client: Client) -> None:
    query = boletos.settled_query(
        cpf_cnpj="114383908",
        branch="0",
        control="7",
        product=9,
        negotiation="28560230114",
        paid_from=dt.date(2020, 1, 1),
        paid_to=dt.date.today(),
    )
    first = boletos.list_settled(portal_client, query)
    pages = bx.BoletoListPages(portal_client, boletos.LIST_PATH, query, progress=False)
    frame = bx.to_frame(pages)
    assert len(frame) >= len(first.json()["titulos"])
    assert (
        frame["valorTitulo"].sum()
        == sum(Decimal(t["valorTitulo"]) for p in pages.pages for t in p.json()["titulos"]) / 100
    )


def test_balance_and_statement(portal_client: Client, sb: Sandbox) -> None:
    ben = sb.beneficiary
    balance = bx.to_frame(
        saldo_extrato.balance(portal_client, branch=ben.branch, account=ben.account)
    )
    assert balance["valorLancamento"].dtype.name.startswith("decimal")
    end = dt.date.today()
    statement = saldo_extrato.statement(
        portal_client,
        branch=ben.branch,
        account=ben.account,
        start=end - dt.timedelta(days=30),
        end=end,
    )
    assert statement.ok
    with pytest.raises(ConfigurationError, match="90 days"):
        saldo_extrato.statement(
            portal_client,
            branch=ben.branch,
            account=ben.account,
            start=end - dt.timedelta(days=200),
            end=end,
        )


def test_statement_and_boleto_dates_take_iso_text_or_say_what_is_wrong(
    portal_client: Client, sb: Sandbox
) -> None:
    ben = sb.beneficiary
    start, end = dt.date(2025, 6, 1), dt.date(2025, 6, 30)
    kwargs = {"branch": ben.branch, "account": ben.account}
    as_objects = saldo_extrato.statement(portal_client, start=start, end=end, **kwargs)
    as_text = saldo_extrato.statement(portal_client, start="2025-06-01", end="2025-06-30", **kwargs)
    assert as_text.json() == as_objects.json()
    with pytest.raises(ConfigurationError, match=r"end must be a date: .* not '30/06/2025'"):
        saldo_extrato.statement(portal_client, start="2025-06-01", end="30/06/2025", **kwargs)
    with pytest.raises(ConfigurationError, match="due must be a date"):
        boletos.alter(portal_client, 123, due=20250630)  # type: ignore[arg-type]
