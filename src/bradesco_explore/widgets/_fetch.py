"""The response explorer's behaviour in plain Python: fetch an endpoint's pages, tabulate them.

`fetch_endpoint` resolves the form's values (a blank account id becomes the first account),
walks the endpoint's pages with its paginator, reporting each page to `on_page`, and returns
the pages, the typed `Table` (CPF/CNPJ masked) and the exchanges it made. The HTML helpers
render the raw JSON (redacted, documents masked), the exchange log and a CSV download link.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._html import esc
from .._secret import redact
from ..apis import catalogue
from ..apis.catalogue import Endpoint
from ..auth import Client
from ..errors import DataError
from ..tables import (
    ExtratoWindows,
    OpenFinancePages,
    Paginator,
    PixPages,
    Table,
    mask_json,
    to_frame,
)
from ..transport import Exchange, Response

__all__ = [
    "Fetched",
    "csv_link_html",
    "exchanges_html",
    "fetch_endpoint",
    "raw_json_html",
    "resolve_values",
]

Progress = Callable[[int, "int | None"], None]
"""`on_page(pages_fetched, total_pages_or_None)`."""

_RAW_CHARS = 20_000


@dataclass(frozen=True)
class Fetched:
    """One fetch: the endpoint, the values sent, the pages, the table and the exchanges."""

    endpoint: Endpoint
    values: Mapping[str, str]
    pages: tuple[Response, ...]
    table: Table
    exchanges: tuple[Exchange, ...]
    truncated: bool = False


def fetch_endpoint(
    client: Client,
    endpoint: Endpoint,
    values: Mapping[str, str],
    *,
    on_page: Progress | None = None,
    max_pages: int | None = None,
    mask: bool = True,
) -> Fetched:
    """Fetch every page of `endpoint` with `values` (form text) and tabulate them.

    `mask=False` keeps CPF/CNPJ as sent (the command line's `--unmask`; the explorer never).
    """
    began_at = dt.datetime.now(dt.UTC)
    resolved = resolve_values(client, endpoint, values)
    paginator = _paginator(client, endpoint, resolved, max_pages)
    pages = (
        tuple(_walk(paginator, on_page)) if paginator else (_single(client, endpoint, resolved),)
    )
    table = Table(to_frame(list(pages), kind=endpoint.kind, mask=mask))
    exchanges = tuple(e for e in client.log if e.time >= began_at)
    truncated = bool(paginator and paginator.truncated)
    return Fetched(endpoint, resolved, pages, table, exchanges, truncated)


def resolve_values(client: Client, endpoint: Endpoint, values: Mapping[str, str]) -> dict[str, str]:
    """The values to send: trimmed, defaults for missing keys, lookups for blank ones."""
    resolved = {p.name: str(values.get(p.name, p.default)).strip() for p in endpoint.parameters}
    for parameter in endpoint.parameters:
        if parameter.lookup and not resolved[parameter.name]:
            source, field = parameter.lookup
            resolved[parameter.name] = _first_value(client, catalogue.endpoint(source), field)
    return resolved


def _first_value(client: Client, endpoint: Endpoint, field: str) -> str:
    """`field` of the first record `endpoint` lists (its first page only)."""
    defaults = endpoint.defaults()
    frame = to_frame(_single(client, endpoint, defaults), kind=endpoint.kind)
    if frame.empty or field not in frame.columns:
        raise DataError(
            f"{endpoint.title} returned no records, so there is no {field} to use: give one.",
            field=field,
        )
    return str(frame[field].iloc[0])


def _scopes(endpoint: Endpoint) -> list[str] | None:
    return list(endpoint.scopes) or None


def _single(client: Client, endpoint: Endpoint, values: Mapping[str, str]) -> Response:
    target, params = endpoint.target(values), endpoint.query(values)
    return client.request(endpoint.method, target, params=params, scopes=_scopes(endpoint))


def _paginator(
    client: Client, endpoint: Endpoint, values: Mapping[str, str], max_pages: int | None
) -> Paginator | None:
    target, params = endpoint.target(values), endpoint.query(values)
    options: dict[str, Any] = {
        "max_pages": max_pages,
        "progress": False,
        "scopes": _scopes(endpoint),
    }
    if endpoint.pagination == "openfinance":
        return OpenFinancePages(client, target, params, **options)
    if endpoint.pagination == "pix":
        return PixPages(client, target, params, **options)
    if endpoint.pagination == "extrato":
        start, end = endpoint.date(values, "start"), endpoint.date(values, "end")
        return ExtratoWindows(client, target, params, start=start, end=end, **options)
    return None


def _walk(paginator: Paginator, on_page: Progress | None) -> Iterator[Response]:
    for number, page in enumerate(paginator, start=1):
        if on_page is not None:
            on_page(number, paginator.total)
        yield page


# -- display ------------------------------------------------------------------------------------------
def raw_json_html(pages: Sequence[Response]) -> str:
    """The first page's JSON, collapsed, with secrets redacted and documents masked."""
    if not pages:
        return ""
    first = pages[0]
    try:
        text = json.dumps(mask_json(first.json()), indent=2, ensure_ascii=False)
    except DataError:
        text = first.text
    shown = redact(text)[:_RAW_CHARS]
    cut = " (cut)" if len(text) > _RAW_CHARS else ""
    which = f"page 1 of {len(pages)}" if len(pages) > 1 else "the response"
    return (
        f'<details class="bx-raw"><summary>Raw JSON: {which}{cut}; secrets redacted, CPF/CNPJ masked'
        f"</summary><pre>{esc(shown)}</pre></details>"
    )


def exchanges_html(exchanges: Sequence[Exchange]) -> str:
    """The exchanges of one fetch as a table (URLs already redacted by the transport)."""
    rows = "".join(
        f"<tr><td>{e.time:%H:%M:%S}</td><td>{esc(e.method)}</td><td><code>{esc(e.url)}</code></td>"
        f"<td>{esc(e.status if e.status is not None else e.outcome)}</td><td>{e.latency_ms:.0f} ms</td>"
        f"<td><small>{esc(e.interaction_id)}</small></td></tr>"
        for e in exchanges
    )
    head = "<tr><th>time</th><th>method</th><th>URL</th><th>status</th><th>latency</th><th>x-fapi-interaction-id</th></tr>"
    return f'<details class="bx-exchanges"><summary>{len(exchanges)} HTTP exchanges</summary><table>{head}{rows}</table></details>'


def csv_link_html(table: Table, name: str) -> str:
    """A download link holding the table as CSV (masked values only: the table is masked)."""
    text = str(table.to_csv())
    encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return (
        f'<a class="bx-csv" download="{esc(name)}" href="data:text/csv;charset=utf-8;base64,{encoded}">'
        f"Download CSV ({len(table):,} rows, CPF/CNPJ masked)</a>"
    )
