"""The analyst helpers: exact results, deterministic order, a plot on request."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import matplotlib
import pandas as pd
import pytest

from bradesco_explore.errors import DataError
from bradesco_explore.tables import (
    balance_over_time,
    boleto_status_counts,
    spending_by_type,
    to_frame,
)

from . import _payloads as p

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def signed(record: dict[str, Any]) -> Decimal:
    amount = Decimal(record["transactionAmount"]["amount"])
    return -amount if record["creditDebitType"] == "DEBITO" else amount


def sao_paulo_day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("America/Sao_Paulo").normalize()


def test_balance_from_transactions_is_the_running_signed_total() -> None:
    records = p.transactions(200, seed=5)
    result = balance_over_time(to_frame(records))

    daily: dict[pd.Timestamp, Decimal] = defaultdict(Decimal)
    for record in records:
        daily[sao_paulo_day(record["transactionDateTime"])] += signed(record)
    running, expected = Decimal(0), []
    for day in sorted(daily):
        running += daily[day]
        expected.append((day, daily[day], running))

    assert list(result.columns) == ["date", "currency", "net", "balance"]
    assert list(zip(result["date"], result["net"], result["balance"], strict=True)) == expected
    assert result["balance"].iloc[-1] == sum(signed(r) for r in records)


@pytest.mark.parametrize("kind", ["extrato", "extrato.periodo"])
def test_balance_from_extrato_uses_the_banks_balance_after_each_entry(kind: str) -> None:
    result = balance_over_time(to_frame(p.extrato(), kind=kind))

    assert result["balance"].tolist() == [Decimal("1080.00"), Decimal("-154.56")]
    assert pd.isna(result["net"][0]) and result["net"][1] == Decimal("-1234.56")


def test_balance_from_open_finance_balances() -> None:
    result = balance_over_time(to_frame(p.envelope(p.balance())))
    assert result["balance"].tolist() == [Decimal("-1500.25")]
    assert result["date"][0] == pd.Timestamp("2024-05-20", tz="America/Sao_Paulo")


def test_the_days_balance_is_its_latest_snapshot_whatever_the_order() -> None:
    evening = p.balance() | {"availableAmount": {"amount": "200.00", "currency": "BRL"},
                             "updateDateTime": "2024-05-20T18:00:00-03:00"}  # fmt: skip
    morning = p.balance() | {"availableAmount": {"amount": "100.00", "currency": "BRL"},
                             "updateDateTime": "2024-05-20T09:00:00-03:00"}  # fmt: skip
    result = balance_over_time(to_frame([evening, morning], kind="openfinance.balances"))
    assert result["balance"].tolist() == [Decimal("200.00")]


def test_spending_by_type_sums_debits_exactly_biggest_first() -> None:
    records = p.transactions(300, seed=9)
    result = spending_by_type(to_frame(records))

    expected: dict[str, Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    for record in records:
        if record["creditDebitType"] == "DEBITO":
            expected[record["type"]] += Decimal(record["transactionAmount"]["amount"])
            counts[record["type"]] += 1
    assert dict(zip(result["type"], result["total"], strict=True)) == expected
    assert dict(zip(result["type"], result["count"], strict=True)) == counts
    assert result["total"].tolist() == sorted(expected.values(), reverse=True)
    assert set(result["currency"]) == {"BRL"}


def test_spending_from_extrato_counts_each_entry_once() -> None:
    # the full extrato lists the tariff twice (last entries and period blocks): counted once
    result = spending_by_type(to_frame(p.extrato()))
    assert result.to_dict("list") == {
        "descritivoLancamentoCompleto": ["DEBITO TARIFA"],
        "currency": ["BRL"],
        "total": [Decimal("1234.56")],
        "count": [1],
    }


def test_boleto_status_counts_with_totals() -> None:
    registrations = [dict(p.boleto_registration(), status10=s, valMoeda10=c)
                     for s, c in (("A VENCER", 100), ("PAGO", 250), ("A VENCER", 5))]  # fmt: skip
    result = boleto_status_counts(to_frame(registrations))

    assert result.to_dict("list") == {
        "status": ["A VENCER", "PAGO"],
        "count": [2, 1],
        "total": [Decimal("1.05"), Decimal("2.50")],
    }


def test_pix_charges_have_status_counts_too() -> None:
    cobs = p.pix_cobs(30)
    result = boleto_status_counts(to_frame(p.pix_list("cobs", cobs)))
    assert result["count"].sum() == 30
    assert result["count"].tolist() == sorted(result["count"], reverse=True)


@pytest.mark.parametrize(
    ("helper", "frame"),
    [
        (balance_over_time, pd.DataFrame({"x": [1]})),
        (spending_by_type, pd.DataFrame({"x": [1]})),
        (boleto_status_counts, pd.DataFrame({"x": [1]})),
        (balance_over_time, to_frame(p.envelope(p.accounts()))),
    ],
)
def test_helpers_say_what_table_they_need(helper: Any, frame: pd.DataFrame) -> None:
    with pytest.raises(DataError):
        helper(frame)


def test_helpers_draw_on_request_and_return_the_axes() -> None:
    frame = to_frame(p.transactions(50))

    result, axes = balance_over_time(frame, plot=True)
    spent, bars = spending_by_type(frame, plot=True)

    assert len(axes.lines) == 1 and len(axes.lines[0].get_xdata()) == len(result)
    assert len(bars.patches) == len(spent)
    assert axes.get_title() == "Balance at the end of each day"


def test_helpers_draw_on_a_given_axes() -> None:
    import matplotlib.pyplot as plt

    _, given = plt.subplots()
    _, used = boleto_status_counts(to_frame(p.pix_list("cobs", p.pix_cobs(5))), plot=True, ax=given)
    assert used is given and len(given.patches) > 0
