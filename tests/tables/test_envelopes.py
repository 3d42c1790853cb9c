"""Finding the records: envelopes, kinds, responses, and clear errors when there are none."""

from __future__ import annotations

from typing import Any

import pytest

from bradesco_explore.errors import ConfigurationError, DataError, HTTPStatusError
from bradesco_explore.sandbox._server import Reply, json_reply
from bradesco_explore.tables import to_frame
from bradesco_explore.transport import Session

from . import _payloads as p
from .conftest import Bank

KIND = "bradesco_explore.kind"


def test_a_response_is_tabulated_from_its_json_body(bank: Bank, session: Session) -> None:
    records = p.transactions(4)
    bank.serve("GET", "/tx", lambda r: json_reply(200, p.envelope(records)))

    frame = to_frame(session.get(f"{bank.url}/tx"))

    assert frame["transactionId"].tolist() == [r["transactionId"] for r in records]


def test_an_error_response_raises_the_servers_refusal(bank: Bank, session: Session) -> None:
    body = {
        "errors": [{"code": "FORBIDDEN", "title": "Sem consentimento", "detail": "x"}],
        "meta": {},
    }
    bank.serve("GET", "/tx", lambda r: json_reply(403, body))

    with pytest.raises(HTTPStatusError) as caught:
        to_frame(session.get(f"{bank.url}/tx"))
    assert caught.value.status == 403


def test_a_response_that_is_not_json_is_a_data_error(bank: Bank, session: Session) -> None:
    bank.serve("GET", "/tx", lambda r: Reply(200, b"<html/>", {"Content-Type": "text/html"}))
    with pytest.raises(DataError):
        to_frame(session.get(f"{bank.url}/tx"))


def test_a_list_of_responses_is_a_list_of_pages(bank: Bank, session: Session) -> None:
    bank.serve("GET", "/a", lambda r: json_reply(200, p.envelope(p.transactions(2))))
    bank.serve("GET", "/b", lambda r: json_reply(200, p.envelope(p.transactions(3, start=2))))

    frame = to_frame([session.get(f"{bank.url}/a"), session.get(f"{bank.url}/b")])

    assert len(frame) == 5


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (p.envelope(p.transactions(1)), "openfinance.transactions"),
        (p.envelope(p.balance()), "openfinance.balances"),
        (p.envelope(p.consent()), "openfinance.consents"),
        (p.envelope([{"foo": 1}]), "openfinance"),
        (p.pix_list("cobs", p.pix_cobs(1)), "pix.cob"),
        (p.pix_list("cobsv", []), "pix.cobv"),
        (p.pix_list("pix", p.pix_received(1)), "pix.pix"),
        (p.pix_list("loc", [{"id": 1, "location": "x", "tipoCob": "cob", "criacao": "2024-01-01T00:00:00Z"}]), "pix.loc"),
        ({"webhooks": [{"webhookUrl": "https://x", "chave": "a@b.c", "criacao": "2024-01-01T00:00:00Z"}]}, "pix.webhook"),
        (p.pix_cobv(), "pix.cobv"),
        (p.boleto_registration(), "boleto.registro"),
        ({"codigoRetorno": 0, "linhaDigitavel": "237...", "vlTitulo": 100}, "boleto.registro_v1"),
        (p.boleto_query(), "boleto.consulta"),
        ({"STATUS": 0, "TITULO": {"STATUS": "Aberto", "VALMOEDA": 100}}, "boleto.consulta_v1"),
        (p.boleto_list_page(p.boleto_titles(1), page=1, more=False), "boleto.listar"),
        ({"pagina": 1, "indMaisPagina": "N", "titulos": [{"valTitulo": 100, "dataVencto": "01.02.2026",
          "pagador": {"nome": "FULANO", "cnpjCpf": 12345678, "filial": 0, "controle": 9}}]}, "boleto.pendentes"),
        (p.saldo(), "saldo"),
        (p.extrato(), "extrato"),
    ],
)  # fmt: skip
def test_each_envelope_is_recognised(body: dict[str, Any], kind: str) -> None:
    assert to_frame(body).attrs[KIND] == kind


def test_pending_titles_mask_the_payer_root() -> None:
    body = {"pagina": 1, "indMaisPagina": "N", "titulos": [{"valTitulo": 100, "dataVencto": "01.02.2026",
            "pagador": {"nome": "FULANO", "cnpjCpf": 12345678, "filial": 0, "controle": 9}}]}  # fmt: skip
    frame = to_frame(body)
    assert frame["pagador.cnpjCpf"][0] == "********"
    assert frame["pagador.controle"][0] == "9"


def test_kind_overrides_detection_and_reads_bare_objects() -> None:
    titulo = p.boleto_query()["titulo"]
    frame = to_frame(titulo, kind="boleto.consulta")
    assert frame.attrs[KIND] == "boleto.consulta"
    assert frame["codStatus"][0] == 13


def test_kind_with_the_wrong_envelope_says_what_it_expected() -> None:
    with pytest.raises(DataError, match="Open Finance envelope") as caught:
        to_frame(p.saldo(), kind="openfinance.transactions")
    assert "lstLancamentosSaldos" in str(caught.value)


def test_an_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"openfinance\.transactions"):
        to_frame([], kind="transactions")


def test_an_unrecognised_body_names_its_keys_and_the_envelopes_expected() -> None:
    with pytest.raises(DataError) as caught:
        to_frame({"foo": [1], "bar": 2})
    message = str(caught.value)
    assert "'bar', 'foo'" in message
    assert "Open Finance envelope" in message and "kind=" in message


@pytest.mark.parametrize(
    "body",
    [
        {"errors": [{"code": "X", "title": "t", "detail": "d"}], "meta": {}},
        {"type": "https://pix.bcb.gov.br/api/v2/error/CobVOperacaoInvalida", "title": "Cobrança inválida",
         "status": 400, "detail": "x", "violacoes": []},
        {"code": "400", "message": "bad", "details": []},
        {"error": "invalid_token", "error_description": "expired"},
    ],
)  # fmt: skip
def test_an_error_envelope_is_called_one(body: dict[str, Any]) -> None:
    with pytest.raises(DataError, match="looks like an error response"):
        to_frame(body)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"data": "oops", "links": {}}, "data"),
        ({"data": [1, 2], "links": {}}, "data[0]"),
        ({"cobs": [{"txid": "a", "calendario": {}}, "x"]}, "cobs[1]"),
        ({"lstLancamentosSaldos": {"a": 1}}, "lstLancamentosSaldos"),
        ({"extratoPorPeriodo": [{"lstLancamentoMensal": [None]}]}, "lstLancamentoMensal[0]"),
    ],
)
def test_malformed_envelopes_say_where(body: dict[str, Any], where: str) -> None:
    with pytest.raises(DataError, match=r"expected") as caught:
        to_frame(body)
    assert where in str(caught.value)


@pytest.mark.parametrize("obj", [42, "text", b"bytes", None, 1.5])
def test_things_that_are_not_responses_are_refused(obj: Any) -> None:
    with pytest.raises(DataError):
        to_frame(obj)


def test_pages_of_different_families_are_refused() -> None:
    with pytest.raises(DataError, match="different kinds"):
        to_frame([p.envelope(p.transactions(1)), p.saldo()])


def test_first_non_empty_page_decides_the_kind() -> None:
    frame = to_frame([p.envelope([]), p.envelope(p.transactions(2))])
    assert frame.attrs[KIND] == "openfinance.transactions"
