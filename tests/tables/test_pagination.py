"""Paginators against a real loopback HTTPS server: every scheme, errors, resume, caps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from bradesco_explore.errors import (
    ConfigurationError,
    ConnectionFailedError,
    DataError,
    HTTPStatusError,
    PaginationError,
)
from bradesco_explore.sandbox._server import Reply, Request, json_reply
from bradesco_explore.tables import (
    BoletoListPages,
    ExtratoWindows,
    OpenFinancePages,
    PixPages,
    to_frame,
)

from . import _payloads as p
from .conftest import Bank

TRANSACTIONS = "/open-banking/accounts/v2/accounts/acc-001/transactions"
PAGES = 5
PER_PAGE = 20


def serve_transactions(
    bank: Bank, *, failing: dict[int, Reply] | None = None
) -> list[dict[str, Any]]:
    """Five pages of 20 transactions; `links.next` carries page, page-size and pagination-key."""
    records = p.transactions(PAGES * PER_PAGE, seed=7)
    failing = failing if failing is not None else {}

    def handler(request: Request) -> Reply:
        page = int(request.arg("page", "1") or "1")
        if page in failing:
            return failing.pop(page)
        chunk = records[(page - 1) * PER_PAGE : page * PER_PAGE]
        next_url = None
        if page < PAGES:
            next_url = f"{bank.url}{TRANSACTIONS}?page={page + 1}&page-size={PER_PAGE}&pagination-key=k{page + 1}"
        return json_reply(200, p.envelope(chunk, self_url=f"{bank.url}{TRANSACTIONS}?page={page}",
                                          next_url=next_url, total_pages=PAGES))  # fmt: skip

    bank.serve("GET", TRANSACTIONS, handler)
    return records


def amounts(records: list[dict[str, Any]]) -> Decimal:
    return p.exact_sum([r["transactionAmount"]["amount"] for r in records])


def test_open_finance_follows_links_next_to_the_last_page(bank: Bank, fetch: Any) -> None:
    records = serve_transactions(bank)
    pages = OpenFinancePages(
        fetch, TRANSACTIONS, {"fromBookingDate": "2024-01-01"}, page_size=PER_PAGE, progress=False
    )

    frame = pages.to_frame()

    assert pages.complete and not pages.truncated
    assert len(pages.pages) == PAGES
    assert pages.total == PAGES
    assert len(frame) == len(records)
    assert frame["transactionAmount"].sum() == amounts(records)
    first, *rest = bank.seen
    assert first["query"] == {"fromBookingDate": "2024-01-01", "page-size": str(PER_PAGE)}
    assert [s["query"]["pagination-key"] for s in rest] == ["k2", "k3", "k4", "k5"]


def test_a_failed_page_keeps_the_others_and_resume_fetches_only_the_rest(
    bank: Bank, fetch: Any
) -> None:
    error = {
        "errors": [{"code": "ERRO_INTERNO", "title": "Erro interno", "detail": "tente de novo"}],
        "meta": {},
    }
    records = serve_transactions(bank, failing={3: json_reply(500, error)})
    pages = OpenFinancePages(fetch, TRANSACTIONS, page_size=PER_PAGE, progress=False)

    with pytest.raises(PaginationError) as caught:
        pages.to_frame()

    failure = caught.value
    assert failure.page == 3
    assert len(failure.pages) == 2
    assert failure.status == 500
    assert isinstance(failure.cause, HTTPStatusError)
    assert failure.cause.errors[0]["code"] == "ERRO_INTERNO"
    assert "Page 3" in str(failure) and "resume()" in str(failure)
    assert bank.hits[TRANSACTIONS] == 3

    resumed = failure.resume()

    assert resumed is pages and pages.complete
    assert bank.hits[TRANSACTIONS] == 3 + (PAGES - 2)  # the failed page and the ones after it
    frame = pages.to_frame()
    assert bank.hits[TRANSACTIONS] == 3 + (PAGES - 2)  # tabulating again fetches nothing
    assert frame["transactionId"].tolist() == [r["transactionId"] for r in records]


def test_a_dropped_connection_is_a_page_failure_too(bank: Bank, fetch: Any) -> None:
    serve_transactions(bank, failing={2: Reply(drop=True)})
    pages = OpenFinancePages(fetch, TRANSACTIONS, progress=False)

    with pytest.raises(PaginationError) as caught:
        list(pages)

    assert caught.value.page == 2
    assert isinstance(caught.value.cause, ConnectionFailedError)
    assert len(pages.resume().pages) == PAGES


def test_a_page_that_is_not_json_fails_with_a_data_error(bank: Bank, fetch: Any) -> None:
    serve_transactions(
        bank, failing={2: Reply(200, b"<html>gateway</html>", {"Content-Type": "text/html"})}
    )

    with pytest.raises(PaginationError) as caught:
        OpenFinancePages(fetch, TRANSACTIONS, progress=False).resume()

    assert caught.value.page == 2
    assert isinstance(caught.value.cause, DataError)


def test_max_pages_caps_the_pull_and_resume_can_lift_it(bank: Bank, fetch: Any) -> None:
    serve_transactions(bank)
    pages = OpenFinancePages(fetch, TRANSACTIONS, max_pages=2, progress=False)

    assert len(pages.to_frame()) == 2 * PER_PAGE
    assert pages.truncated and not pages.complete

    pages.max_pages = None
    assert len(pages.resume().to_frame()) == PAGES * PER_PAGE
    assert bank.hits[TRANSACTIONS] == PAGES


def test_links_next_to_another_host_is_refused(bank: Bank, fetch: Any) -> None:
    bank.serve("GET", TRANSACTIONS, lambda r: json_reply(
        200, p.envelope(p.transactions(1), next_url="https://attacker.example/steal?page=2")))  # fmt: skip

    with pytest.raises(PaginationError, match="refusing to send the access token") as caught:
        OpenFinancePages(fetch, TRANSACTIONS, progress=False).resume()

    assert caught.value.page == 1
    assert bank.hits[TRANSACTIONS] == 1


def test_links_next_pointing_back_stops_instead_of_looping(bank: Bank, fetch: Any) -> None:
    def same_page(request: Request) -> Reply:
        url = f"{bank.url}{TRANSACTIONS}?page=1"
        return json_reply(200, p.envelope(p.transactions(1), next_url=url))

    bank.serve("GET", TRANSACTIONS, same_page)

    with pytest.raises(PaginationError, match="points back to a page already fetched"):
        OpenFinancePages(fetch, TRANSACTIONS, params={"page": 1}, progress=False).resume()
    assert bank.hits[TRANSACTIONS] == 1  # caught before asking for the same page again


def test_a_listing_without_links_cannot_be_paged(bank: Bank, fetch: Any) -> None:
    bank.serve("GET", TRANSACTIONS, lambda r: json_reply(200, {"data": []}))

    with pytest.raises(PaginationError) as caught:
        OpenFinancePages(fetch, TRANSACTIONS, progress=False).resume()
    assert caught.value.cause.field == "links"  # type: ignore[attr-defined]


def test_iterating_twice_yields_the_same_pages_without_fetching(bank: Bank, fetch: Any) -> None:
    serve_transactions(bank)
    pages = OpenFinancePages(fetch, TRANSACTIONS, progress=False)

    first = list(pages)
    second = list(pages)

    assert [r.interaction_id for r in first] == [r.interaction_id for r in second]
    assert bank.hits[TRANSACTIONS] == PAGES


def test_boleto_list_posts_the_last_page_number_until_no_more(bank: Bank, fetch: Any) -> None:
    path = "/boleto-hibrido/cobranca-lista/v1/listar"
    titles = p.boleto_titles(70)

    def listar(request: Request) -> Reply:
        page = int(request.json()["paginaAnterior"]) + 1
        chunk = titles[(page - 1) * 30 : page * 30]
        return json_reply(200, p.boleto_list_page(chunk, page=page, more=page * 30 < len(titles)))

    bank.serve("POST", path, listar)
    body = {
        "cpfCnpj": {"cpfCnpj": "114383908", "filial": 0, "controle": 7},
        "negociacao": "28560230114",
    }

    frame = BoletoListPages(fetch, path, body, progress=False).to_frame()

    assert len(frame) == 70
    assert frame["valorTitulo"].sum() == Decimal(sum(t["valorTitulo"] for t in titles)) / 100
    assert [s["body"]["paginaAnterior"] for s in bank.seen] == [0, 1, 2]
    assert all(s["body"]["negociacao"] == "28560230114" for s in bank.seen)


def test_boleto_list_that_never_advances_is_stopped(bank: Bank, fetch: Any) -> None:
    path = "/boleto-hibrido/cobranca-lista/v1/listar"
    bank.serve("POST", path, lambda r: json_reply(200, p.boleto_list_page([], page=0, more=True)))

    with pytest.raises(PaginationError, match="does not advance"):
        BoletoListPages(fetch, path, {}, progress=False).resume()


def test_boleto_list_error_envelope_stops_at_that_page(bank: Bank, fetch: Any) -> None:
    path = "/boleto-hibrido/cobranca-lista/v1/listar"
    bank.serve("POST", path, lambda r: json_reply(400, {"codigo": "CPF_CNPJ_OBRIGATORIO", "parametro": "cpfCnpj",
                                                        "mensagem": "CPF/CNPJ NAO INFORMADO"}))  # fmt: skip

    with pytest.raises(PaginationError) as caught:
        BoletoListPages(fetch, path, {}, progress=False).to_frame()

    assert caught.value.status == 400
    assert "CPF/CNPJ NAO INFORMADO" in str(caught.value)


def test_pix_pages_walk_paginacao(bank: Bank, fetch: Any) -> None:
    cobs = p.pix_cobs(25)

    def listing(request: Request) -> Reply:
        page = int(request.arg("paginacao.paginaAtual") or "0")
        size = int(request.arg("paginacao.itensPorPagina") or "100")
        chunk = cobs[page * size : (page + 1) * size]
        pages = -(-len(cobs) // size)
        return json_reply(200, p.pix_list("cobs", chunk, page=page, pages=pages))

    bank.serve("GET", "/v2/cob", listing)
    window = {"inicio": "2024-10-02T00:00:00Z", "fim": "2024-10-03T10:06:00Z"}

    pages = PixPages(fetch, "/v2/cob", window, page_size=10, progress=False)
    frame = pages.to_frame()

    assert pages.total == 3 and len(pages.pages) == 3
    assert frame["txid"].tolist() == [c["txid"] for c in cobs]
    assert [s["query"]["paginacao.paginaAtual"] for s in bank.seen] == ["0", "1", "2"]
    assert all(s["query"]["inicio"] == window["inicio"] for s in bank.seen)


def test_extrato_windows_split_the_period(bank: Bank, fetch: Any) -> None:
    path = "/v1/fornecimento-extratos-contas/extratos"

    def statement(request: Request) -> Reply:
        start = dt.datetime.strptime(request.arg("dataInicio") or "", "%d%m%Y").date()
        end = dt.datetime.strptime(request.arg("dataFim") or "", "%d%m%Y").date()
        if (end - start).days > 29:
            return json_reply(400, {"code": "PERIODO_INVALIDO", "message": "janela longa"})
        entries = [p.extrato_entry(f"{start:%d/%m/%Y}", 1000, 1000, "ENTRADA"),
                   p.extrato_entry(f"{end:%d/%m/%Y}", -250, 750, "SAIDA")]  # fmt: skip
        return json_reply(200, {
            "extratoUltimosLancamentos": [{"listaLancamentos": [{"Ultimos Lancamentos": entries}]}],
            "extratoPorPeriodo": [{"lstLancamentoMensal": entries}],
        })  # fmt: skip

    bank.serve("GET", path, statement)
    params = {"agencia": "3861", "conta": "41000", "tipo": "cc"}

    windows = ExtratoWindows(fetch, path, params, start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 16),
                             days=30, progress=False)  # fmt: skip
    frame = windows.to_frame()

    assert [(s["query"]["dataInicio"], s["query"]["dataFim"]) for s in bank.seen] == [
        ("01012025", "30012025"),
        ("31012025", "01032025"),
        ("02032025", "16032025"),
    ]
    assert frame.attrs["bradesco_explore.kind"] == "extrato.periodo"
    assert len(frame) == 6  # the repeated "Ultimos Lancamentos" block is left out
    assert frame["valorLancamento"].sum() == Decimal("22.50")


def test_to_frame_accepts_a_paginator_directly(bank: Bank, fetch: Any) -> None:
    records = serve_transactions(bank)
    assert len(to_frame(OpenFinancePages(fetch, TRANSACTIONS, progress=False))) == len(records)


def test_an_empty_listing_still_has_its_schema_columns(bank: Bank, fetch: Any) -> None:
    bank.serve("GET", TRANSACTIONS, lambda request: json_reply(
        200, p.envelope([], self_url=f"{bank.url}{TRANSACTIONS}", next_url=None, total_pages=1)
    ))  # fmt: skip
    frame = OpenFinancePages(fetch, TRANSACTIONS, progress=False).to_frame()
    assert len(frame) == 0
    assert frame.attrs["bradesco_explore.kind"] == "openfinance.transactions"
    assert {"transactionId", "transactionAmount", "transactionDateTime"} <= set(frame.columns)


def test_progress_bar_counts_pages_and_can_be_switched_off(
    bank: Bank, fetch: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bradesco_explore.tables._pagination as pagination

    serve_transactions(bank)
    OpenFinancePages(fetch, TRANSACTIONS, progress=False).resume()
    assert capsys.readouterr().err == ""

    monkeypatch.setattr(pagination, "_PROGRESS_DELAY", 0.0)  # show it at once, however quick
    monkeypatch.setattr(pagination, "_PROGRESS_REFRESH", 0.0)  # and redraw on every page
    OpenFinancePages(fetch, TRANSACTIONS, progress=True).resume()
    drawn = capsys.readouterr().err
    assert "OpenFinancePages" in drawn and f"{PAGES}/{PAGES}" in drawn


@pytest.mark.parametrize(
    "make",
    [
        lambda f: OpenFinancePages(f, "/x", page_size=0),
        lambda f: OpenFinancePages(f, "/x", page_size=1001),
        lambda f: OpenFinancePages(f, "/x", max_pages=0),
        lambda f: PixPages(f, "/v2/cob", {}, page_size=0),
        lambda f: ExtratoWindows(f, "/e", {}, start=dt.date(2025, 2, 1), end=dt.date(2025, 1, 1)),
        lambda f: ExtratoWindows(
            f, "/e", {}, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 2), days=0
        ),
    ],
)
def test_bad_arguments_are_configuration_errors(make: Any) -> None:
    with pytest.raises(ConfigurationError):
        make(lambda *a: None)
