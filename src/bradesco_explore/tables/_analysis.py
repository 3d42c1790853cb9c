"""Three small analyses that show the data's shape: balance over time, spending by type,
boleto status counts.

Each takes a DataFrame from `to_frame` (its recorded kind says which columns hold the dates,
amounts and directions), returns a small DataFrame with exact decimal totals, and with
`plot=True` also draws it with matplotlib (imported only then) and returns `(frame, axes)`.
Outputs are sorted deterministically, so a notebook re-run shows the same table.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, overload

from ..errors import DataError
from ._columns import KIND_ATTR
from ._dates import BANK_TIMEZONE
from ._kinds import KINDS
from ._schema import Schema

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["balance_over_time", "boleto_status_counts", "spending_by_type"]

_DEBIT_CODES = ("DEBITO", "D", "-")
_STATUS_COLUMNS = (
    "status10",
    "status",
    "STATUS",
    "descricaoStatusTitulo",
    "codStatus10",
    "codStatus",
    "CODSTATUS",
)
_EXTRATO_LABELS = ("descritivoLancamentoAbreviado", "descritivoLancamentoCompleto")


@overload
def balance_over_time(
    frame: pd.DataFrame, *, plot: Literal[False] = ..., ax: Any = ...
) -> pd.DataFrame: ...
@overload
def balance_over_time(
    frame: pd.DataFrame, *, plot: Literal[True], ax: Any = ...
) -> tuple[pd.DataFrame, Any]: ...
def balance_over_time(frame: pd.DataFrame, *, plot: bool = False, ax: Any = None) -> Any:
    """The balance at the end of each day, per currency: columns `date, currency, net, balance`.

    - extrato: the bank's own `valorSaldoAposLancamento` of the day's last entry (only the
      period block when the table has it: the other blocks repeat its entries);
    - Open Finance balances: the day's last `availableAmount`;
    - transactions (Open Finance, or extrato without balances): the running total of the
      signed amounts (debits negative), **starting from zero**: transactions do not carry the
      opening balance, so this is the change since the first day shown.

    `net` is the day's signed sum (or, for balance snapshots, the change from the day before).
    Days are calendar days in America/Sao_Paulo.
    """
    schema = _schema(frame, "balance_over_time")
    frame = _without_repeated_blocks(frame)
    if (
        "valorSaldoAposLancamento" in frame.columns
        and frame["valorSaldoAposLancamento"].notna().any()
    ):
        result = _snapshots(frame, schema, "valorSaldoAposLancamento")
    elif schema.kind == "openfinance.balances":
        result = _snapshots(frame, schema, "availableAmount")
    else:
        result = _running_totals(frame, schema)
    return _with_plot(result, plot, ax, _plot_balance)


@overload
def spending_by_type(
    frame: pd.DataFrame, *, by: str | None = ..., plot: Literal[False] = ..., ax: Any = ...
) -> pd.DataFrame: ...
@overload
def spending_by_type(
    frame: pd.DataFrame, *, by: str | None = ..., plot: Literal[True], ax: Any = ...
) -> tuple[pd.DataFrame, Any]: ...
def spending_by_type(
    frame: pd.DataFrame, *, by: str | None = None, plot: bool = False, ax: Any = None
) -> Any:
    """Money out, grouped: columns `<by>, currency, total, count`, biggest total first.

    Open Finance transactions: the `DEBITO` rows by `type`; extrato: the negative entries by
    their description (of the period block, when the table has it). Totals are positive
    amounts spent; `by` picks another grouping column.
    """
    schema = _schema(frame, "spending_by_type")
    frame = _without_repeated_blocks(frame)
    amounts, currency = _signed_amounts(frame, schema)
    group = by or ("type" if "type" in frame.columns else _first_present(frame, _EXTRATO_LABELS))
    if group is None or group not in frame.columns:
        raise DataError(
            f"spending_by_type needs a column to group by; pass by=... (one of {list(frame.columns)[:12]}).",
            field=str(by),
        )
    spent = frame.assign(_amount=-amounts, _currency=currency)[amounts < 0]
    result = _grouped(spent, group)
    return _with_plot(result, plot, ax, _plot_spending)


@overload
def boleto_status_counts(
    frame: pd.DataFrame, *, plot: Literal[False] = ..., ax: Any = ...
) -> pd.DataFrame: ...
@overload
def boleto_status_counts(
    frame: pd.DataFrame, *, plot: Literal[True], ax: Any = ...
) -> tuple[pd.DataFrame, Any]: ...
def boleto_status_counts(frame: pd.DataFrame, *, plot: bool = False, ax: Any = None) -> Any:
    """How many titles (or charges) per status: columns `status, count, total`, most first.

    Works on any table with a status column (boleto registration, query or pending list; Pix
    charges too). `total` is the exact sum of the table's amount column per status.
    """
    import pandas as pd

    status = _first_present(frame, _STATUS_COLUMNS)
    if status is None:
        raise DataError(
            "boleto_status_counts needs a status column (status10, status, STATUS, ...): "
            "tabulate boleto registrations, queries or pending lists.",
            field="status",
        )
    schema = KINDS.get(frame.attrs.get(KIND_ATTR, ""))
    amount = schema.amount_column if schema else None
    rows = frame.assign(_status=frame[status].astype("str").where(frame[status].notna(), "(none)"))
    counts = rows.groupby("_status", sort=True).size().rename("count")
    result = counts.reset_index().rename(columns={"_status": "status"})
    if amount in frame.columns:
        totals = rows.groupby("_status", sort=True)[amount].sum()
        result["total"] = pd.Series(totals.to_numpy(), dtype=_arrow_total())
    result = result.sort_values(["count", "status"], ascending=[False, True], kind="stable")
    return _with_plot(result.reset_index(drop=True), plot, ax, _plot_statuses)


# -- helpers ---------------------------------------------------------------------------------------


def _schema(frame: Any, what: str) -> Schema:
    schema = KINDS.get(frame.attrs.get(KIND_ATTR, ""))
    if schema is None or schema.date_column is None or schema.amount_column is None:
        raise DataError(
            f"{what} needs a table from to_frame with dates and amounts (Open Finance "
            "transactions or balances, extrato); this one is "
            f"{frame.attrs.get(KIND_ATTR, 'not from to_frame')!r}.",
            field=KIND_ATTR,
        )
    return schema


def _without_repeated_blocks(frame: Any) -> Any:
    """An extrato's period block alone: the last-entries and future blocks repeat its rows."""
    if "bloco" not in frame.columns:
        return frame
    period = frame["bloco"] == "Por Periodo"
    return frame[period] if period.any() else frame


def _first_present(frame: Any, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in frame.columns and frame[n].notna().any()), None)


def _signed_amounts(frame: Any, schema: Schema) -> tuple[Any, Any]:
    """The amount column with debits negative, and the currency of each row."""
    import pandas as pd

    amount = str(schema.amount_column)
    values = frame[amount].astype(_arrow_total())
    direction = schema.direction_column
    if direction and direction in frame.columns:
        debit = frame[direction].astype("str").isin(_DEBIT_CODES)
        values = values.where(~debit, -values)
    currency_column = f"{amount}.currency"
    if currency_column in frame.columns:
        currency = frame[currency_column].astype("str")
    else:
        currency = pd.Series("BRL", index=frame.index, dtype="str")
    return values, currency


def _days(frame: Any, schema: Schema) -> Any:
    dates = frame[str(schema.date_column)]
    return dates.dt.tz_convert(BANK_TIMEZONE).dt.normalize()


def _running_totals(frame: Any, schema: Schema) -> Any:
    amounts, currency = _signed_amounts(frame, schema)
    rows = frame.assign(date=_days(frame, schema), currency=currency, net=amounts)
    rows = rows[rows["date"].notna() & rows["net"].notna()]
    daily = rows.groupby(["currency", "date"], sort=True)["net"].sum().reset_index()
    daily["balance"] = _cumulative(daily)
    return _balance_frame(daily)


def _snapshots(frame: Any, schema: Schema, column: str) -> Any:
    import pandas as pd

    currency_column = f"{column}.currency"
    currency = frame[currency_column].astype("str") if currency_column in frame.columns else "BRL"
    moment = frame[str(schema.date_column)]
    rows = frame.assign(
        date=_days(frame, schema), moment=moment, currency=currency, balance=frame[column]
    )
    rows = rows[rows["date"].notna() & rows["balance"].notna()]
    # the day's balance is its latest snapshot by time, whatever order the pages came in
    rows = rows.sort_values("moment", kind="stable")
    daily = rows.groupby(["currency", "date"], sort=True).tail(1)
    daily = daily.sort_values(["currency", "date"], kind="stable")[["currency", "date", "balance"]]
    daily = daily.reset_index(drop=True)
    daily["balance"] = daily["balance"].astype(_arrow_total())
    previous = daily.groupby("currency", sort=True)["balance"].shift(1)
    daily["net"] = pd.Series(
        [
            b - p if p is not None and not pd.isna(p) else None
            for b, p in zip(daily["balance"], previous, strict=True)
        ],
        dtype=_arrow_total(),
    )
    return _balance_frame(daily)


def _cumulative(daily: Any) -> Any:
    """Exact running sums per currency (Arrow has no decimal cumsum; days are few)."""
    import pandas as pd

    running: dict[str, Decimal] = {}
    values = []
    for currency, net in zip(daily["currency"], daily["net"], strict=True):
        running[currency] = running.get(currency, Decimal(0)) + Decimal(str(net))
        values.append(running[currency])
    return pd.Series(values, index=daily.index, dtype=_arrow_total())


def _balance_frame(daily: Any) -> Any:
    result = daily[["date", "currency", "net", "balance"]]
    return result.sort_values(["currency", "date"], kind="stable").reset_index(drop=True)


def _grouped(rows: Any, group: str) -> Any:
    import pandas as pd

    keys = rows.assign(_group=rows[group].astype("str"))
    grouped = keys.groupby(["_group", "_currency"], sort=True)["_amount"]
    result = pd.DataFrame({"total": grouped.sum(), "count": grouped.size()}).reset_index()
    result = result.rename(columns={"_group": group, "_currency": "currency"})
    result["total"] = result["total"].astype(_arrow_total())
    result = result.sort_values(["total", group], ascending=[False, True], kind="stable")
    return result[[group, "currency", "total", "count"]].reset_index(drop=True)


def _arrow_total() -> Any:
    import pandas as pd
    import pyarrow as pa

    return pd.ArrowDtype(pa.decimal128(38, 4))


def _with_plot(result: Any, plot: bool, ax: Any, draw: Any) -> Any:
    if not plot:
        return result
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    draw(result, ax)
    return result, ax


def _plot_balance(result: Any, ax: Any) -> None:
    for currency, part in result.groupby("currency", sort=True):
        ax.plot(part["date"], part["balance"].astype("float64"), marker=".", label=str(currency))
    ax.set_title("Balance at the end of each day")
    ax.set_ylabel("balance")
    ax.legend()


def _plot_spending(result: Any, ax: Any) -> None:
    group = result.columns[0]
    labels = [f"{g} ({c})" for g, c in zip(result[group], result["currency"], strict=True)]
    ax.barh(labels[::-1], result["total"].astype("float64").to_numpy()[::-1])
    ax.set_title(f"Spending by {group}")
    ax.set_xlabel("total spent")


def _plot_statuses(result: Any, ax: Any) -> None:
    ax.bar(result["status"].astype("str"), result["count"])
    ax.set_title("Titles by status")
    ax.set_ylabel("count")
