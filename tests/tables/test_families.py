"""Every family's payloads tabulate to typed columns whose values match the raw JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from bradesco_explore.tables import KINDS, to_frame

from . import _payloads as p

KIND = "bradesco_explore.kind"
DECIMAL = "decimal128(19, 4)[pyarrow]"
UTC = "datetime64[ns, UTC]"
SAO_PAULO = "datetime64[ns, America/Sao_Paulo]"


def test_open_finance_transactions_are_typed_and_sum_exactly() -> None:
    records = p.transactions(500)
    frame = to_frame(p.envelope(records))

    assert frame.attrs[KIND] == "openfinance.transactions"
    assert str(frame["transactionAmount"].dtype) == DECIMAL
    assert str(frame["transactionDateTime"].dtype) == UTC
    assert isinstance(frame["creditDebitType"].dtype, pd.CategoricalDtype)
    assert list(frame["creditDebitType"].cat.categories) == ["CREDITO", "DEBITO"]
    assert frame["transactionAmount"].sum() == p.exact_sum(
        [r["transactionAmount"]["amount"] for r in records]
    )
    assert set(frame["transactionAmount.currency"]) == {"BRL"}
    assert frame["transactionId"].tolist() == [r["transactionId"] for r in records]


def test_transaction_datetimes_keep_milliseconds_and_offsets() -> None:
    records = p.transactions(2)
    records[0]["transactionDateTime"] = "2016-01-29T12:29:03.374Z"
    records[1]["transactionDateTime"] = "2016-01-29T09:29:03-03:00"
    frame = to_frame(p.envelope(records))

    assert frame["transactionDateTime"][0] == pd.Timestamp("2016-01-29T12:29:03.374Z")
    assert frame["transactionDateTime"][1] == pd.Timestamp("2016-01-29T12:29:03Z")


def test_schema_columns_come_first_then_extras_alphabetically() -> None:
    records = p.transactions(3)
    records[0]["zeta"] = "last"
    records[1]["alpha"] = {"nested": 1}
    del records[2]["partieCheckDigit"]
    frame = to_frame(p.envelope(records))

    schema = [c.name for c in KINDS["openfinance.transactions"].columns]
    expected = []
    for name in schema:
        expected.append(name)
        if name == "transactionAmount":
            expected.append("transactionAmount.currency")
    assert list(frame.columns) == [*expected, "alpha.nested", "zeta"]
    assert str(frame["alpha.nested"].dtype) == "Int64"


def test_absent_schema_columns_are_present_and_missing() -> None:
    frame = to_frame(
        p.envelope(
            [{"transactionId": "T1", "transactionAmount": {"amount": "1.00", "currency": "BRL"}}]
        )
    )

    assert frame["partieCnpjCpf"].isna().all()
    assert str(frame["transactionDateTime"].dtype) == UTC
    assert frame["transactionDateTime"].isna().all()


def test_empty_page_gives_the_schema_columns_with_no_rows() -> None:
    frame = to_frame(p.envelope([]), kind="openfinance.transactions")

    assert len(frame) == 0
    assert "transactionAmount" in frame.columns
    assert str(frame["transactionAmount"].dtype) == DECIMAL


def test_documents_are_masked_by_default_and_kept_on_request() -> None:
    records = p.transactions(2)
    records[0]["partieCnpjCpf"] = p.CPF
    records[1]["partieCnpjCpf"] = p.CNPJ

    masked = to_frame(p.envelope(records))
    plain = to_frame(p.envelope(records), mask=False)

    assert masked["partieCnpjCpf"].tolist() == ["***.456.789-**", "**.685.362/0006-**"]
    assert plain["partieCnpjCpf"].tolist() == [p.CPF, p.CNPJ]


def test_accounts_credit_cards_and_resources() -> None:
    accounts = to_frame(p.envelope(p.accounts()))
    cards = to_frame(p.envelope(p.credit_card_accounts()))
    resources = to_frame(p.envelope(p.resources()))

    assert accounts.attrs[KIND] == "openfinance.accounts"
    assert accounts["number"].tolist() == ["0041000", "1041000"]
    assert accounts["companyCnpj"][0] == "**.746.948/0001-**"
    assert list(accounts["type"].cat.categories)[:3] == [
        "CONTA_DEPOSITO_A_VISTA",
        "CONTA_POUPANCA",
        "CONTA_PAGAMENTO_PRE_PAGA",
    ]
    assert cards.attrs[KIND] == "openfinance.credit_card_accounts"
    assert cards["creditCardNetwork"].tolist() == ["ELO", "VISA"]
    assert resources.attrs[KIND] == "openfinance.resources"
    assert resources["status"].tolist() == ["AVAILABLE", "PENDING_AUTHORISATION"]


def test_balances_single_object_with_negative_available_amount() -> None:
    frame = to_frame(p.envelope(p.balance()))

    assert frame.attrs[KIND] == "openfinance.balances"
    assert len(frame) == 1
    assert frame["availableAmount"][0] == Decimal("-1500.25")
    assert frame["blockedAmount"][0] == Decimal("30.00")
    assert frame["automaticallyInvestedAmount"][0] == Decimal("12000.0001")
    assert frame["updateDateTime"][0] == pd.Timestamp("2024-05-21T02:59:59Z")


def test_consent_flattens_rejection_and_keeps_permissions_as_a_list() -> None:
    frame = to_frame(p.envelope(p.consent()))

    assert frame.attrs[KIND] == "openfinance.consents"
    assert frame["rejection.reason.code"][0] == "CUSTOMER_MANUALLY_REJECTED"
    assert frame["permissions"][0] == [
        "ACCOUNTS_READ",
        "ACCOUNTS_TRANSACTIONS_READ",
        "RESOURCES_READ",
    ]
    assert str(frame["expirationDateTime"].dtype) == UTC


def test_unknown_open_finance_fields_are_typed_by_name() -> None:
    records = [{"billId": "b1", "dueDate": "2024-06-10", "billTotalAmount": {"amount": "99.90", "currency": "USD"},
                "isInstalment": False, "lastUpdateDateTime": "2024-06-01T10:00:00Z"}]  # fmt: skip
    frame = to_frame(p.envelope(records))

    assert frame.attrs[KIND] == "openfinance"
    assert str(frame["dueDate"].dtype) == SAO_PAULO
    assert frame["dueDate"][0] == pd.Timestamp("2024-06-10", tz="America/Sao_Paulo")
    assert frame["billTotalAmount"][0] == Decimal("99.90")
    assert frame["billTotalAmount.currency"][0] == "USD"
    assert str(frame["lastUpdateDateTime"].dtype) == UTC
    assert str(frame["isInstalment"].dtype) == "boolean"


def test_pix_charges_list() -> None:
    cobs = p.pix_cobs(40)
    frame = to_frame(p.pix_list("cobs", cobs))

    assert frame.attrs[KIND] == "pix.cob"
    assert str(frame["valor.original"].dtype) == DECIMAL
    assert frame["valor.original"].sum() == p.exact_sum([c["valor"]["original"] for c in cobs])
    assert str(frame["calendario.criacao"].dtype) == UTC
    assert str(frame["calendario.expiracao"].dtype) == "Int64"
    assert str(frame["loc.id"].dtype) == "Int64"
    assert frame["devedor.cpf"].dropna().unique().tolist() == ["***.456.789-**"]
    assert frame["devedor.cnpj"].dropna().unique().tolist() == ["**.685.362/0006-**"]
    keys = set(frame["chave"])
    assert keys <= {"**.685.362/0006-**", "pix@empresa.example", "+5511987654321"}


def test_bradesco_cobv_emv_answer() -> None:
    frame = to_frame(p.pix_cobv())

    assert frame.attrs[KIND] == "pix.cobv"
    assert frame["calendario.dataDeVencimento"][0] == pd.Timestamp(
        "2023-05-31", tz="America/Sao_Paulo"
    )
    assert frame["valor.original"][0] == Decimal("123.45")
    assert frame["emv"][0].endswith("6304CB17")
    assert frame["recebedor.cnpj"][0] == "**.542.653/1018-**"
    assert "base64" not in frame.columns


def test_pix_received_with_refunds() -> None:
    items = p.pix_received(5)
    frame = to_frame(p.pix_list("pix", items))

    assert frame.attrs[KIND] == "pix.pix"
    assert frame["valor"].sum() == p.exact_sum([i["valor"] for i in items])
    assert frame["horario"][0] == pd.Timestamp("2024-10-02T03:06:00Z")
    assert frame["devolucoes"][0][0]["valor"] == "0.50"
    assert frame["pagador.cpf"][0] == "***.456.789-**"


def test_pix_single_charge_object() -> None:
    frame = to_frame(p.pix_cobs(1)[0])

    assert frame.attrs[KIND] == "pix.cob"
    assert len(frame) == 1


def test_boleto_registration_is_flat() -> None:
    body = p.boleto_registration()
    frame = to_frame(body)

    assert frame.attrs[KIND] == "boleto.registro"
    assert frame["valMoeda10"][0] == Decimal("150.00")
    assert frame["dataVencto10"][0] == pd.Timestamp("2024-05-31", tz="America/Sao_Paulo")
    assert frame["ctitloCobrCdent"][0] == "12345678901"
    assert frame["cnpjCpfCedente10"][0] == "**.542.653/1018-**"
    assert frame["codStatus10"][0] == 1


def test_boleto_query_reads_every_date_spelling() -> None:
    frame = to_frame(p.boleto_query())

    assert frame.attrs[KIND] == "boleto.consulta"
    assert frame["dataVencto"][0] == pd.Timestamp("2024-05-31", tz="America/Sao_Paulo")
    assert frame["dataEmis"][0] == pd.Timestamp("2024-05-10", tz="America/Sao_Paulo")
    assert frame["dtPagto"][0] == pd.Timestamp("2024-05-31", tz="America/Sao_Paulo")
    assert pd.isna(frame["dtBaixa"][0])  # 0 means "no date" in the mainframe layout
    assert frame["valMoeda"][0] == Decimal("150.00")
    assert frame["cnpjSacado"][0] == "***.456.789-**"
    assert frame["vlrPagto"][0] == 150.0  # scale undocumented: left as sent


def test_boleto_list_page_in_cents_with_integer_dates() -> None:
    titles = p.boleto_titles(30)
    titles[0]["dataPagamento"] = 1052024  # a JSON number loses the leading zero
    frame = to_frame(p.boleto_list_page(titles, page=1, more=True))

    assert frame.attrs[KIND] == "boleto.listar"
    assert frame["dataPagamento"][0] == pd.Timestamp("2024-05-01", tz="America/Sao_Paulo")
    cents = sum(t["valorTitulo"] for t in titles)
    assert frame["valorTitulo"].sum() == Decimal(cents) / 100
    assert frame["nossoNumero"][0] == "70000000000"
    assert list(frame["origemPagamento"].cat.categories) == ["BOLETO", "PIX"]


def test_saldo_amounts_are_signed_pt_br() -> None:
    body = p.saldo()
    frame = to_frame(body)

    assert frame.attrs[KIND] == "saldo"
    assert frame["valorLancamento"].tolist() == [
        Decimal("0.00"),
        Decimal("1580.12"),
        Decimal("-12345678.90"),
    ]
    assert frame["codigoProduto"].tolist() == ["999", "995", "990"]


def test_extrato_blocks_headers_and_sign_typo() -> None:
    frame = to_frame(p.extrato())

    assert frame.attrs[KIND] == "extrato"
    assert frame["bloco"].tolist() == [
        "Saldo Anterior",
        "Ultimos Lancamentos",
        "Lancamentos Dia",
        "Lancamentos Futuros",
        "Por Periodo",
        "Por Periodo",
    ]
    assert "sinalLacamento" not in frame.columns
    assert frame["sinalLancamento"].tolist() == ["+", "+", "-", "-", "+", "-"]
    assert frame["valorLancamento"][2] == Decimal("-1234.56")
    assert frame["valorSaldoAposLancamento"][2] == Decimal("-154.56")
    assert frame["dataLancamento"][0] == pd.Timestamp("2024-12-31", tz="America/Sao_Paulo")
    assert str(frame["dataLancamento"].dtype) == SAO_PAULO


def test_extrato_period_kind_keeps_only_the_period_block() -> None:
    frame = to_frame(p.extrato(), kind="extrato.periodo")

    assert frame["bloco"].unique().tolist() == ["Por Periodo"]
    assert frame["valorLancamento"].sum() == Decimal("80.00") - Decimal("1234.56")


def test_pages_concatenate_and_keep_one_schema() -> None:
    first, second = p.transactions(10, seed=1), p.transactions(7, seed=2, start=10)
    frame = to_frame(
        [p.envelope(first, next_url="https://bank.example/x?page=2"), p.envelope(second)]
    )

    assert len(frame) == 17
    assert frame["transactionId"].is_unique
    assert frame["transactionAmount"].sum() == p.exact_sum(
        [r["transactionAmount"]["amount"] for r in first + second]
    )


def test_a_plain_list_of_records_is_detected_by_its_fields() -> None:
    assert to_frame(p.transactions(3)).attrs[KIND] == "openfinance.transactions"
    assert to_frame(p.boleto_titles(2)).attrs[KIND] == "boleto.listar"
    assert to_frame([{"a": 1}]).attrs[KIND] == "records"


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_gives_its_typed_columns_even_without_rows(kind: str) -> None:
    frame = to_frame([], kind=kind)

    assert frame.attrs[KIND] == kind
    assert len(frame) == 0
    for column in KINDS[kind].columns:
        assert column.name in frame.columns


def test_every_schema_declares_its_cpf_and_cnpj_columns_as_documents() -> None:
    from bradesco_explore.tables import ColumnType
    from bradesco_explore.tables._documents import is_document_field

    for schema in KINDS.values():
        for column in schema.columns:
            if is_document_field(column.name):
                assert column.type is ColumnType.DOCUMENT, (schema.kind, column.name)


def test_dates_in_sao_paulo_are_midnight_local() -> None:
    frame = to_frame(p.extrato(), kind="extrato.periodo")
    first = frame["dataLancamento"][0]

    assert first.to_pydatetime() == dt.datetime(2025, 1, 1, tzinfo=first.tzinfo)
    assert first.utcoffset() == dt.timedelta(hours=-3)
