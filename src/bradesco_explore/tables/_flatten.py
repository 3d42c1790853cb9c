"""Records -> raw columns: nested objects become `parent.child` columns.

The fast path hands the whole list to Arrow, which infers one type per field in C++ and
flattens structs level by level. When the records disagree on a field's JSON type (a number
in one, a string in another) Arrow refuses, and a plain Python walk does the same job; the
fields whose values still disagree are kept as Python lists for the typed parsers to judge.
Arrays stay whole: a list of objects is one cell; so does an empty object `{}` (Arrow would
drop it, and a field must not vanish without a trace).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import DataError
from ._cells import RawColumn

__all__ = ["flatten"]


def flatten(records: Sequence[dict[str, Any]]) -> dict[str, RawColumn]:
    """One raw column per leaf field, in first-seen order (see the module docstring)."""
    if not records:
        return {}
    import pyarrow as pa

    try:
        columns = _flatten_with_arrow(records)
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        columns = _flatten_in_python(records)
    return columns


def _flatten_with_arrow(records: Sequence[dict[str, Any]]) -> dict[str, RawColumn]:
    import pyarrow as pa

    array = pa.array(records)
    if not pa.types.is_struct(array.type) or _has_empty_object(array.type):
        raise TypeError("records are not objects, or hold an empty object Arrow would drop")
    table = pa.Table.from_struct_array(array)
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    names = table.column_names
    _refuse_duplicates(names)
    return {name: table.column(i).combine_chunks() for i, name in enumerate(names)}


def _has_empty_object(struct: Any) -> bool:
    import pyarrow as pa

    for index in range(struct.num_fields):
        kind = struct.field(index).type
        if pa.types.is_struct(kind) and (kind.num_fields == 0 or _has_empty_object(kind)):
            return True
    return False


def _flatten_in_python(records: Sequence[dict[str, Any]]) -> dict[str, RawColumn]:
    import pyarrow as pa

    count = len(records)
    values: dict[str, list[Any]] = {}
    for row, record in enumerate(records):
        for name, value in _leaves(record, ""):
            column = values.get(name)
            if column is None:
                column = values[name] = [None] * count
            elif column[row] is not None:
                _refuse_duplicates([name, name])
            column[row] = value
    columns: dict[str, RawColumn] = {}
    for name, column in values.items():
        try:
            columns[name] = pa.array(column)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            columns[name] = column
    return columns


def _leaves(record: dict[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            yield from _leaves(value, f"{name}.")
        else:
            yield name, value


def _refuse_duplicates(names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(
                f"Two fields flatten to the same column {name!r} (a key with a dot in it next "
                "to a nested object of the same path); rename one before tabulating.",
                field=name,
            )
        seen.add(name)
