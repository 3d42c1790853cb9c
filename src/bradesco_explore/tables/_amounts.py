"""Amounts, read exactly: every money column is an Arrow `decimal128(19, 4)`.

Nothing passes through a binary float. Each format is checked against its pattern first, so
a value that does not match raises a `DataError` naming the cell instead of becoming a wrong
number; then Arrow casts the text to a decimal, which is exact. Sums of such a column (and
`groupby(...).sum()`) are exact `decimal.Decimal` values; 19 digits with 4 decimals holds
every Open Finance amount (`^-?\\d{1,15}\\.\\d{2,4}$`).

Formats:
- Open Finance `amount` strings, `"1000.0400"`: strict, strings only;
- plain decimals (Pix `valor`), `"10.50"`, `"10"`; JSON numbers are read by their decimal text;
- pt-BR strings (Saldo, Extrato), `"1.580,12"`, `"-1.580,12"`, `"80"`; blank means missing;
- integer cents (boleto), `15000` -> `150.0000`; blank means missing.

A sign column (`sinal...`: `+`/`-`, `C`/`D`) makes the amount negative on `-`/`D`. An amount
that already carries a minus sign stays negative under `-`/`D`, and is refused under `+`/`C`
(the two disagree, so neither reading can be trusted).
"""

from __future__ import annotations

from typing import Any

from ._cells import RawColumn, Rows, as_text, first_true, malformed, value_at
from ._schema import ColumnType

__all__ = ["PRECISION", "SCALE", "apply_sign", "decimal_type", "parse_amount"]

PRECISION = 19
SCALE = 4

_OPEN_FINANCE = r"^-?\d{1,15}\.\d{2,4}$"
_PLAIN = r"^-?\d{1,15}(\.\d{1,4})?$"
_PTBR = r"^[+-]?(\d{1,3}(\.\d{3}){1,4}|\d{1,15})(,\d{1,4})?$"
_CENTS = r"^-?\d{1,17}$"

_EXPECTED = {
    ColumnType.MONEY: "an Open Finance amount (a string such as '1000.04': digits, a dot, 2 to 4 decimals)",
    ColumnType.DECIMAL: "a decimal amount (such as '10.50')",
    ColumnType.PTBR: "a pt-BR amount (such as '1.580,12' or '-80')",
    ColumnType.CENTS: "an amount in integer cents (such as 15000 for R$ 150,00)",
}
_SIGN_VALUES = ("+", "-", "C", "D")


def decimal_type() -> Any:
    """The Arrow type of every amount column: `decimal128(19, 4)`."""
    import pyarrow as pa

    return pa.decimal128(PRECISION, SCALE)


def parse_amount(
    raw: RawColumn, *, kind: ColumnType, column: str, rows: Rows, nonnegative: bool = False
) -> Any:
    """Raw values of one amount column -> an Arrow decimal array (missing stays missing)."""
    expected = _EXPECTED[kind]
    numbers = {ColumnType.MONEY: "refuse", ColumnType.PTBR: "ptbr"}.get(kind, "plain")
    text = as_text(raw, column=column, expected=expected, rows=rows, numbers=numbers, exact=True)
    if kind in (ColumnType.PTBR, ColumnType.CENTS):
        text = _blank_as_missing(text)
    pattern = {
        ColumnType.MONEY: _OPEN_FINANCE,
        ColumnType.DECIMAL: _PLAIN,
        ColumnType.PTBR: _PTBR,
        ColumnType.CENTS: _CENTS,
    }[kind]
    _check_pattern(text, pattern, column=column, expected=expected, rows=rows)
    canonical = {ColumnType.PTBR: _ptbr_to_plain, ColumnType.CENTS: _cents_to_plain}.get(
        kind, lambda t: t
    )(text)
    values = _to_decimal(canonical, text, column=column, expected=expected, rows=rows)
    if nonnegative:
        _check_nonnegative(values, text, column=column, rows=rows)
    return values


def apply_sign(values: Any, signs: RawColumn, *, column: str, sign_column: str, rows: Rows) -> Any:
    """`values` negated where the sign column says `-` or `D` (see the module docstring)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    expected = "a sign ('+', '-', 'C' or 'D')"
    text = as_text(signs, column=sign_column, expected=expected, rows=rows)
    code = pc.utf8_upper(pc.utf8_trim_whitespace(text))
    bad = pc.and_(pc.is_valid(code), pc.invert(pc.is_in(code, pa.array(("", *_SIGN_VALUES)))))
    row = first_true(bad)
    if row is not None:
        raise malformed(sign_column, row, value_at(signs, row), expected, rows)
    negative = pc.fill_null(pc.is_in(code, pa.array(["-", "D"])), False)
    positive = pc.fill_null(pc.is_in(code, pa.array(["+", "C"])), False)
    below_zero = pc.fill_null(pc.less(values, pa.scalar(0, values.type)), False)
    row = first_true(pc.and_(positive, below_zero))
    if row is not None:
        raise malformed(
            column,
            row,
            values[row].as_py(),
            f"consistent with its sign {value_at(signs, row)!r} in {sign_column!r}",
            rows,
        )
    flip = pc.and_(negative, pc.invert(below_zero))
    return pc.if_else(flip, pc.negate(values), values)


def _blank_as_missing(text: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(text)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _check_pattern(text: Any, pattern: str, *, column: str, expected: str, rows: Rows) -> None:
    import pyarrow.compute as pc

    row = first_true(pc.invert(pc.match_substring_regex(text, pattern)))
    if row is not None:
        raise malformed(column, row, text[row].as_py(), expected, rows)


def _ptbr_to_plain(text: Any) -> Any:
    import pyarrow.compute as pc

    return pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")


def _cents_to_plain(text: Any) -> Any:
    """`"15000"` -> `"150.00"`, `"-5"` -> `"-0.05"`: the decimal point moved, digit for digit."""
    import pyarrow.compute as pc

    negative = pc.starts_with(text, "-")
    digits = pc.utf8_lpad(pc.utf8_ltrim(text, "-"), 3, "0")
    plain = pc.replace_substring_regex(digits, r"^(\d+)(\d\d)$", r"\1.\2")
    return pc.if_else(negative, pc.binary_join_element_wise("-", plain, ""), plain)


def _to_decimal(canonical: Any, text: Any, *, column: str, expected: str, rows: Rows) -> Any:
    import pyarrow as pa

    try:
        return canonical.cast(decimal_type())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        row = _first_uncastable(canonical)
        raise malformed(
            column, row, text[row].as_py(), f"{expected} within 15 integer digits", rows
        ) from None


def _first_uncastable(canonical: Any) -> int:
    import pyarrow as pa

    for row in range(len(canonical)):
        try:
            canonical.slice(row, 1).cast(decimal_type())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return row
    return 0


def _check_nonnegative(values: Any, text: Any, *, column: str, rows: Rows) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    row = first_true(pc.less(values, pa.scalar(0, values.type)))
    if row is not None:
        raise malformed(
            column, row, text[row].as_py(), "a non-negative amount (the spec forbids a sign)", rows
        )
