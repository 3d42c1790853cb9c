"""Property-based: valid values round-trip exactly; anything else is a clear DataError.

Never a wrong number, never a silent NaN, never an exception from deep inside a library.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bradesco_explore.errors import DataError
from bradesco_explore.tables import KINDS, to_frame
from bradesco_explore.tables._envelopes import is_envelope

from . import _payloads as p

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OFB_AMOUNT = re.compile(r"-?\d{1,15}\.\d{2,4}")

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def ofb_amounts(draw: Any) -> str:
    whole = draw(st.integers(min_value=0, max_value=10**15 - 1))
    places = draw(st.integers(min_value=2, max_value=4))
    fraction = draw(st.integers(min_value=0, max_value=10**places - 1))
    sign = draw(st.sampled_from(["", "-"]))
    return f"{sign}{whole}.{fraction:0{places}d}"


@st.composite
def pt_br_amounts(draw: Any) -> tuple[str, str | None, Decimal]:
    cents = draw(st.integers(min_value=0, max_value=10**17 - 1))
    grouped = draw(st.booleans())
    whole, frac = divmod(cents, 100)
    text = (f"{whole:,}".replace(",", ".") if grouped else str(whole)) + f",{frac:02d}"
    sign = draw(st.sampled_from(["+", "-", "C", "D", None]))
    value = Decimal(cents) / 100
    return text, sign, -value if sign in ("-", "D") else value


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))
instants = st.datetimes(
    min_value=dt.datetime(1900, 1, 2),
    max_value=dt.datetime(2199, 12, 30),
    timezones=st.just(dt.UTC),
)


def attempt(make: Any) -> tuple[Any, DataError | None]:
    """(result, None) or (None, the DataError): the only two outcomes allowed."""
    try:
        return make(), None
    except DataError as error:
        return None, error


def balances(amount: Any) -> list[dict[str, Any]]:
    return [{"availableAmount": {"amount": amount, "currency": "BRL"}}]


@SETTINGS
@given(st.lists(ofb_amounts(), min_size=1, max_size=30))
def test_valid_open_finance_amounts_round_trip_and_sum_exactly(texts: list[str]) -> None:
    frame = to_frame([r for t in texts for r in balances(t)])
    assert frame["availableAmount"].tolist() == [Decimal(t) for t in texts]
    assert frame["availableAmount"].sum() == sum(Decimal(t) for t in texts)


@SETTINGS
@given(st.one_of(json_values, st.text()))
def test_anything_else_in_an_open_finance_amount_is_refused(value: Any) -> None:
    if value is None or (isinstance(value, str) and OFB_AMOUNT.fullmatch(value)):
        return
    frame, error = attempt(lambda: to_frame(balances(value)))
    assert frame is None, f"accepted {value!r} as {frame['availableAmount'][0]!r}"
    assert error is not None and str(error.field).startswith("availableAmount")


@SETTINGS
@given(st.lists(pt_br_amounts(), min_size=1, max_size=20))
def test_valid_pt_br_amounts_with_signs_round_trip(
    lines: list[tuple[str, str | None, Decimal]],
) -> None:
    body = {"lstLancamentosSaldos": [{"valorLancamento": t, "sinalSaldo": s} for t, s, _ in lines]}
    frame = to_frame(body)
    assert frame["valorLancamento"].tolist() == [v for _, _, v in lines]


@SETTINGS
@given(st.text(max_size=16))
def test_malformed_pt_br_text_is_refused_or_read_exactly(text: str) -> None:
    body = {"lstLancamentosSaldos": [{"valorLancamento": text, "sinalSaldo": "+"}]}
    value, error = attempt(lambda: to_frame(body)["valorLancamento"][0])
    if error is not None:
        assert error.field == "valorLancamento"
        return
    stripped = text.strip()
    if pd.isna(value):
        assert stripped == ""
        return
    plain = stripped.lstrip("+").replace(".", "").replace(",", ".")
    assert re.fullmatch(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d{1,4})?", stripped)
    assert value == Decimal(plain)


@SETTINGS
@given(st.integers(min_value=0, max_value=10**17 - 1))
def test_cents_round_trip(cents: int) -> None:
    frame = to_frame({"linhaDig10": "x", "valMoeda10": cents})
    assert frame["valMoeda10"][0] == Decimal(cents) / 100


@SETTINGS
@given(dates, st.sampled_from(["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d%m%Y"]))
def test_valid_dates_in_every_spelling_round_trip(day: dt.date, spelling: str) -> None:
    frame = to_frame({"linhaDig10": "x", "dataVencto10": day.strftime(spelling)})
    parsed = frame["dataVencto10"][0]
    assert parsed.date() == day
    assert parsed.tz is not None and str(parsed.tz) == "America/Sao_Paulo"


@SETTINGS
@given(
    instants,
    st.integers(min_value=-14 * 60, max_value=14 * 60),
    st.integers(min_value=0, max_value=999),
)
def test_valid_rfc3339_instants_round_trip(
    when: dt.datetime, offset_minutes: int, millis: int
) -> None:
    when = when.replace(microsecond=millis * 1000)
    zone = dt.timezone(dt.timedelta(minutes=offset_minutes))
    text = when.astimezone(zone).isoformat(timespec="milliseconds")
    if offset_minutes == 0 and millis % 2:
        text = text.replace("+00:00", "Z")
    records = p.transactions(1)
    records[0]["transactionDateTime"] = text
    parsed = to_frame(records)["transactionDateTime"][0]
    assert parsed == pd.Timestamp(when)


@SETTINGS
@given(st.one_of(json_values, st.text(max_size=30)))
def test_anything_in_a_date_column_is_a_date_missing_or_refused(value: Any) -> None:
    parsed, error = attempt(
        lambda: to_frame({"linhaDig10": "x", "dataVencto10": value})["dataVencto10"][0]
    )
    if error is not None:
        assert str(error.field).startswith("dataVencto10")
        return
    if pd.isna(parsed):
        numeric_zero = isinstance(value, int | float) and not isinstance(value, bool) and value == 0
        assert (
            value is None
            or numeric_zero
            or str(value).strip() == ""
            or set(str(value).strip()) == {"0"}
        )
    else:
        assert 1900 <= parsed.year <= 2199


@SETTINGS
@given(json_values)
def test_any_json_body_tabulates_or_raises_a_data_error(body: Any) -> None:
    frame, error = attempt(lambda: to_frame(body))
    assert error is not None or isinstance(frame, pd.DataFrame)


@SETTINGS
@given(
    st.sampled_from(sorted(KINDS)),
    st.lists(st.dictionaries(st.sampled_from(["transactionAmount", "valor", "txid", "status", "dataLancamento",
                                              "valorLancamento", "sinalLancamento", "data", "titulos", "x"]),
                             json_values, max_size=5), max_size=4),
)  # fmt: skip
def test_any_records_of_any_kind_tabulate_or_raise_a_data_error(
    kind: str, records: list[dict[str, Any]]
) -> None:
    frame, error = attempt(lambda: to_frame(records, kind=kind))
    if records and is_envelope(records[0]):
        return  # a list whose first item is an envelope ({"data": ...}, {"titulos": ...}) is a list of pages
    assert error is not None or len(frame) == len(records)


@SETTINGS
@given(st.lists(st.one_of(ofb_amounts(), json_scalars), min_size=1, max_size=10))
def test_a_page_of_amounts_is_all_exact_or_refused(values: list[Any]) -> None:
    try:
        frame = to_frame([r for v in values for r in balances(v)])
    except DataError:
        assert any(
            v is not None and not (isinstance(v, str) and OFB_AMOUNT.fullmatch(v)) for v in values
        )
        return
    for value, parsed in zip(values, frame["availableAmount"], strict=True):
        if value is None:
            assert pd.isna(parsed)
        else:
            assert parsed == Decimal(value)
