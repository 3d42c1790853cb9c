"""Realistic response bodies of every family, built from the reference's field lists.

Deterministic (seeded), so a failing test shows the same data on every run. Amounts are
generated as integer cents and written the way each API writes them, so tests can compare
the parsed table against an exact `Decimal` sum of the raw strings.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

CPF = "12345678909"
CNPJ = "50685362000673"
TRANSACTION_TYPES = ("PIX", "TED", "BOLETO", "CARTAO", "SAQUE", "OUTROS")


def ofb_amount(cents: int, decimals: int = 4) -> str:
    """`"1000.0400"`: an Open Finance amount string."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}" + "0" * (decimals - 2)


def pt_br(cents: int) -> str:
    """`"1.580,12"`: a pt-BR amount, no sign."""
    whole, frac = divmod(abs(cents), 100)
    return f"{whole:,}".replace(",", ".") + f",{frac:02d}"


def envelope(data: Any, *, self_url: str = "https://bank.example/x", next_url: str | None = None,
             total_pages: int | None = None) -> dict[str, Any]:  # fmt: skip
    """An Open Finance `{data, links, meta}` body."""
    links = {"self": self_url}
    if next_url:
        links["next"] = next_url
    meta: dict[str, Any] = {"requestDateTime": "2024-05-21T08:30:00Z"}
    if total_pages is not None:
        meta.update(totalPages=total_pages, totalRecords=len(data) * total_pages)
    return {"data": data, "links": links, "meta": meta}


def transactions(count: int, *, seed: int = 1, start: int = 0) -> list[dict[str, Any]]:
    """Open Finance account transactions (accounts API 2.4)."""
    rng = random.Random(seed)
    records = []
    for i in range(start, start + count):
        when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
            minutes=rng.randint(0, 60 * 24 * 90)
        )
        millis = rng.randint(0, 999)
        record = {
            "transactionId": f"TXN{i:08d}",
            "completedAuthorisedPaymentType": rng.choice(
                ["TRANSACAO_EFETIVADA", "LANCAMENTO_FUTURO"]
            ),
            "creditDebitType": rng.choice(["CREDITO", "DEBITO"]),
            "transactionName": rng.choice(["PIX RECEBIDO", "TED ENVIADA", "PAGTO BOLETO"]),
            "type": rng.choice(TRANSACTION_TYPES),
            "transactionAmount": {
                "amount": ofb_amount(rng.randint(1, 5_000_000), rng.choice([2, 4])),
                "currency": "BRL",
            },
            "transactionDateTime": when.strftime("%Y-%m-%dT%H:%M:%S") + f".{millis:03d}Z",
            "partieCnpjCpf": rng.choice([CPF, CNPJ]),
            "partiePersonType": rng.choice(["PESSOA_NATURAL", "PESSOA_JURIDICA"]),
            "partieCompeCode": "237",
            "partieBranchCode": f"{rng.randint(1, 9999):04d}",
            "partieNumber": f"{rng.randint(10**7, 10**10)}",
            "partieCheckDigit": str(rng.randint(0, 9)),
        }
        records.append(record)  # fmt: skip
    return records


def accounts() -> list[dict[str, Any]]:
    """Open Finance accounts list items."""
    return [
        {"brandName": "Bradesco", "companyCnpj": "60746948000112", "type": "CONTA_DEPOSITO_A_VISTA",
         "compeCode": "237", "branchCode": "3861", "number": "0041000", "checkDigit": "7",
         "accountId": "acc-001"},
        {"brandName": "Bradesco", "companyCnpj": "60746948000112", "type": "CONTA_POUPANCA",
         "compeCode": "237", "branchCode": "3861", "number": "1041000", "checkDigit": "2",
         "accountId": "acc-002"},
    ]  # fmt: skip


def balance() -> dict[str, Any]:
    """Open Finance balances object (`data` is one object)."""
    return {
        "availableAmount": {"amount": "-1500.2500", "currency": "BRL"},
        "blockedAmount": {"amount": "30.00", "currency": "BRL"},
        "automaticallyInvestedAmount": {"amount": "12000.0001", "currency": "BRL"},
        "updateDateTime": "2024-05-20T23:59:59-03:00",
    }


def consent() -> dict[str, Any]:
    """Open Finance consent (v3) response data."""
    return {
        "consentId": "urn:bancoex:C1DD33123",
        "creationDateTime": "2024-05-21T08:30:00Z",
        "status": "REJECTED",
        "statusUpdateDateTime": "2024-05-21T09:30:00Z",
        "permissions": ["ACCOUNTS_READ", "ACCOUNTS_TRANSACTIONS_READ", "RESOURCES_READ"],
        "expirationDateTime": "2025-05-21T08:30:00Z",
        "rejection": {"rejectedBy": "USER", "reason": {"code": "CUSTOMER_MANUALLY_REJECTED"}},
    }


def credit_card_accounts() -> list[dict[str, Any]]:
    """Open Finance credit card accounts."""
    return [
        {"creditCardAccountId": "cc-1", "brandName": "Bradesco", "companyCnpj": "60746948000112",
         "name": "Elo Grafite", "productType": "PLATINUM", "creditCardNetwork": "ELO"},
        {"creditCardAccountId": "cc-2", "brandName": "Bradesco", "companyCnpj": "60746948000112",
         "name": "Visa Gold", "productType": "GOLD", "creditCardNetwork": "VISA"},
    ]  # fmt: skip


def resources() -> list[dict[str, Any]]:
    """Open Finance resources."""
    return [
        {"resourceId": "acc-001", "type": "ACCOUNT", "status": "AVAILABLE"},
        {"resourceId": "cc-1", "type": "CREDIT_CARD_ACCOUNT", "status": "PENDING_AUTHORISATION"},
    ]


def pix_cobs(count: int, *, seed: int = 2) -> list[dict[str, Any]]:
    """Pix immediate charges (`GET /v2/cob` items)."""
    rng = random.Random(seed)
    cobs = []
    for i in range(count):
        cents = rng.randint(1, 10**7)
        cobs.append({
            "calendario": {"criacao": f"2024-10-02T{10 + i % 10:02d}:00:00.000Z", "expiracao": 3600},
            "txid": f"TXID{i:030d}",
            "revisao": 0,
            "loc": {"id": 100 + i, "location": f"qrpix.bradesco.com.br/qr/v2/{i}", "tipoCob": "cob",
                    "criacao": "2024-10-02T10:00:00Z"},
            "location": f"qrpix.bradesco.com.br/qr/v2/{i}",
            "status": rng.choice(["ATIVA", "CONCLUIDA", "REMOVIDA_PELO_PSP"]),
            "devedor": {"cpf": CPF, "nome": "Fulano de Tal"} if i % 2 else {"cnpj": CNPJ, "nome": "Empresa SA"},
            "valor": {"original": f"{cents // 100}.{cents % 100:02d}"},
            "chave": rng.choice([CNPJ, "pix@empresa.example", "+5511987654321"]),
            "solicitacaoPagador": "Servico realizado.",
        })  # fmt: skip
    return cobs


def pix_cobv() -> dict[str, Any]:
    """Bradesco's `PUT /v2/cobv-emv/{txid}` answer: `{cobv, emv, base64}`."""
    return {
        "cobv": {
            "calendario": {"criacao": "2023-05-10T12:00:00.000Z", "dataDeVencimento": "2023-05-31",
                           "validadeAposVencimento": 30},
            "txid": "COBV0000000000000000000000001",
            "revisao": 1,
            "devedor": {"cnpj": CNPJ, "nome": "Empresa Devedora SA"},
            "recebedor": {"cnpj": "68542653101838", "nome": "EMPRESA PGIT NET EMPRESA",
                          "logradouro": "Cidade de Deus", "cidade": "Osasco", "uf": "SP", "cep": "06029900"},
            "loc": {"id": 7, "location": "qrpix-h.bradesco.com.br/qr/v2/cobv/abc", "tipoCob": "cobv",
                    "criacao": "2023-05-10T12:00:00.000Z"},
            "status": "ATIVA",
            "valor": {"original": "123.45"},
            "chave": "68542653101838",
            "solicitacaoPagador": "Mensalidade",
        },
        "emv": "00020101021226830014br.gov.bcb.pix2561qrpix-h.bradesco.com.br6304CB17",
        "base64": "aW1hZ2U=",
    }  # fmt: skip


def pix_received(count: int) -> list[dict[str, Any]]:
    """Pix received (`GET /v2/pix` items)."""
    return [
        {"endToEndId": f"E{60746948:08d}202410021{i:010d}", "txid": f"TXID{i:030d}",
         "valor": f"{i + 1}.{i % 100:02d}", "chave": CNPJ, "horario": f"2024-10-02T0{i % 10}:06:00.000-03:00",
         "infoPagador": "obrigado", "pagador": {"cpf": CPF, "nome": "Fulano"},
         "devolucoes": [{"id": "D1", "valor": "0.50", "status": "DEVOLVIDO"}] if i == 0 else []}
        for i in range(count)
    ]  # fmt: skip


def pix_list(
    key: str, items: list[dict[str, Any]], *, page: int = 0, pages: int = 1
) -> dict[str, Any]:
    """A Pix listing body with its `parametros.paginacao`."""
    return {
        "parametros": {"inicio": "2024-10-02T00:00:00Z", "fim": "2024-10-03T10:06:00Z",
                       "paginacao": {"paginaAtual": page, "itensPorPagina": len(items),
                                     "quantidadeDePaginas": pages,
                                     "quantidadeTotalDeItens": len(items) * pages}},
        key: items,
    }  # fmt: skip


def boleto_registration() -> dict[str, Any]:
    """The flat answer of `gerarBoleto` (fields suffixed 10)."""
    return {
        "ctitloCobrCdent": 12345678901, "linhaDig10": "23790000090012345678901234567890123456789012",
        "codBarras10": "23791234500000150000000000000000000000000000", "codStatus10": 1,
        "status10": "A VENCER", "snumero10": "SEU-NUM-1", "dataReg10": "10.05.2024",
        "dataEmis10": "10.05.2024", "dataVencto10": "31.05.2024", "valMoeda10": 15000,
        "cnpjCpfCedente10": "68542653101838", "iconcPgtoSpi": "TXIDHIBRIDO000000000000001",
        "wqrcdPdraoMercd": "00020101021226...6304ABCD", "ilinkGeracQrcd": "qrpix.bradesco.com.br/qr/v2/x",
    }  # fmt: skip


def boleto_query() -> dict[str, Any]:
    """The answer of `consultar`: `{status, transacao, mensagem, titulo}`."""
    return {
        "status": 200, "transacao": "BRAD", "mensagem": "CONSULTA EFETUADA",
        "titulo": {"snumero": "SEU-NUM-1", "codStatus": 13, "status": "PAGO NO DIA", "valMoeda": 15000,
                   "dataVencto": "31/05/2024", "dataEmis": "10052024", "dtPagto": 31052024,
                   "dtBaixa": 0, "nomeSacado": "FULANO DE TAL", "cnpjSacado": 12345678909,
                   "linhaDig": "2379...", "vlrPagto": 150.0},
    }  # fmt: skip


def boleto_titles(count: int, *, start: int = 0) -> list[dict[str, Any]]:
    """Settled titles of `listar` (DDMMYYYY integer dates, cents)."""
    return [
        {"nossoNumero": 70000000000 + i, "seuNumero": f"SN{i}",
         "dataVencimento": int(f"{(i % 28) + 1:02d}052024"), "dataPagamento": int(f"{(i % 28) + 1:02d}052024"),
         "valorTitulo": 1000 + i, "valorPago": 1000 + i, "nomePagador": "PAGADOR",
         "origemPagamento": "PIX" if i % 3 == 0 else "BOLETO"}
        for i in range(start, start + count)
    ]  # fmt: skip


def boleto_list_page(titles: list[dict[str, Any]], *, page: int, more: bool) -> dict[str, Any]:
    """A `listar` page."""
    return {"pagina": page, "indMaisPagina": "S" if more else "N", "quantidadeTitulos": len(titles),
            "titulos": titles}  # fmt: skip


def saldo() -> dict[str, Any]:
    """Saldo PJ response (pt-BR strings and a separate sign)."""
    return {
        "codigoRetorno": "0", "mensagem": "CTAS0673 - CONSULTA EFETUADA COM SUCESSO",
        "numeroConta": "0002142", "digitoConta": "3", "nomeCliente": "JOAO CARLOS",
        "lstLancamentosSaldos": [
            {"nomeProduto": "DISPONIVEL", "codigoProduto": 999, "valorLancamento": "0,00", "sinalSaldo": "+"},
            {"nomeProduto": "= TOTAL DE RECURSOS", "codigoProduto": 995, "valorLancamento": "1.580,12",
             "sinalSaldo": "+"},
            {"nomeProduto": "SALDO DEVEDOR", "codigoProduto": 990, "valorLancamento": "12.345.678,90",
             "sinalSaldo": "-"},
        ],
    }  # fmt: skip


def extrato_entry(
    day: str, cents: int, balance: int, label: str, *, typo: bool = False
) -> dict[str, Any]:
    """One extrato line: pt-BR amounts, signs apart, dd/MM/yyyy."""
    sign_field = "sinalLacamento" if typo else "sinalLancamento"
    return {"dataLancamento": day, "valorLancamento": pt_br(cents), sign_field: "-" if cents < 0 else "+",
            "descritivoLancamentoCompleto": label, "numeroDocumento": "0936269",
            "valorSaldoAposLancamento": pt_br(balance), "sinalSaldo": "-" if balance < 0 else "+"}  # fmt: skip


def extrato() -> dict[str, Any]:
    """An extrato with all three blocks, the 'Lancamentos dia' spelling and the sign typo."""
    return {
        "extratoUltimosLancamentos": [{
            "codigoRetorno": "0", "numeroConta": "0002142", "nomeCliente": "JOAO CARLOS",
            "listaLancamentos": [{
                "Saldo Anterior": [extrato_entry("31/12/2024", 100000, 100000, "SALDO ANTERIOR")],
                "Ultimos Lancamentos": [extrato_entry("01/01/2025", 8000, 108000, "TRANSFERENCIA PIX")],
                "Lancamentos dia": [extrato_entry("02/01/2025", -123456, -15456, "DEBITO TARIFA", typo=True)],
            }],
        }],
        "extratoLancamentosFuturos": [{
            "listaLancamentos": [{"Lançamentos Futuros": [extrato_entry("10/01/2025", -5000, -20456, "AGENDADO")]}],
        }],
        "extratoPorPeriodo": [{
            "nomeCliente": "JOAO CARLOS",
            "lstLancamentoMensal": [
                extrato_entry("01/01/2025", 8000, 108000, "TRANSFERENCIA PIX"),
                extrato_entry("02/01/2025", -123456, -15456, "DEBITO TARIFA"),
            ],
        }],
    }  # fmt: skip


def exact_sum(texts: list[str], *, ptbr: bool = False) -> Decimal:
    """The exact decimal sum of amount strings, parsed by hand (the oracle of the tests)."""
    total = Decimal(0)
    for text in texts:
        plain = text.replace(".", "").replace(",", ".") if ptbr else text
        total += Decimal(plain)
    return total
