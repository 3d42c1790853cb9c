"""Portal APIs (Gen2): client_credentials over mTLS, the canned boleto hibrido scenarios of
Bradesco's sandbox collection, listar pagination, saldo and extrato in pt-BR."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from bradesco_explore.sandbox import Sandbox
from bradesco_explore.sandbox._boletos import digitable_line, due_factor

from ._wire import Wire, identity_files

HYBRID = "/boleto-hibrido"


def gerar_body(**changes: Any) -> dict[str, Any]:
    """The body of Bradesco's sandbox collection (success scenario), with changes."""
    return {
        "ctitloCobrCdent": 0, "registrarTitulo": 1, "nroCpfCnpjBenef": 68542653, "codUsuario": "APISERVIC",
        "filCpfCnpjBenef": "1018", "tipoAcesso": 2, "digCpfCnpjBenef": 38, "cidtfdProdCobr": 9,
        "cnegocCobr": 111111111111111111, "codigoBanco": 237, "demisTitloCobr": "17.12.2024",
        "ctitloCliCdent": "TESTEBIA", "dvctoTitloCobr": "20.02.2025", "vnmnalTitloCobr": 6000,
        "cespceTitloCobr": 2, "fase": "1", "cindcdCobrMisto": "S", "isacdoTitloCobr": "TESTE EMPRESA PGIT",
        "elogdrSacdoTitlo": "TESTE", "ccepSacdoTitlo": 6332, "ccomplCepSacdo": 130, "indCpfCnpjSacdo": 1,
        "nroCpfCnpjSacdo": 38453450803,
    } | changes  # fmt: skip


@pytest.fixture(scope="module")
def token(wire: Wire) -> str:
    return wire.portal_token()


def post(
    wire: Wire, path: str, token: str, body: dict[str, Any], *, bearer: bool = True, **headers: str
) -> requests.Response:
    auth = f"Bearer {token}" if bearer else token
    return wire.http.post(
        f"{wire.mtls}{path}", json=body, headers={"Authorization": auth} | headers
    )


def test_token_with_credentials_in_the_body_or_basic(wire: Wire) -> None:
    url = f"{wire.mtls}/auth/server-mtls/v2/token"
    body = wire.http.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": wire.client_id,
            "client_secret": wire.secret,
        },
    )
    basic = wire.http.post(
        url, data={"grant_type": "client_credentials"}, auth=(wire.client_id, wire.secret)
    )
    for reply in (body, basic):
        assert reply.status_code == 200
        assert reply.json()["token_type"] == "Bearer" and reply.json()["expires_in"] == 300


def test_a_wrong_grant_type_is_unsupported(wire: Wire) -> None:
    reply = wire.http.post(
        f"{wire.mtls}/auth/server-mtls/v2/token",
        data={"grant_type": "password"},
        auth=(wire.client_id, wire.secret),
    )
    assert reply.status_code == 400 and reply.json()["error"] == "unsupported_grant_type"


def test_gerar_boleto_success_returns_the_flat_10_fields_with_200(wire: Wire, token: str) -> None:
    reply = post(wire, f"{HYBRID}/cobranca-registro/v1/gerarBoleto", token, gerar_body())
    assert reply.status_code == 200
    title = reply.json()
    assert title["valMoeda10"] == 6000 and title["dataVencto10"] == "20.02.2025"
    assert len(title["codBarras10"]) == 44 and title["codBarras10"].startswith("2379")
    assert title["linhaDig10"] == digitable_line(title["codBarras10"])
    assert title["codBarras10"][5:9] == f"{due_factor(dt.date(2025, 2, 20)):04d}"
    assert title["wqrcdPdraoMercd"].startswith("000201") and title["iconcPgtoSpi"]


def test_the_raw_token_without_bearer_is_accepted_as_in_bradescos_collection(
    wire: Wire, token: str
) -> None:
    reply = post(
        wire, f"{HYBRID}/cobranca-registro/v1/gerarBoleto", token, gerar_body(), bearer=False
    )
    assert reply.status_code == 200


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"cnegocCobr": 111111111111111113, "ctitloCobrCdent": 999999999}, "TITULO_JA_CADASTRADO"),
        ({"cnegocCobr": 111111111111111118}, "TAMANHO_CAMPO_INVALIDO"),
        (
            {"cnegocCobr": 111111111111111114, "nroCpfCnpjBenef": 68542659},
            "NEGOCIACAO_NAO_AUTORIZADA",
        ),
        ({"cnegocCobr": 111111111111111115}, "DADOS_INCONSISTENTES"),
        ({"cnegocCobr": 111111111111111116}, "VENCIMENTO_ANTERIOR_EMISSAO"),
        ({"dvctoTitloCobr": "01.01.2024"}, "VENCIMENTO_ANTERIOR_EMISSAO"),
        ({"isacdoTitloCobr": "X" * 41}, "TAMANHO_CAMPO_INVALIDO"),
        ({"demisTitloCobr": "2024-12-17"}, "DATA_INVALIDA"),
    ],
)
def test_gerar_boleto_canned_and_validation_scenarios(
    wire: Wire, token: str, changes: dict[str, Any], code: str
) -> None:
    reply = post(wire, f"{HYBRID}/cobranca-registro/v1/gerarBoleto", token, gerar_body(**changes))
    assert reply.status_code == 400
    body = reply.json()
    assert body["code"] == code and body["message"] and isinstance(body["details"], list)


def test_gerar_boleto_lists_every_missing_layout_field(wire: Wire, token: str) -> None:
    body = gerar_body()
    del body["fase"], body["ccomplCepSacdo"]
    reply = post(wire, f"{HYBRID}/cobranca-registro/v1/gerarBoleto", token, body)
    assert reply.status_code == 400
    assert {d["name"] for d in reply.json()["details"]} == {"fase", "ccomplCepSacdo"}


def consultar(**changes: Any) -> dict[str, Any]:
    return {"cpfCnpjUsuario": 68542653, "filialCnpjUsuario": 1018, "controleCpfCnpjUsuario": 38, "idProduto": 9,
            "contaProduto": 38610041000, "nossoNumero": 970039324, "seqTitulo": 0, "status": 0} | changes  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({}, 200, None),
        ({"contaProduto": 38610041050}, 400, "ERRO_NEGOCIACAO"),
        ({"cpfCnpjUsuario": 685426}, 400, "CPF_CNPJ_INVALIDO"),
        ({"nossoNumero": 38610041050}, 404, "TITULO_NAO_ENCONTRADO"),
    ],
)
def test_consultar_scenarios(
    wire: Wire, token: str, changes: dict[str, Any], status: int, code: str | None
) -> None:
    reply = post(
        wire, f"{HYBRID}/cobranca-consulta-titulo/v1/consultar", token, consultar(**changes)
    )
    assert reply.status_code == status
    if code:
        assert reply.json()["code"] == code
    else:
        assert reply.json()["status"] == "A VENCER" and reply.json()["nossoNumero"] == 970039324


def test_a_registered_boleto_can_be_queried_altered_and_written_off(wire: Wire, token: str) -> None:
    created = post(wire, f"{HYBRID}/cobranca-registro/v1/gerarBoleto", token, gerar_body()).json()
    number = created["ctitloCobrCdent"]
    found = post(
        wire,
        f"{HYBRID}/cobranca-consulta-titulo/v1/consultar",
        token,
        consultar(nossoNumero=number),
    )
    assert found.json()["linhaDig"] == created["linhaDig10"]
    altered = post(wire, f"{HYBRID}/cobranca-alteracao/v1/alteraBoletoConsulta", token,
                   {"nossoNumero": number, "dadosTitulo": {"dataVencimento": 12092026}}, txId=created["iconcPgtoSpi"])  # fmt: skip
    assert altered.status_code == 200 and altered.json()["dataVencto10"] == "12.09.2026"
    wrong_txid = post(wire, f"{HYBRID}/cobranca-alteracao/v1/alteraBoletoConsulta", token,
                      {"nossoNumero": number, "dadosTitulo": {}}, txId="OTHER")  # fmt: skip
    assert wrong_txid.status_code == 400
    baixa = {"cpfCnpj": {"cpfCnpj": 68542653, "filial": 1018, "controle": 38}, "produto": 9,
             "negociacao": 386100000000041000, "nossoNumero": number, "sequencia": 0, "codigoBaixa": 57}  # fmt: skip
    assert post(wire, "/boleto/cobranca-baixa/v1/baixar", token, baixa).status_code == 200
    assert (
        post(wire, "/boleto/cobranca-baixa/v1/baixar", token, baixa).json()["code"]
        == "TITULO_JA_BAIXADO"
    )


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"codigoBaixa": 10}, 400, "CODIGO_BAIXA_INVALIDO"),
        ({"cpfCnpj": {"cpfCnpj": 134567, "filial": 0, "controle": 0}}, 400, "CPF_CNPJ_INVALIDO"),
        ({"nossoNumero": 100}, 404, "TITULO_NAO_ENCONTRADO"),
    ],
)
def test_baixar_canned_refusals(
    wire: Wire, token: str, changes: dict[str, Any], status: int, code: str
) -> None:
    body = {"cpfCnpj": {"cpfCnpj": 68542653, "filial": 1018, "controle": 38}, "produto": 9,
            "negociacao": 28560222654, "nossoNumero": 50150001462, "sequencia": 0, "codigoBaixa": 57} | changes  # fmt: skip
    reply = post(wire, "/boleto/cobranca-baixa/v1/baixar", token, body)
    assert reply.status_code == status and reply.json()["code"] == code


def test_baixar_canned_success(fresh_wire: Wire) -> None:
    body = {"cpfCnpj": {"cpfCnpj": 68542653, "filial": 1018, "controle": 38}, "produto": 9,
            "negociacao": 28560222654, "nossoNumero": 50150001462, "sequencia": 0, "codigoBaixa": 57}  # fmt: skip
    reply = post(fresh_wire, "/boleto/cobranca-baixa/v1/baixar", fresh_wire.portal_token(), body)
    assert reply.status_code == 200 and reply.json()["mensagem"] == "BAIXA EFETUADA"


def test_listar_pages_with_pagina_anterior_until_ind_mais_pagina_is_n(
    wire: Wire, token: str
) -> None:
    body = {"cpfCnpj": {"cpfCnpj": 114383908, "filial": 0, "controle": 7}, "produto": 9, "negociacao": 28560230114,
            "dataPagamentoDe": 0, "dataPagamentoAte": 0, "paginaAnterior": 0}  # fmt: skip
    seen, pages = [], 0
    while True:
        page = post(wire, f"{HYBRID}/cobranca-lista/v1/listar", token, body).json()
        pages += 1
        seen += [t["nossoNumero"] for t in page["titulos"]]
        if page["indMaisPagina"] != "S":
            break
        body["paginaAnterior"] = page["pagina"]
    assert pages == 4 and len(seen) == len(set(seen)) == 95


def test_listar_with_an_empty_cpf_cnpj_uses_the_list_envelope(wire: Wire, token: str) -> None:
    reply = post(
        wire,
        f"{HYBRID}/cobranca-lista/v1/listar",
        token,
        {"cpfCnpj": {"cpfCnpj": ""}, "paginaAnterior": 0},
    )
    assert reply.status_code == 400
    assert set(reply.json()) == {"codigo", "parametro", "mensagem"}


@pytest.mark.parametrize(
    ("owner", "status"),
    [((1234567, 1, 99), 200), ((1234510, 1, 10), 400), ((1234511, 1, 11), 404)],
)
def test_webhook_canned_scenarios(
    wire: Wire, token: str, owner: tuple[int, int, int], status: int
) -> None:
    body = {"documento": dict(zip(("cpfCnpj", "filial", "controle"), owner, strict=True)), "versaoLayout": "1",
            "tipoCadastro": "C", "utilizaWebhook": "S", "urlEnvio": "https://example.com/hook", "tipoAviso": "1"}  # fmt: skip
    for path in ("/boleto/cobranca-webhook/v1/cadastrar", "/boleto/cobranca-webhook/v1/executar"):
        assert post(wire, path, token, body).status_code == status


@pytest.mark.parametrize(("body", "status"), [
    ({"codUsuario": "APISERVIC", "cnpjCpfBnf": 68542653}, 200),
    ({"codUsuario": "OPENAPI"}, 500),
    ({"codUsuario": "APISERVIC", "cnpjCpfBnf": 68542}, 400),
])  # fmt: skip
def test_reservar_loc_canned_scenarios(
    wire: Wire, token: str, body: dict[str, Any], status: int
) -> None:
    reply = post(wire, f"{HYBRID}/cobranca-reserva-location/v1/reservarLoc", token, body)
    assert reply.status_code == status
    if status == 200:
        assert reply.json()["location"]


def test_saldo_uses_pt_br_amount_strings(wire: Wire, token: str) -> None:
    reply = wire.http.get(f"{wire.mtls}/v1/fornecimento-saldos-contas/saldos", params={"agencia": "3861", "conta": "41000"},
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert reply.status_code == 200
    body = reply.json()
    assert body["mensagem"].startswith("CTAS0673")
    for line in body["lstLancamentosSaldos"]:
        assert (
            re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2}", line["valorLancamento"])
            and line["sinalSaldo"] in "+-"
        )


def test_extrato_has_no_pagination_and_refuses_long_windows(wire: Wire, token: str) -> None:
    def extrato(start: str, end: str) -> requests.Response:
        return wire.http.get(f"{wire.mtls}/v1/fornecimento-extratos-contas/extratos", headers={"Authorization": f"Bearer {token}"},
                             params={"agencia": "3861", "conta": "41000", "tipo": "cc", "dataInicio": start, "dataFim": end})  # fmt: skip

    month = extrato("01052025", "31052025")
    assert month.status_code == 200
    entries = month.json()["extratoPorPeriodo"][0]["lstLancamentoMensal"]
    assert entries and all(re.fullmatch(r"\d{2}/05/2025", e["dataLancamento"]) for e in entries)
    assert all(re.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2}", e["valorLancamento"]) for e in entries)
    too_long = extrato("01012025", "31052025")
    assert too_long.status_code == 400 and too_long.json()["code"] == "PERIODO_INVALIDO"


def statement(wire: Wire, token: str, start: str, end: str) -> dict[str, Any]:
    reply = wire.http.get(f"{wire.mtls}/v1/fornecimento-extratos-contas/extratos", headers={"Authorization": f"Bearer {token}"},
                          params={"agencia": "3861", "conta": "41000", "tipo": "cc", "dataInicio": start, "dataFim": end})  # fmt: skip
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def cents(amount: str, sign: str) -> int:
    value = int(amount.replace(".", "").replace(",", ""))
    return -value if sign == "-" else value


def test_the_last_entries_block_has_saldo_anterior_ultimos_and_lancamentos_dia(
    wire: Wire, token: str
) -> None:
    body = statement(wire, token, "01062025", "30062025")  # 30/06/2025 is the data's last day
    (group,) = body["extratoUltimosLancamentos"][0]["listaLancamentos"]
    assert list(group) == ["Saldo Anterior", "Ultimos Lancamentos", "Lancamentos Dia"]
    (previous,) = group["Saldo Anterior"]
    assert previous["descritivoLancamentoCompleto"] == "SALDO ANTERIOR"
    assert previous["valorLancamento"] == "0,00"
    latest, today = group["Ultimos Lancamentos"], group["Lancamentos Dia"]
    assert today and all(e["dataLancamento"] == "30/06/2025" for e in today)
    assert len(latest) == 5 and all(e["dataLancamento"] != "30/06/2025" for e in latest)
    assert previous["dataLancamento"] == latest[0]["dataLancamento"]
    balance = cents(previous["valorSaldoAposLancamento"], previous["sinalSaldoAposLancamento"])
    for entry in latest + today:  # the block reads as a statement: balance, then each entry
        balance += cents(entry["valorLancamento"], entry["sinalLancamento"])
        assert balance == cents(
            entry["valorSaldoAposLancamento"], entry["sinalSaldoAposLancamento"]
        )
    period = body["extratoPorPeriodo"][0]["lstLancamentoMensal"]
    assert period[-len(latest + today) :] == latest + today


def test_lancamentos_dia_is_empty_when_the_last_day_has_no_entries(wire: Wire, token: str) -> None:
    (group,) = statement(wire, token, "01052025", "31052025")["extratoUltimosLancamentos"][0][
        "listaLancamentos"
    ]  # 31/05/2025 is a Saturday
    assert group["Lancamentos Dia"] == [] and len(group["Ultimos Lancamentos"]) == 5
    (empty,) = statement(wire, token, "31052025", "01062025")["extratoUltimosLancamentos"][0][
        "listaLancamentos"
    ]  # a weekend: no entry at all, the balance still shows
    assert empty["Ultimos Lancamentos"] == [] and empty["Lancamentos Dia"] == []
    assert empty["Saldo Anterior"][0]["dataLancamento"] == "31/05/2025"


def test_another_account_is_not_found(wire: Wire, token: str) -> None:
    reply = wire.http.get(f"{wire.mtls}/v1/fornecimento-saldos-contas/saldos", params={"agencia": "1", "conta": "2"},
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert reply.status_code == 404 and reply.json()["code"] == "CONTA_NAO_ENCONTRADA"


def test_calls_without_a_token_are_401(wire: Wire) -> None:
    reply = wire.http.post(
        f"{wire.mtls}{HYBRID}/cobranca-registro/v1/gerarBoleto", json=gerar_body()
    )
    assert reply.status_code == 401 and "WWW-Authenticate" in reply.headers


def saldo(wire: Wire, token: str) -> requests.Response:
    return wire.http.get(f"{wire.mtls}/v1/fornecimento-saldos-contas/saldos", headers={"Authorization": f"Bearer {token}"},
                         params={"agencia": "3861", "conta": "41000"})  # fmt: skip


def test_a_bound_portal_token_is_refused_with_another_registered_certificate(
    sandbox: Sandbox, fresh_wire: Wire, tmp_path: Path
) -> None:
    token = fresh_wire.portal_token()
    assert saldo(fresh_wire, token).status_code == 200
    second = sandbox.ca.issue_client("second portal")
    sandbox.register_identity(second)
    other = fresh_wire.with_cert(identity_files(second, tmp_path))
    reply = saldo(other, token)
    assert reply.status_code == 401 and 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert set(reply.json()) == {"code", "message", "details"}
    assert "x5t#S256" in reply.json()["message"]
    assert (
        post(other, f"{HYBRID}/cobranca-registro/v1/gerarBoleto", token, gerar_body()).status_code
        == 401
    )


def test_an_expired_portal_token_is_401_and_a_new_one_works(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    token = fresh_wire.portal_token()
    assert saldo(fresh_wire, token).status_code == 200
    assert sandbox.expire_tokens() >= 1
    reply = saldo(fresh_wire, token)
    assert reply.status_code == 401 and "expired" in reply.json()["message"]
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert (
        post(
            fresh_wire,
            f"{HYBRID}/cobranca-registro/v1/gerarBoleto",
            token,
            gerar_body(),
            bearer=False,
        ).status_code
        == 401
    )
    assert saldo(fresh_wire, fresh_wire.portal_token()).status_code == 200
