"""`Table`: summary above the rows, deterministic HTML, CSV and Parquet that keep the values."""

from __future__ import annotations

import re
import stat
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from bradesco_explore.errors import DataError
from bradesco_explore.sandbox._server import json_reply
from bradesco_explore.tables import Table, read_parquet, to_frame
from bradesco_explore.transport import Session

from . import _payloads as p
from .conftest import Bank


def transactions_table() -> tuple[Table, list[dict[str, object]]]:
    records = p.transactions(60, seed=11)
    records[0]["transactionAmount"] = {"amount": "10.0001", "currency": "USD"}
    return Table(to_frame(p.envelope(records))), records


def test_summary_counts_rows_dates_and_exact_totals_by_currency_and_direction() -> None:
    table, records = transactions_table()
    summary = table.summary()

    assert summary.kind == "openfinance.transactions"
    assert summary.rows == 60
    dates = sorted(pd.Timestamp(r["transactionDateTime"]) for r in records)  # type: ignore[arg-type]
    assert (summary.first, summary.last) == (dates[0], dates[-1])
    by_key = {(t.currency, t.direction): t.amount for t in summary.totals}
    for currency in ("BRL", "USD"):
        for direction in ("CREDITO", "DEBITO"):
            chosen = [r["transactionAmount"]["amount"] for r in records  # type: ignore[index]
                      if r["transactionAmount"]["currency"] == currency and r["creditDebitType"] == direction]  # type: ignore[index]  # fmt: skip
            if chosen:
                assert by_key[(currency, direction)] == p.exact_sum(chosen)  # type: ignore[arg-type]
    assert sum(t.rows for t in summary.totals) == 60


def test_summary_of_bradesco_amounts_is_in_reais() -> None:
    summary = Table(to_frame(p.saldo())).summary()
    assert [(t.column, t.currency, t.amount) for t in summary.totals] == [
        ("valorLancamento", "BRL", Decimal("0.00") + Decimal("1580.12") - Decimal("12345678.90"))
    ]
    assert summary.date_column is None and summary.date_range == "-"


def test_html_shows_the_summary_above_the_rows_and_is_deterministic() -> None:
    first, _ = transactions_table()
    second, _ = transactions_table()

    html = first._repr_html_()

    assert html == second._repr_html_()
    assert html.index("bx-card") < html.index('<table class="dataframe bx-table"')
    assert "rows</th>" in html and "60" in html
    assert "total transactionAmount USD" in html and "10.0001" in html
    assert not re.search(r"0x[0-9a-f]{6,}", html)  # no memory addresses
    assert "12345678909" not in html  # documents stay masked


def test_html_escapes_what_the_server_sent() -> None:
    frame = to_frame(
        [{"nomeProduto": "<script>alert(1)</script>", "valorLancamento": "1,00"}], kind="saldo"
    )
    html = Table(frame)._repr_html_()
    assert "<script>" not in html


def test_repr_is_one_line_without_addresses() -> None:
    table, _ = transactions_table()
    text = repr(table)
    assert text.startswith("<Table openfinance.transactions: 60 rows x 14 columns, 2024-")
    assert "0x" not in text
    undated = Table(
        to_frame({"lstLancamentosSaldos": [{"nomeProduto": "A", "valorLancamento": "1,00"}]})
    )
    assert repr(undated) == "<Table saldo: 1 rows x 4 columns>"


def test_csv_keeps_amounts_digit_for_digit(tmp_path: Path) -> None:
    table, records = transactions_table()

    text = table.to_csv()
    path = table.to_csv(tmp_path / "out.csv")

    assert isinstance(path, Path) and path.read_text() == text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = pd.read_csv(path, dtype=str)
    assert [Decimal(v) for v in back["transactionAmount"]] == [
        Decimal(r["transactionAmount"]["amount"])
        for r in records  # type: ignore[index]
    ]
    assert "***.456.789-**" in text


def test_parquet_round_trips_types_and_values(tmp_path: Path) -> None:
    table, _ = transactions_table()
    path = table.to_parquet(tmp_path / "out.parquet")

    back = read_parquet(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(back.columns) == list(table.frame.columns)
    assert back.dtypes.astype(str).tolist() == table.frame.dtypes.astype(str).tolist()
    pd.testing.assert_frame_equal(back, table.frame, check_dtype=True)


def test_parquet_keeps_lists(tmp_path: Path) -> None:
    table = Table(to_frame(p.envelope(p.consent())))
    back = read_parquet(table.to_parquet(tmp_path / "c.parquet"))
    assert list(back["permissions"][0]) == p.consent()["permissions"]


def test_parquet_refuses_mixed_columns_with_a_clear_error(tmp_path: Path) -> None:
    frame = to_frame([{"x": 1}, {"x": "a"}])
    with pytest.raises(DataError, match="Parquet"):
        Table(frame).to_parquet(tmp_path / "bad.parquet")


def test_any_frame_gets_a_summary_even_the_exchange_log(bank: Bank, session: Session) -> None:
    bank.serve("GET", "/ping", lambda r: json_reply(200, {}))
    session.get(f"{bank.url}/ping")
    table = Table(session.log.to_frame())

    summary = table.summary()

    assert summary.kind is None and summary.rows == len(session.log)
    assert summary.date_column == "time"
    assert summary.totals == ()
    assert "rows" in table._repr_html_()
