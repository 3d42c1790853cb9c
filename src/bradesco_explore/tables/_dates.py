"""Dates and instants, timezone-aware, checked before they are converted.

Accepted values:
- RFC 3339 instants, with or without fractional seconds, `Z` or an offset
  (`2024-01-29T12:29:03.374Z`, `2024-01-29T09:29:03-03:00`);
- calendar dates `YYYY-MM-DD`, `dd.MM.yyyy`, `dd/MM/yyyy` and `DDMMYYYY` (also as a JSON
  number, which loses a leading zero: `1062017` is 1 June 2017); a column can ask for
  `YYYYMMDD` instead.

A date alone means **midnight in America/Sao_Paulo** (the bank's calendar), so `DATE` columns
have dtype `datetime64[ns, America/Sao_Paulo]`; `DATETIME` columns are `datetime64[ns, UTC]`
(a date alone there is that same Sao Paulo midnight, as a UTC instant). In the Bradesco
mainframe layouts a date of all zeros (`0`, `00000000`) or blank means "no date", so in `DATE`
columns it becomes missing (NaT); `DATETIME` columns are strict. Anything else that is not a real date between 1900 and 2199 raises a
`DataError` naming the cell.
"""

from __future__ import annotations

from typing import Any

from ._cells import RawColumn, Rows, as_text, first_true, malformed, value_at

__all__ = ["BANK_TIMEZONE", "parse_date", "parse_datetime"]

BANK_TIMEZONE = "America/Sao_Paulo"

_RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|z|[+-]\d{2}:\d{2})$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_DOTTED = r"^(\d{2})\.(\d{2})\.(\d{4})$"
_SLASHED = r"^(\d{2})/(\d{2})/(\d{4})$"
_COMPACT = r"^\d{7,8}$"
_ZERO = r"^0+$"
_EXPECTED_DATE = "a date (YYYY-MM-DD, dd.MM.yyyy, dd/MM/yyyy or DDMMYYYY) or an RFC 3339 date-time"
_EXPECTED_INSTANT = "an RFC 3339 date-time (such as '2024-01-29T12:29:03.374Z') or a date"
_FIRST_YEAR, _LAST_YEAR = 1900, 2199


def parse_datetime(raw: RawColumn, *, column: str, rows: Rows, compact: str = "dmy") -> Any:
    """Raw values -> a pandas Series of `datetime64[ns, UTC]`."""
    return _parse(raw, column=column, rows=rows, compact=compact, timezone="UTC")


def parse_date(raw: RawColumn, *, column: str, rows: Rows, compact: str = "dmy") -> Any:
    """Raw values -> a pandas Series of `datetime64[ns, America/Sao_Paulo]`."""
    return _parse(raw, column=column, rows=rows, compact=compact, timezone=BANK_TIMEZONE)


def _parse(raw: RawColumn, *, column: str, rows: Rows, compact: str, timezone: str) -> Any:
    import pyarrow.compute as pc

    expected = _EXPECTED_INSTANT if timezone == "UTC" else _EXPECTED_DATE
    text = as_text(raw, column=column, expected=expected, rows=rows, numbers="plain")
    if timezone != "UTC":
        text = _blank_and_zero_as_missing(text)
    instant = pc.fill_null(pc.match_substring_regex(text, _RFC3339), False)
    iso_days = _only_dates(text, instant, compact)
    readable = pc.if_else(instant, text, iso_days)
    row = first_true(pc.and_(pc.is_valid(text), pc.is_null(readable)))
    if row is not None:
        raise malformed(column, row, value_at(raw, row), expected, rows)
    row = first_true(_implausible_year(readable))
    if row is not None:
        raise malformed(column, row, value_at(raw, row), f"{expected} between 1900 and 2199", rows)
    result = _combine(_instants(pc.if_else(instant, text, None)), _midnights(iso_days), instant)
    result = result.dt.tz_convert(timezone)
    row = first_true(pc.and_(pc.is_valid(readable), _as_arrow_mask(result.isna())))
    if row is not None:
        raise malformed(
            column, row, value_at(raw, row), f"{expected} that exists on the calendar", rows
        )
    return result


def _implausible_year(readable: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    year = pc.utf8_slice_codeunits(readable, 0, 4).cast(pa.int32())
    return pc.or_(pc.less(year, _FIRST_YEAR), pc.greater(year, _LAST_YEAR))


def _combine(instants: Any, midnights: Any, instant: Any) -> Any:
    """Instants where the value was RFC 3339, Sao Paulo midnights (as UTC) elsewhere."""
    return midnights.where(~instant.to_numpy(zero_copy_only=False), instants)


def _as_arrow_mask(series: Any) -> Any:
    import pyarrow as pa

    return pa.array(series.to_numpy(dtype=bool))


def _blank_and_zero_as_missing(text: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    trimmed = pc.utf8_trim_whitespace(text)
    empty = pc.or_(pc.equal(trimmed, ""), pc.match_substring_regex(trimmed, _ZERO))
    return pc.if_else(empty, pa.scalar(None, pa.string()), trimmed)


def _only_dates(text: Any, instant: Any, compact: str) -> Any:
    """`_to_iso_days` of the values that are not RFC 3339 instants (null elsewhere)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    others = pc.and_(pc.is_valid(text), pc.invert(instant))
    selected = pc.filter(text, others)
    base = pa.nulls(len(text), pa.string())
    if len(selected) == 0:
        return base
    return pc.replace_with_mask(base, others, _to_iso_days(selected, compact))


def _to_iso_days(text: Any, compact: str) -> Any:
    """Every date-only spelling rewritten as `YYYY-MM-DD` (null where the value is not one)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    result = pc.if_else(pc.match_substring_regex(text, _ISO_DATE), text, None)
    for pattern in (_DOTTED, _SLASHED):
        rewritten = pc.replace_substring_regex(text, pattern, r"\3-\2-\1")
        result = pc.if_else(pc.match_substring_regex(text, pattern), rewritten, result)
    padded = pc.utf8_lpad(text, 8, "0")
    order = r"\3-\2-\1" if compact == "dmy" else r"\1-\2-\3"
    split = r"^(\d{2})(\d{2})(\d{4})$" if compact == "dmy" else r"^(\d{4})(\d{2})(\d{2})$"
    rewritten = pc.replace_substring_regex(padded, split, order)
    result = pc.if_else(pc.match_substring_regex(text, _COMPACT), rewritten, result)
    return result.cast(pa.string())


def _instants(text: Any) -> Any:
    """RFC 3339 strings -> `datetime64[ns, UTC]` (NaT where null or not a real instant)."""
    import pandas as pd

    values = pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)
    if text.null_count == len(text):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    parsed = pd.to_datetime(values, format="ISO8601", utc=True, errors="coerce")
    return parsed.astype("datetime64[ns, UTC]")


def _midnights(iso_days: Any) -> Any:
    """`YYYY-MM-DD` strings -> midnight in Sao Paulo, as `datetime64[ns, UTC]`."""
    import pandas as pd

    values = pd.Series(iso_days.to_numpy(zero_copy_only=False), dtype=object)
    if iso_days.null_count == len(iso_days):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    naive = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    local = naive.dt.tz_localize(BANK_TIMEZONE, nonexistent="shift_forward", ambiguous="NaT")
    return local.dt.tz_convert("UTC")
