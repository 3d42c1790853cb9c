"""Where a bad value sits, how to show it safely, and raw values as Arrow text.

Every typed column starts from the raw JSON values of one field, held either as a
`pyarrow.Array` (the fast path: all records agreed on the field's JSON type) or as a Python
list (the values disagreed, say a number in some records and a string in others). The
parsers work on Arrow string arrays; `as_text` gets them there, refusing JSON types that
cannot be what the column holds.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .._secret import redact
from ..errors import DataError

__all__ = ["RawColumn", "Rows", "as_text", "describe", "first_true", "malformed"]

RawColumn = Any
"""A `pyarrow.Array` of one field's raw values, or a Python list when their types disagree."""

_LONG_DIGITS = re.compile(r"\d[\d./-]{9,}\d")
_MAX_SHOWN = 40
_FLOAT_DIGITS = 15  # every decimal of up to 15 significant digits survives a double


@dataclass(frozen=True)
class Rows:
    """Maps a row of the final table back to the page and record it came from."""

    page_sizes: tuple[int, ...] = ()

    def where(self, row: int) -> str:
        """`row 1503 (page 2, record 503)`, or `row 7` for a single page."""
        if len(self.page_sizes) <= 1:
            return f"row {row}"
        starts = []
        total = 0
        for size in self.page_sizes:
            starts.append(total)
            total += size
        page = bisect.bisect_right(starts, row) - 1
        while page > 0 and self.page_sizes[page] == 0:
            page -= 1
        return f"row {row} (page {page + 1}, record {row - starts[page]})"


def describe(value: object) -> str:
    """A value as an error message may show it: short, secrets and long digit runs masked.

    A run of ten or more digits could be a CPF, CNPJ or account number, so it is shown as
    `*` except its last two digits.
    """
    text = value if isinstance(value, str) else repr(value)
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN] + "…"
    text = _LONG_DIGITS.sub(lambda m: re.sub(r"\d", "*", m.group(0)[:-2]) + m.group(0)[-2:], text)
    return repr(redact(text)) if isinstance(value, str) else redact(text)


def malformed(column: str, row: int | None, value: object, expected: str, rows: Rows) -> DataError:
    """The `DataError` for one bad cell: which column, which row, what value, what was expected.

    `row` is None when the row cannot be told (an object whose fields were all null).
    """
    where = f", {rows.where(row)}" if row is not None else ""
    return DataError(
        f"Column {column!r}{where}: {describe(value)} is not {expected}. "
        "The response does not follow the documented format; check the API version, or "
        "pass kind=... if the table kind was guessed wrong.",
        field=column,
    )


def first_true(mask: Any) -> int | None:
    """Index of the first true value of an Arrow boolean array (nulls count as false)."""
    import pyarrow.compute as pc

    positions = pc.indices_nonzero(pc.fill_null(mask, False))
    return int(positions[0].as_py()) if len(positions) else None


def value_at(raw: RawColumn, row: int) -> object:
    """The raw value at `row` (Arrow or list)."""
    if isinstance(raw, list):
        return raw[row]
    return raw[row].as_py()


def as_text(
    raw: RawColumn,
    *,
    column: str,
    expected: str,
    rows: Rows,
    numbers: str = "refuse",
    exact: bool = False,
) -> Any:
    """The raw values as an Arrow string array; objects, arrays and booleans are refused.

    `numbers` says what JSON numbers become: `"refuse"` (a `DataError`), `"plain"` (their
    decimal text, `80` -> `"80"`, `10.5` -> `"10.5"`, `1e10` -> `"10000000000"`) or `"ptbr"`
    (the same with a decimal comma, so that a pt-BR parser reads them as the same value).
    `exact=True` (amounts) also refuses a JSON number with more than 15 significant digits:
    it was rounded to a binary float when the JSON was parsed, so its digits are not the
    ones the server sent.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(raw, list):
        texts = _texts_of_list(raw, column, expected, rows, numbers, exact)
        return pa.array(texts, type=pa.string())
    kind = raw.type
    if pa.types.is_null(kind):
        return pa.nulls(len(raw), pa.string())
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return raw.cast(pa.string())
    if pa.types.is_floating(kind) and numbers != "refuse":
        # Arrow writes 1.5e10 as "1.5e+10"; Python's shortest repr, expanded, reads back
        texts = _texts_of_list(raw.to_pylist(), column, expected, rows, numbers, exact)
        return pa.array(texts, type=pa.string())
    if pa.types.is_integer(kind) and numbers != "refuse":
        text = pc.cast(raw, pa.string())
        return pc.replace_substring(text, ".", ",") if numbers == "ptbr" else text
    row = first_true(pc.is_valid(raw))
    if row is None:
        return pa.nulls(len(raw), pa.string())
    raise malformed(column, row, value_at(raw, row), expected, rows)


def _texts_of_list(
    values: Sequence[object], column: str, expected: str, rows: Rows, numbers: str, exact: bool
) -> list[str | None]:
    texts: list[str | None] = []
    for row, value in enumerate(values):
        texts.append(_text_of(value, row, column, expected, rows, numbers, exact))
    return texts


def _text_of(
    value: object, row: int, column: str, expected: str, rows: Rows, numbers: str, exact: bool
) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or numbers == "refuse":
        raise malformed(column, row, value, expected, rows)
    text = (
        _float_text(value, row, column, expected, rows, exact)
        if isinstance(value, float)
        else str(value)
    )
    return text.replace(".", ",") if numbers == "ptbr" else text


def _float_text(value: float, row: int, column: str, expected: str, rows: Rows, exact: bool) -> str:
    """A float's shortest decimal text, without an exponent (`1e10` -> `10000000000`)."""
    if not math.isfinite(value):
        raise malformed(column, row, value, expected, rows)
    shortest = Decimal(repr(value))
    if exact and len(shortest.normalize().as_tuple().digits) > _FLOAT_DIGITS:
        raise malformed(
            column, row, value, f"{expected}, exactly: a JSON number with more than "
            f"{_FLOAT_DIGITS} significant digits loses digits in a binary float (ask for the "
            "amount as a string)", rows,
        )  # fmt: skip
    text = format(shortest, "f")
    return text[:-2] if text.endswith(".0") else text
