"""Raw columns + a schema -> a typed pandas DataFrame, in a stable column order.

Order: the schema's columns first, in schema order and always present (all missing when no
record has the field); a money column is followed by its `<name>.currency`; then every other
field, alphabetically. Fields the schema does not list are still typed where their shape or
name leaves no doubt: `{amount, currency}` objects are money, CPF/CNPJ fields are masked, a
Pix `chave` is a Pix key, and in Open Finance payloads `...DateTime`/`...Date` are dates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._amounts import apply_sign, decimal_type, parse_amount
from ._cells import RawColumn, Rows, as_text, first_true, malformed, value_at
from ._dates import parse_date, parse_datetime
from ._documents import is_document_field, mask_documents, mask_embedded, mask_json, mask_pix_keys
from ._schema import AMOUNT_TYPES, Column, ColumnType, Schema

__all__ = ["KIND_ATTR", "build_frame"]

KIND_ATTR = "bradesco_explore.kind"
"""Key of `DataFrame.attrs` holding the table kind `to_frame` used."""

_CURRENCY = r"^[A-Z]{3}$"
_INTEGER = r"^-?\d{1,18}$"


@dataclass(frozen=True)
class _Context:
    """What every column builder needs besides its own values."""

    raw: Mapping[str, RawColumn]
    count: int
    rows: Rows
    mask: bool


def build_frame(
    raw: dict[str, RawColumn], count: int, schema: Schema, *, mask: bool, rows: Rows
) -> Any:
    """The typed DataFrame for `count` records whose fields are `raw` (see the module docstring)."""
    import pandas as pd

    raw = _merge_aliases(raw, schema)
    money = _collapse_money(raw)
    context = _Context(raw=raw, count=count, rows=rows, mask=mask)
    columns: dict[str, Any] = {}
    used: set[str] = set()
    for column in schema.columns:
        _add_column(columns, column, context)
        used.update((column.name, f"{column.name}.currency"))
    for name in sorted(set(raw) - used):
        if name.endswith(".currency") and name[: -len(".currency")] in money:
            continue
        _add_column(columns, _inferred(name, schema, money), context)
    frame = pd.DataFrame(columns, index=pd.RangeIndex(count))
    frame.attrs[KIND_ATTR] = schema.kind
    return frame


def _merge_aliases(raw: dict[str, RawColumn], schema: Schema) -> dict[str, RawColumn]:
    """Fold misspelt fields (`sinalLacamento`) into their column; the proper spelling wins."""
    merged = dict(raw)
    for column in schema.columns:
        for alias in column.aliases:
            if alias in merged:
                merged[column.name] = _coalesce(merged.get(column.name), merged.pop(alias))
    return merged


def _coalesce(first: RawColumn | None, second: RawColumn) -> RawColumn:
    if first is None:
        return second
    left, right = _as_list(first), _as_list(second)
    return [a if a is not None else b for a, b in zip(left, right, strict=True)]


def _as_list(raw: RawColumn) -> list[Any]:
    return raw if isinstance(raw, list) else raw.to_pylist()


def _collapse_money(raw: dict[str, RawColumn]) -> set[str]:
    """`P.amount` + `P.currency` (and nothing else under `P.`) becomes money column `P`."""
    money: set[str] = set()
    for name in [n for n in raw if n.endswith(".amount")]:
        parent = name[: -len(".amount")]
        children = {n for n in raw if n.startswith(f"{parent}.")}
        if children == {name, f"{parent}.currency"} and parent not in raw:
            raw[parent] = raw.pop(name)
            money.add(parent)
    return money


def _inferred(name: str, schema: Schema, money: set[str]) -> Column:
    last = name.rsplit(".", 1)[-1]
    if name in money:
        return Column(name, ColumnType.MONEY)
    if is_document_field(name):
        return Column(name, ColumnType.DOCUMENT)
    if last == "chave":
        return Column(name, ColumnType.PIX_KEY)
    if schema.infer_by_name and last.endswith("DateTime"):
        return Column(name, ColumnType.DATETIME)
    if schema.infer_by_name and last.endswith("Date"):
        return Column(name, ColumnType.DATE)
    return Column(name, ColumnType.RAW)


def _add_column(columns: dict[str, Any], column: Column, context: _Context) -> None:
    if column.type is not ColumnType.RAW:
        _refuse_objects(column, context)
    raw = context.raw.get(column.name)
    if raw is None:
        raw = _missing(context.count)
    builder = _BUILDERS[column.type]
    columns[column.name] = builder(raw, column, context)
    if column.type is ColumnType.MONEY:
        currency = context.raw.get(f"{column.name}.currency", _missing(context.count))
        columns[f"{column.name}.currency"] = _currency(currency, column.name, context)


def _refuse_objects(column: Column, context: _Context) -> None:
    """A typed field that arrived as a JSON object was flattened into `name.child` columns:
    refuse it rather than show the column as missing (even when the object's fields are all
    null, and so no row can be named)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    own = {f"{column.name}.currency"} if column.type is ColumnType.MONEY else set()
    children = [n for n in context.raw if n.startswith(f"{column.name}.") and n not in own]
    if not children:
        return
    present = pa.array([False] * context.count)
    for child in children:
        raw = context.raw[child]
        valid = (
            pa.array([v is not None for v in raw]) if isinstance(raw, list) else pc.is_valid(raw)
        )
        present = pc.or_(present, valid)
    row = first_true(present)
    shown = {
        c[len(column.name) + 1 :]: None if row is None else value_at(context.raw[c], row)
        for c in children
    }
    expected = f"a {column.type.value} value (not an object)"
    raise malformed(column.name, row, shown, expected, context.rows)


def _missing(count: int) -> Any:
    import pyarrow as pa

    return pa.nulls(count)


def _text(raw: RawColumn, column: Column, context: _Context) -> Any:
    text = as_text(raw, column=column.name, expected="text", rows=context.rows, numbers="plain")
    return _string_series(mask_embedded(text) if context.mask else text)


def _string_series(text: Any) -> Any:
    import pandas as pd

    return pd.Series(text.to_pandas(), dtype="str")


def _enum(raw: RawColumn, column: Column, context: _Context) -> Any:
    text = as_text(
        raw, column=column.name, expected="a code (text)", rows=context.rows, numbers="plain"
    )
    return _categorical(text, column.values)


def _categorical(text: Any, known: tuple[str, ...]) -> Any:
    """Categories: the known codes in spec order, then any other code seen, sorted."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    encoded = text.dictionary_encode()
    seen = encoded.dictionary.to_pylist()
    categories = list(known) + sorted(set(seen) - set(known))
    position = {value: i for i, value in enumerate(categories)}
    mapping = np.array([position[value] for value in seen] + [-1], dtype=np.int64)
    indices = pc.fill_null(encoded.indices, len(seen)).to_numpy(zero_copy_only=False)
    codes = mapping[indices]
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories))


def _amount(raw: RawColumn, column: Column, context: _Context) -> Any:
    values = parse_amount(
        raw,
        kind=column.type,
        column=column.name,
        rows=context.rows,
        nonnegative=column.nonnegative,
    )
    for sign_column in column.sign:
        if sign_column in context.raw:
            values = apply_sign(
                values,
                context.raw[sign_column],
                column=column.name,
                sign_column=sign_column,
                rows=context.rows,
            )
            break
    return _decimal_series(values)


def _decimal_series(values: Any) -> Any:
    import pandas as pd

    return pd.Series(pd.arrays.ArrowExtensionArray(values.cast(decimal_type())))


def _currency(raw: RawColumn, money_column: str, context: _Context) -> Any:
    import pyarrow.compute as pc

    name = f"{money_column}.currency"
    expected = "a currency code (three capital letters, such as 'BRL')"
    text = as_text(raw, column=name, expected=expected, rows=context.rows)
    row = first_true(pc.invert(pc.match_substring_regex(text, _CURRENCY)))
    if row is not None:
        raise malformed(name, row, value_at(raw, row), expected, context.rows)
    return _categorical(text, ())


def _datetime(raw: RawColumn, column: Column, context: _Context) -> Any:
    return parse_datetime(raw, column=column.name, rows=context.rows, compact=column.compact)


def _date(raw: RawColumn, column: Column, context: _Context) -> Any:
    return parse_date(raw, column=column.name, rows=context.rows, compact=column.compact)


def _integer(raw: RawColumn, column: Column, context: _Context) -> Any:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    expected = "a whole number"
    text = as_text(raw, column=column.name, expected=expected, rows=context.rows, numbers="plain")
    row = first_true(pc.invert(pc.match_substring_regex(text, _INTEGER)))
    if row is not None:
        raise malformed(column.name, row, value_at(raw, row), expected, context.rows)
    return pd.Series(text.cast(pa.int64()).to_pandas(types_mapper=_nullable_types))


def _document(raw: RawColumn, column: Column, context: _Context) -> Any:
    text = as_text(
        raw, column=column.name, expected="a CPF or CNPJ", rows=context.rows, numbers="plain"
    )
    if context.mask:
        text = mask_pix_keys(text) if column.type is ColumnType.PIX_KEY else mask_documents(text)
    return _string_series(text)


def _list(raw: RawColumn, column: Column, context: _Context) -> Any:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(raw, list):
        row = next(
            (i for i, v in enumerate(raw) if v is not None and not isinstance(v, list)), None
        )
        if row is not None:
            raise malformed(column.name, row, raw[row], "a list", context.rows)
        return pd.Series(raw, dtype=object)
    if pa.types.is_null(raw.type):
        return pd.Series([None] * len(raw), dtype=object)
    if not (pa.types.is_list(raw.type) or pa.types.is_large_list(raw.type)):
        row = first_true(pc.is_valid(raw)) or 0
        raise malformed(column.name, row, value_at(raw, row), "a list", context.rows)
    return pd.Series(raw.to_pylist(), dtype=object)


def _untyped(raw: RawColumn, column: Column, context: _Context) -> Any:
    """A field no rule types: JSON strings, integers, booleans and lists keep their kind."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(raw, list):
        return pd.Series(_masked_list(raw, column.name) if context.mask else raw, dtype=object)
    if pa.types.is_null(raw.type):
        return pd.Series([None] * len(raw), dtype=object)
    if pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type):
        return _string_series(mask_embedded(raw) if context.mask else raw)
    if pa.types.is_nested(raw.type):
        values = raw.to_pylist()
        masked = _masked_list(values, column.name) if context.mask else values
        return pd.Series(masked, dtype=object)
    return pd.Series(raw.to_pandas(types_mapper=_nullable_types))


def _masked_list(values: list[Any], name: str) -> list[Any]:
    """Values of mixed JSON types in column `name`, masked as `mask_json` masks that field."""
    return [mask_json(v, name) for v in values]


def _nullable_types(arrow_type: Any) -> Any:
    """Integers stay exact with missing values (`Int64`, never float64)."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_signed_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_unsigned_integer(arrow_type):
        return pd.UInt64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


_Builder = Callable[[RawColumn, Column, _Context], Any]
_BUILDERS: dict[str, _Builder] = {
    ColumnType.TEXT: _text,
    ColumnType.ENUM: _enum,
    ColumnType.DATETIME: _datetime,
    ColumnType.DATE: _date,
    ColumnType.INTEGER: _integer,
    ColumnType.DOCUMENT: _document,
    ColumnType.PIX_KEY: _document,
    ColumnType.LIST: _list,
    ColumnType.RAW: _untyped,
    **{amount: _amount for amount in AMOUNT_TYPES},
}
