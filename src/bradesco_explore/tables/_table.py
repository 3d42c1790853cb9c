"""`Table`: a DataFrame with its summary, for notebooks, and its CSV and Parquet exports.

`Table` is a thin wrapper, not a DataFrame subclass: `table.frame` is the plain DataFrame
`to_frame` returned, for every pandas operation; the wrapper adds what pandas does not know,
the summary (rows, date range, totals by currency) shown above the table, and exports that
keep the types (Parquet) and the exact amounts (both).

>>> table = Table(to_frame(page))        # doctest: +SKIP
>>> table                                # in a notebook: summary card, then the rows
>>> table.to_parquet("transactions.parquet"); read_parquet("transactions.parquet")  # doctest: +SKIP
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._files import write_file
from .._html import card, facts_table
from ..errors import DataError
from ._columns import KIND_ATTR
from ._kinds import KINDS
from ._schema import Schema

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Table", "TableSummary", "Total", "read_parquet"]

_SHOWN_ROWS = 20
_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Total:
    """The exact sum of one amount column for one currency (and direction, when split)."""

    column: str
    currency: str
    amount: Decimal
    rows: int
    direction: str | None = None

    @property
    def label(self) -> str:
        """`transactionAmount BRL` or `transactionAmount BRL DEBITO`."""
        parts = [self.column, self.currency, self.direction or ""]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class TableSummary:
    """What a table holds at a glance: its kind, size, date range and totals."""

    kind: str | None
    title: str
    rows: int
    columns: int
    date_column: str | None
    first: Any
    last: Any
    totals: tuple[Total, ...]

    @property
    def date_range(self) -> str:
        """`2024-01-02 … 2024-03-31` (with times when the values have them), or `-`."""
        if self.first is None or self.last is None:
            return "-"
        return f"{_moment_text(self.first)} … {_moment_text(self.last)}"


class Table:
    """A tabulated API response: `frame` plus a summary, rich display and exports.

    `kind` defaults to the one `to_frame` recorded in `frame.attrs`; it picks the date and
    amount columns the summary uses. Amounts of Bradesco's own APIs (boleto, Pix, saldo,
    extrato) are in reais (BRL); Open Finance amounts carry their `<name>.currency` column.
    """

    def __init__(self, frame: pd.DataFrame, *, kind: str | None = None) -> None:
        self.frame = frame
        self.kind = kind or frame.attrs.get(KIND_ATTR)

    @property
    def schema(self) -> Schema | None:
        """The schema of `kind`, when it is a known one."""
        return KINDS.get(self.kind) if self.kind else None

    def summary(self) -> TableSummary:
        """Rows, date range and exact totals by currency (see `TableSummary`)."""
        frame = self.frame
        date_column = _date_column(frame, self.schema)
        first, last = _date_range(frame, date_column)
        return TableSummary(
            kind=self.kind,
            title=self.schema.title if self.schema else "Table",
            rows=len(frame),
            columns=len(frame.columns),
            date_column=date_column,
            first=first,
            last=last,
            totals=tuple(_totals(frame, self.schema)),
        )

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str | Path:
        """The table as CSV: returned as text, or written (0600, atomically) to `path`.

        Amounts are written digit for digit (`1000.0400`), datetimes with their offset.
        """
        text = self.frame.to_csv(index=False)
        if path is None:
            return str(text)
        return write_file(path, text.encode("utf-8"), private=True)

    def to_parquet(self, path: str | os.PathLike[str]) -> Path:
        """Write the table as Parquet (0600, atomically); `read_parquet` gives it back typed."""
        import pyarrow as pa

        buffer = io.BytesIO()
        try:
            self.frame.to_parquet(buffer, engine="pyarrow", index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise DataError(
                f"The table cannot be written as Parquet: {str(exc)[:200]}. Columns holding "
                "mixed JSON values are the usual cause; convert them with .astype(str) first.",
                field="frame",
            ) from None
        return write_file(path, buffer.getvalue(), private=True)

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        summary = self.summary()
        dates = f", {summary.date_range}" if summary.first is not None else ""
        return (
            f"<Table {summary.kind or 'frame'}: {summary.rows} rows x {summary.columns} "
            f"columns{dates}>"
        )

    def _repr_html_(self) -> str:
        rows = self.frame.to_html(max_rows=_SHOWN_ROWS, border=0, classes="bx-table")
        return _summary_html(self.summary()) + str(rows)


def read_parquet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a `Table.to_parquet` file back with its types: exact decimals, `Int64`, categories."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    def mapper(arrow_type: Any) -> Any:
        if pa.types.is_decimal(arrow_type):
            return pd.ArrowDtype(arrow_type)
        if pa.types.is_signed_integer(arrow_type):
            return pd.Int64Dtype()
        return None

    return pq.read_table(path).to_pandas(types_mapper=mapper)


def _date_column(frame: Any, schema: Schema | None) -> str | None:
    import pandas as pd

    if schema and schema.date_column in frame.columns:
        return schema.date_column
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            return str(name)
    return None


def _date_range(frame: Any, column: str | None) -> tuple[Any, Any]:
    if column is None:
        return None, None
    dates = frame[column].dropna()
    return (dates.min(), dates.max()) if len(dates) else (None, None)


def _amount_columns(frame: Any, schema: Schema | None) -> list[str]:
    import pandas as pd
    import pyarrow as pa

    if schema and schema.amount_column in frame.columns:
        return [str(schema.amount_column)]
    return [
        str(name)
        for name in frame.columns
        if isinstance(frame[name].dtype, pd.ArrowDtype)
        and pa.types.is_decimal(frame[name].dtype.pyarrow_dtype)
    ]


def _totals(frame: Any, schema: Schema | None) -> list[Total]:
    """Exact sums per amount column, per currency, and per direction when there is one."""
    direction = schema.direction_column if schema else None
    if direction not in frame.columns:
        direction = None
    totals: list[Total] = []
    for column in _amount_columns(frame, schema):
        currency = f"{column}.currency" if f"{column}.currency" in frame.columns else None
        totals.extend(_column_totals(frame, column, currency, direction))
    return totals


def _column_totals(
    frame: Any, column: str, currency: str | None, direction: str | None
) -> list[Total]:
    present = frame[frame[column].notna()]
    keys = [key for key in (currency, direction) if key]
    if not keys:
        return [Total(column, "BRL", _exact_sum(present[column]), len(present))]
    totals = []
    for group, part in present.groupby(keys, observed=True, sort=True):
        labels = dict(zip(keys, group if isinstance(group, tuple) else (group,), strict=True))
        totals.append(
            Total(
                column=column,
                currency=str(labels.get(currency or "", "BRL")),
                amount=_exact_sum(part[column]),
                rows=len(part),
                direction=str(labels[direction]) if direction else None,
            )
        )
    return totals


def _exact_sum(values: Any) -> Decimal:
    total = values.sum()
    return Decimal(str(total)) if total is not None else Decimal(0)


def _money_text(amount: Decimal) -> str:
    """`1,234.56`; more decimals only when the amount has them (never rounded)."""
    cents = amount.quantize(_CENTS)
    shown = cents if cents == amount else amount.normalize()
    return f"{shown:,f}"


def _moment_text(value: Any) -> str:
    if value.hour == value.minute == value.second == value.microsecond == 0:
        return f"{value:%Y-%m-%d}"
    return str(value.isoformat())


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _summary_html(summary: TableSummary) -> str:
    facts: list[tuple[str, object]] = [("rows", f"{summary.rows:,}")]
    if summary.date_column:
        facts.append((f"date range ({summary.date_column})", summary.date_range))
    facts.extend(
        (f"total {t.label}", f"{_money_text(t.amount)} ({_count(t.rows, 'row')})")
        for t in summary.totals
    )
    title = summary.title + (f" · {summary.kind}" if summary.kind else "")
    return card(title, facts_table(facts))
