"""Amounts, dates, codes and documents: exact when well formed, a clear DataError when not."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from bradesco_explore.errors import DataError
from bradesco_explore.tables import to_frame

from . import _payloads as p


def money(amount: Any, currency: str = "BRL") -> dict[str, Any]:
    return {"transactionId": "T", "transactionAmount": {"amount": amount, "currency": currency}}


def saldo_lines(*lines: dict[str, Any]) -> dict[str, Any]:
    return {"lstLancamentosSaldos": list(lines)}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1000.0400", "1000.04"),
        ("0.01", "0.01"),
        ("-15.50", "-15.5"),
        ("999999999999999.9999", "999999999999999.9999"),
    ],
)
def test_open_finance_amounts_parse_exactly(text: str, value: str) -> None:
    frame = to_frame([{"availableAmount": {"amount": text, "currency": "BRL"}}])
    assert frame["availableAmount"][0] == Decimal(value)


@pytest.mark.parametrize(
    "bad", ["1,00", "1.0", "1.00000", "1e3", " 1.00", "+1.00", "", "1.000,00", "NaN", 12.5, 3]
)
def test_malformed_open_finance_amount_names_column_row_and_value(bad: Any) -> None:
    records = [money("1.00"), money("2.00"), money(bad)]
    with pytest.raises(DataError) as caught:
        to_frame(records)
    assert caught.value.field == "transactionAmount"
    assert "row 2" in str(caught.value)
    assert repr(bad) in str(caught.value)


def test_transaction_amount_must_not_be_negative() -> None:
    with pytest.raises(DataError, match="non-negative") as caught:
        to_frame([money("-1.00")])
    assert caught.value.field == "transactionAmount"


def test_currency_must_be_three_capitals() -> None:
    with pytest.raises(DataError) as caught:
        to_frame([money("1.00", "reais")])
    assert caught.value.field == "transactionAmount.currency"


@pytest.mark.parametrize(
    ("text", "sign", "value"),
    [
        ("1.580,12", "+", "1580.12"),
        ("1.580,12", "-", "-1580.12"),
        ("1.580,12", "D", "-1580.12"),
        ("1.580,12", "C", "1580.12"),
        ("-1.580,12", "-", "-1580.12"),
        ("-1.580,12", None, "-1580.12"),
        ("80", "+", "80"),
        ("0,5", "-", "-0.5"),
        ("12.345.678,90", "+", "12345678.90"),
        (80, "-", "-80"),
        (1580.12, "+", "1580.12"),
    ],
)
def test_pt_br_amounts_take_their_sign(text: Any, sign: str | None, value: str) -> None:
    frame = to_frame(saldo_lines({"valorLancamento": text, "sinalSaldo": sign}))
    assert frame["valorLancamento"][0] == Decimal(value)


@pytest.mark.parametrize(
    "bad", ["1,580.12", "1.58", "1.5800,00", "R$ 10,00", "10,", ",5", "1..0", "--1"]
)
def test_malformed_pt_br_amounts_are_refused(bad: str) -> None:
    with pytest.raises(DataError) as caught:
        to_frame(saldo_lines({"valorLancamento": bad, "sinalSaldo": "+"}))
    assert caught.value.field == "valorLancamento"
    assert repr(bad) in str(caught.value)


def test_a_minus_amount_with_a_plus_sign_is_refused_not_guessed() -> None:
    with pytest.raises(DataError, match="consistent with its sign") as caught:
        to_frame(saldo_lines({"valorLancamento": "-10,00", "sinalSaldo": "+"}))
    assert caught.value.field == "valorLancamento"


def test_an_unknown_sign_is_refused() -> None:
    with pytest.raises(DataError) as caught:
        to_frame(saldo_lines({"valorLancamento": "10,00", "sinalSaldo": "X"}))
    assert caught.value.field == "sinalSaldo"


def test_blank_bradesco_amounts_are_missing_not_zero() -> None:
    frame = to_frame(
        saldo_lines({"valorLancamento": "", "sinalSaldo": "+"}, {"valorLancamento": "1,00"})
    )
    assert pd.isna(frame["valorLancamento"][0])
    assert frame["valorLancamento"][1] == Decimal("1.00")


@pytest.mark.parametrize(
    ("cents", "value"), [(15000, "150.00"), (5, "0.05"), ("0000012345", "123.45"), (0, "0")]
)
def test_boleto_cents_become_reais(cents: Any, value: str) -> None:
    frame = to_frame({"linhaDig10": "x", "valMoeda10": cents})
    assert frame["valMoeda10"][0] == Decimal(value)


@pytest.mark.parametrize("bad", ["150,00", "1.5", 1.5, "abc", True])
def test_malformed_cents_are_refused(bad: Any) -> None:
    with pytest.raises(DataError) as caught:
        to_frame({"linhaDig10": "x", "valMoeda10": bad})
    assert caught.value.field == "valMoeda10"


def test_pix_values_accept_numbers_by_their_decimal_text() -> None:
    frame = to_frame({"endToEndId": "E1", "valor": 10.5})
    assert frame["valor"][0] == Decimal("10.5")


@pytest.mark.parametrize("mixed", [False, True])
@pytest.mark.parametrize(
    ("number", "value"),
    [(1.5e10, "15000000000"), (123456789012345.0, "123456789012345"), (0.1, "0.1")],
)
def test_json_numbers_read_by_their_digits_whatever_their_neighbours(
    number: float, value: str, mixed: bool
) -> None:
    records = [{"endToEndId": "E1", "valor": number}]
    if mixed:  # a string beside it: the values reach the parser as a Python list
        records.append({"endToEndId": "E2", "valor": "1.00"})
    assert to_frame(records)["valor"][0] == Decimal(value)


@pytest.mark.parametrize("mixed", [False, True])
@pytest.mark.parametrize("number", [12345678901234.567, 1234567890123.4567])
def test_json_numbers_a_float_cannot_hold_exactly_are_refused(number: float, mixed: bool) -> None:
    records = [{"endToEndId": "E1", "valor": number}]
    if mixed:
        records.append({"endToEndId": "E2", "valor": "1.00"})
    with pytest.raises(DataError, match="more than 15 significant digits") as caught:
        to_frame(records)
    assert caught.value.field == "valor"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-31", "2024-05-31"),
        ("31.05.2024", "2024-05-31"),
        ("31/05/2024", "2024-05-31"),
        ("31052024", "2024-05-31"),
        (1052024, "2024-05-01"),
        ("2024-05-31T10:00:00Z", "2024-05-31T07:00:00"),
    ],
)
def test_date_spellings_become_sao_paulo_midnights(value: Any, expected: str) -> None:
    frame = to_frame({"linhaDig10": "x", "dataVencto10": value})
    assert frame["dataVencto10"][0] == pd.Timestamp(expected, tz="America/Sao_Paulo")


@pytest.mark.parametrize("empty", ["", "0", "00000000", 0, None])
def test_mainframe_no_date_values_are_missing(empty: Any) -> None:
    frame = to_frame({"linhaDig10": "x", "dataVencto10": empty})
    assert pd.isna(frame["dataVencto10"][0])


@pytest.mark.parametrize(
    "bad",
    [
        "2024-02-30",
        "31.13.2024",
        "32/01/2024",
        "2024/05/31",
        "May 31",
        "31-05-2024",
        "01.01.1850",
        True,
    ],
)
def test_malformed_dates_are_refused(bad: Any) -> None:
    with pytest.raises(DataError) as caught:
        to_frame({"linhaDig10": "x", "dataVencto10": bad})
    assert caught.value.field == "dataVencto10"


@pytest.mark.parametrize(
    "bad",
    ["2024-01-29 12:29:03Z", "2024-01-29T12:29:03", "2024-01-29T25:00:00Z", "", "0", "yesterday"],
)
def test_malformed_instants_are_refused(bad: str) -> None:
    records = p.transactions(1)
    records[0]["transactionDateTime"] = bad
    with pytest.raises(DataError) as caught:
        to_frame(records)
    assert caught.value.field == "transactionDateTime"


def test_integers_refuse_fractions() -> None:
    cob = p.pix_cobs(1)[0]
    cob["revisao"] = 1.5
    with pytest.raises(DataError) as caught:
        to_frame(cob)
    assert caught.value.field == "revisao"


def test_codes_refuse_objects() -> None:
    records = p.transactions(2)
    records[1]["type"] = ["PIX"]
    with pytest.raises(DataError) as caught:
        to_frame(records)
    assert caught.value.field == "type"


def test_unknown_codes_join_the_known_categories() -> None:
    records = p.transactions(2)
    records[1]["type"] = "NOVO_TIPO"
    frame = to_frame(records)
    categories = list(frame["type"].cat.categories)
    assert categories[-1] == "NOVO_TIPO"
    assert categories[0] == "TED"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("123.456.789-09", "***.456.789-**"),
        ("12345678909", "***.456.789-**"),
        ("12.345.678/0001-95", "**.345.678/0001-**"),
        ("12345678000195", "**.345.678/0001-**"),
        ("12ABC34501DE35", "**.ABC.345/01DE-**"),
        ("68542653", "********"),
        (68542653, "********"),
        ("114.383.908", "***.***.***"),
    ],
)
def test_document_masking_rule(value: Any, masked: str) -> None:
    frame = to_frame(
        [{"transactionId": "T", "partieCnpjCpf": value}], kind="openfinance.transactions"
    )
    assert frame["partieCnpjCpf"][0] == masked


def test_fields_named_like_documents_are_masked_wherever_they_appear() -> None:
    frame = to_frame([{"cliente": {"cpfNumber": p.CPF, "tipoCpfCnpj": "1"}, "x": 1}])
    assert frame["cliente.cpfNumber"][0] == "***.456.789-**"
    assert frame["cliente.tipoCpfCnpj"][0] == "1"  # a code, not a document


def test_documents_under_other_names_or_inside_text_are_masked_too() -> None:
    records = [
        {"transactionId": "T1", "transactionName": "PIX ENVIADO CPF 123.456.789-09 JOAO",
         "taxId": "123.456.789-09", "documento": "12345678909", "phone": "11987654321"},
        {"transactionId": "T2", "transactionName": "TED 12.345.678/0001-95", "taxId": None,
         "documento": 12345678909, "phone": None},
    ]  # fmt: skip
    frame = to_frame(records, kind="openfinance.transactions")
    assert frame["transactionName"].tolist() == [
        "PIX ENVIADO CPF ***.456.789-** JOAO",
        "TED **.345.678/0001-**",
    ]
    assert frame["taxId"][0] == frame["documento"][0] == frame["documento"][1] == "***.456.789-**"
    assert frame["phone"][0] == "11987654321"  # a bare digit run in free text is not a CPF
    unmasked = to_frame(records, kind="openfinance.transactions", mask=False)
    assert unmasked["transactionName"][0] == records[0]["transactionName"]


def test_masked_values_never_appear_in_error_messages() -> None:
    records = p.transactions(1)
    records[0]["transactionDateTime"] = "12345678909"
    with pytest.raises(DataError) as caught:
        to_frame(records)
    assert "12345678909" not in str(caught.value)
    assert "*********09" in str(caught.value)


def test_records_that_disagree_on_a_field_type_still_tabulate() -> None:
    frame = to_frame(saldo_lines(
        {"nomeProduto": "A", "valorLancamento": "1,50", "sinalSaldo": "+", "extra": "text"},
        {"nomeProduto": "B", "valorLancamento": 2, "sinalSaldo": "-", "extra": {"nested": True}},
    ))  # fmt: skip
    assert frame["valorLancamento"].tolist() == [Decimal("1.50"), Decimal("-2")]
    assert frame["extra"][0] == "text"
    assert str(frame["extra.nested"].dtype) == "boolean"
    assert bool(frame["extra.nested"][1])


def test_huge_integers_stay_exact() -> None:
    frame = to_frame([{"id": 2**62 + 1}, {"id": None}])
    assert frame["id"][0] == 2**62 + 1
    assert str(frame["id"].dtype) == "Int64"


def test_a_dotted_key_colliding_with_a_nested_path_is_a_clear_error() -> None:
    with pytest.raises(DataError, match=r"same column 'a\.b'"):
        to_frame([{"a.b": 1, "a": {"b": 2}}])


def test_row_numbers_point_at_the_page_and_record() -> None:
    first, second = p.transactions(3), p.transactions(3, start=3)
    second[1]["transactionAmount"]["amount"] = "oops"
    with pytest.raises(DataError, match=r"row 4 \(page 2, record 1\)"):
        to_frame([p.envelope(first), p.envelope(second)])
