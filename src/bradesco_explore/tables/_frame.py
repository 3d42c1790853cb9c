"""`to_frame`: any response, page iterator or list of records -> one typed DataFrame."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import DataError
from ..transport import Response
from ._cells import Rows
from ._columns import build_frame
from ._envelopes import Found, find_records, is_envelope
from ._flatten import flatten
from ._kinds import schema_for

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["to_frame"]


def to_frame(obj: Any, *, kind: str | None = None, mask: bool = True) -> pd.DataFrame:
    """Tabulate a response, a page iterator or a list of records as a typed DataFrame.

    `obj` may be one `Response` (its JSON body; an error status raises `HTTPStatusError`), a
    parsed JSON object, a list of records, or an iterable of pages (responses or JSON
    objects, such as a paginator). The records are found in each family's envelope (see
    `bradesco_explore.tables.KINDS`); `kind` names the schema when detection is ambiguous or
    wrong. Nested objects become `parent.child` columns; amounts become exact decimals
    (Open Finance money also gets `<name>.currency`), dates timezone-aware datetimes (a date
    alone is midnight in America/Sao_Paulo), codes categoricals; CPF and CNPJ values are
    masked (`***.456.789-**`, `**.345.678/0001-**`) unless `mask=False`.

    Malformed values raise `DataError` naming the column, row and (masked) value: never a
    wrong number, never a silent NaN. `frame.attrs["bradesco_explore.kind"]` records the kind.

    >>> frame = to_frame(client.get("/open-banking/accounts/v2/accounts/1/transactions"))  # doctest: +SKIP
    >>> frame.groupby("type", observed=True)["transactionAmount"].sum()                     # doctest: +SKIP
    """
    pages = _pages(obj)
    found = [find_records(body, kind=kind, where=label) for label, body in pages]
    chosen = kind or _agreed_kind(found)
    records = [record for page in found for record in page.records]
    raw = flatten(records)
    rows = Rows(tuple(len(page.records) for page in found))
    return build_frame(raw, len(records), schema_for(chosen), mask=mask, rows=rows)


def _pages(obj: Any) -> list[tuple[str, Any]]:
    """(label, JSON body) of every page in `obj`."""
    if isinstance(obj, Response | dict):
        return [("the response", _body(obj))]
    if isinstance(obj, list | tuple) and not _holds_pages(obj):
        return [("the records", list(obj))]
    if isinstance(obj, str | bytes) or not isinstance(obj, Iterable):
        raise DataError(
            f"to_frame takes a Response, a JSON object, a list of records or an iterable of "
            f"pages; got a {type(obj).__name__}.",
            field="obj",
        )
    return [(f"page {number}", _body(page)) for number, page in enumerate(obj, start=1)]


def _holds_pages(items: list[Any] | tuple[Any, ...]) -> bool:
    """A list is a list of pages when it holds responses or envelopes, else it holds records."""
    if not items:
        return False
    first = items[0]
    return isinstance(first, Response) or is_envelope(first)


def _body(page: Any) -> Any:
    if isinstance(page, Response):
        return page.raise_for_status().json()
    return page


def _agreed_kind(found: list[Found]) -> str:
    """The kind of the first page with records; every page must come from the same family."""
    if not found:
        return "records"
    families = {page.family for page in found}
    if len(families) > 1:
        raise DataError(
            "The pages hold different kinds of records ("
            + ", ".join(sorted(families))
            + "); tabulate each kind separately.",
            field="body",
        )
    return next((page.kind for page in found if page.records), found[0].kind)
