"""Pix helpers against the sandbox: the documented requests, tabulated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

import bradesco_explore as bx
from bradesco_explore.apis import pix
from bradesco_explore.auth import Client
from bradesco_explore.errors import ConfigurationError, HTTPStatusError
from bradesco_explore.sandbox import Sandbox

UTC = dt.UTC


def test_charge_lifecycle(pix_client: Client, sb: Sandbox) -> None:
    txid = pix.new_txid()
    created = pix.create_charge(
        pix_client,
        txid=txid,
        amount="150.75",
        key=sb.beneficiary.pix_key,
        debtor={"cpf": sb.customer.cpf, "nome": sb.customer.name},
        message="Pedido 77",
    )
    assert created.status_code in (200, 201)
    body = created.json()
    assert (
        body["txid"] == txid and body["valor"]["original"] == "150.75" and body["status"] == "ATIVA"
    )
    assert pix.get_charge(pix_client, txid).json()["txid"] == txid
    removed = pix.update_charge(pix_client, txid, {"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"})
    assert removed.json()["status"] == "REMOVIDA_PELO_USUARIO_RECEBEDOR"
    frame = bx.to_frame(pix.get_charge(pix_client, txid))
    assert frame["valor.original"].iloc[0] == Decimal("150.75")
    assert frame["devedor.cpf"].iloc[0].startswith("***.")  # masked by default


def test_post_charge_answers_200_like_bradesco(pix_client: Client, sb: Sandbox) -> None:
    response = pix.create_charge(pix_client, amount="10.00", key=sb.beneficiary.pix_key)
    assert response.status_code == 200
    assert len(response.json()["txid"]) >= 26


def test_list_charges_page_and_all_pages(pix_client: Client, sb: Sandbox) -> None:
    start, end = dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime.now(UTC) + dt.timedelta(days=1)
    first = pix.list_charges(pix_client, start, end, page_size=5)
    page = first.json()
    assert page["parametros"]["paginacao"]["itensPorPagina"] == 5
    assert len(page["cobs"]) <= 5
    total = page["parametros"]["paginacao"]["quantidadeTotalDeItens"]
    frame = bx.to_frame(pix.list_charges(pix_client, start, end, page_size=1000))
    assert len(frame) == total


def test_due_charge_and_emv(pix_client: Client, sb: Sandbox) -> None:
    txid = pix.new_txid()
    due = dt.date.today() + dt.timedelta(days=10)
    created = pix.create_due_charge(
        pix_client,
        txid,
        amount=Decimal("99.90"),
        key=sb.beneficiary.pix_key,
        due_date=due,
        debtor={"cpf": sb.customer.cpf, "nome": sb.customer.name},
    )
    assert created.status_code == 200  # Bradesco answers 200, not 201
    assert (
        pix.get_due_charge(pix_client, txid).json()["calendario"]["dataDeVencimento"]
        == due.isoformat()
    )
    emv = pix.create_charge(
        pix_client, amount="5.00", key=sb.beneficiary.pix_key, with_emv=True
    ).json()
    assert emv["emv"].startswith("000201")


def test_location_received_pix_and_refund(pix_client: Client) -> None:
    assert pix.create_location(pix_client).json()["tipoCob"] == "cob"
    start, end = dt.datetime(2024, 10, 2, tzinfo=UTC), dt.datetime(2024, 10, 3, 10, 6, tzinfo=UTC)
    received = pix.list_received(pix_client, start, end).json()["pix"]
    assert received, "the sandbox has canned receipts in this window, like Bradesco's"
    e2e = received[0]["endToEndId"]
    assert pix.get_received(pix_client, e2e).json()["endToEndId"] == e2e
    refund = pix.refund(pix_client, e2e, "D" + pix.new_txid()[:20], amount="0.01")
    assert refund.status_code == 200 and refund.json()["valor"] == "0.01"


def test_webhook_set_get_delete(pix_client: Client, sb: Sandbox) -> None:
    key = sb.beneficiary.pix_key
    assert pix.set_webhook(pix_client, key, "https://hooks.example.com.br/pix").ok
    assert (
        pix.get_webhook(pix_client, key).json()["webhookUrl"] == "https://hooks.example.com.br/pix"
    )
    assert any(w["chave"] == key for w in pix.list_webhooks(pix_client).json()["webhooks"])
    assert pix.delete_webhook(pix_client, key).status_code in (200, 204)
    with pytest.raises(HTTPStatusError) as info:
        pix.get_webhook(pix_client, key)
    assert info.value.status == 404


@pytest.mark.parametrize(
    ("amount", "message"), [(1.5, "float"), ("abc", "not an amount"), ("0", "positive")]
)
def test_bad_amounts_fail_before_any_request(
    pix_client: Client, amount: object, message: str
) -> None:
    before = len(pix_client.log)
    with pytest.raises(ConfigurationError, match=message):
        pix.create_charge(pix_client, amount=amount, key="k")  # type: ignore[arg-type]
    assert len(pix_client.log) == before


def test_wrong_family_is_named(portal_client: Client) -> None:
    with pytest.raises(ConfigurationError, match="'pix' family"):
        pix.get_charge(portal_client, pix.new_txid())


def test_all_received_pix_through_the_paginator_with_its_scope(pix_client: Client) -> None:
    params = {"inicio": "2024-10-02T00:00:00Z", "fim": "2024-10-03T10:06:00Z"}
    pages = bx.PixPages(
        pix_client, "/v2/pix", params, page_size=3, scopes=["pix.read"], progress=False
    )
    frame = bx.to_frame(pages)
    assert len(pages.pages) > 1
    assert len(frame) == pages.pages[0].json()["parametros"]["paginacao"]["quantidadeTotalDeItens"]


def test_windows_take_iso_text_as_a_notebook_user_types_it(pix_client: Client) -> None:
    as_objects = pix.list_charges(
        pix_client, dt.datetime(2024, 10, 1, tzinfo=UTC), dt.datetime(2024, 10, 4, tzinfo=UTC)
    ).json()
    as_text = pix.list_charges(pix_client, "2024-10-01T00:00:00Z", "2024-10-04T00:00:00Z").json()
    assert as_text["cobs"] == as_objects["cobs"] and as_text["cobs"]


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2024-13-01T00:00:00Z", "start must be a date and time"),
        (20241001, "start must be a date and time"),
        ("2024-10-01T00:00:00", "has no timezone"),
        (dt.datetime(2024, 10, 1), "has no timezone"),  # naive: the mistake under test
    ],
)
def test_a_window_start_that_is_not_an_instant_is_named(
    pix_client: Client, start: object, message: str
) -> None:
    before = len(pix_client.log)
    with pytest.raises(ConfigurationError, match=message):
        pix.list_charges(pix_client, start, "2024-10-04T00:00:00Z")  # type: ignore[arg-type]
    assert len(pix_client.log) == before  # refused before anything was sent
