"""Paginators: every page of a listing, over any `fetch(method, path_or_url, params, json_body)`.

One class per scheme the APIs use:

| class | scheme |
|---|---|
| `OpenFinancePages` | follow `links.next` (it carries `page`, `page-size` and, for transactions, `pagination-key`) |
| `BoletoListPages` | POST the same body with `paginaAnterior` = the last `pagina`, while `indMaisPagina` is `"S"` |
| `PixPages` | `paginacao.paginaAtual` from 0 to `parametros.paginacao.quantidadeDePaginas - 1` |
| `ExtratoWindows` | no pagination: one request per date window of [`start`, `end`] |

A paginator is an iterable of `Response` pages that remembers what it fetched: iterating it
again yields the finished pages from memory and fetches only the rest. A page that fails (an
HTTP error status, a connection error, a body without the paging fields) raises
`PaginationError` naming the page, with `.pages` holding the pages before it; `resume()`
(on the error or the paginator) fetches from the failed page on. `max_pages` caps the pages
fetched (then `truncated` is true); a progress bar (`tqdm.auto`, notebook-aware) appears
when a pull takes more than a second, unless `progress=False`.

>>> pages = OpenFinancePages(client, "/open-banking/accounts/v2/accounts/1/transactions",
...                          params={"fromBookingDate": "2024-01-01"}, page_size=1000)  # doctest: +SKIP
>>> frame = pages.to_frame()                                                          # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

from .._secret import get_logger
from ..errors import BradescoExploreError, ConfigurationError, DataError, PaginationError
from ..transport import Response, safe_url, status_error
from ._kinds import kind_for_path

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BoletoListPages",
    "ExtratoWindows",
    "Fetch",
    "OpenFinancePages",
    "PageRequest",
    "Paginator",
    "PixPages",
]

log = get_logger("bradesco_explore.tables")

Fetch = Callable[[str, str, "Mapping[str, Any] | None", Any], Response]
"""`fetch(method, path_or_url, params, json_body) -> Response`."""


@runtime_checkable
class Requester(Protocol):
    """Anything with the `Client.request` signature; paginators accept a `Client` directly."""

    def request(
        self, method: str, path: str, *, params: Any = ..., json: Any = ..., scopes: Any = ...
    ) -> Response:
        """Send one request and return its response."""


def as_fetch(source: Fetch | Requester, *, scopes: Sequence[str] | None = None) -> Fetch:
    """A `Fetch` from a fetch function or from a `Client` (anything with `.request`).

    `scopes` picks the client's token for the pages (for example `["pix.read"]`); it needs a
    client, since a bare fetch function chooses its own token.
    """
    if isinstance(source, Requester):
        client, options = source, ({"scopes": list(scopes)} if scopes is not None else {})

        def fetch(
            method: str, target: str, params: Mapping[str, Any] | None, body: Any
        ) -> Response:
            return client.request(method, target, params=params, json=body, **options)

        return fetch
    if scopes is not None:
        raise ConfigurationError(
            "scopes= needs a Client as the paginator's source, not a fetch function."
        )
    return source


_PROGRESS_DELAY = 1.0  # seconds before a bar appears: quick pulls draw nothing
_PROGRESS_REFRESH = 0.1  # seconds between redraws


@dataclass(frozen=True)
class PageRequest:
    """The request for one page: method, path or URL, query parameters and JSON body.

    `label` names the page in errors; `cursor` is the scheme's own bookkeeping (never sent).
    """

    method: str
    target: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    label: str = field(default="", compare=False)
    cursor: Any = field(default=None, compare=False)


class Paginator:
    """Base of the paginators: the fetch loop, the page memory, the cap, the progress bar.

    Subclasses give the first request (`_first`), the request after a page (`_after`, None
    when it was the last) and, when the scheme tells, the total number of pages (`_total`).
    """

    kind: str | None = None
    """The table kind `to_frame()` uses (None: detected from the pages)."""

    def __init__(
        self,
        fetch: Fetch | Requester,
        *,
        max_pages: int | None = None,
        progress: bool = True,
        scopes: Sequence[str] | None = None,
    ) -> None:
        if max_pages is not None and max_pages < 1:
            raise ConfigurationError(f"max_pages must be at least 1, not {max_pages}.")
        self._fetch = as_fetch(fetch, scopes=scopes)
        self.max_pages = max_pages
        self.progress = progress
        self.pages: list[Response] = []
        self.total: int | None = None
        self._next: PageRequest | None = None
        self._started = False

    # -- public ---------------------------------------------------------------------------------
    @property
    def complete(self) -> bool:
        """True once the last page has been fetched."""
        return self._started and self._next is None

    @property
    def truncated(self) -> bool:
        """True when `max_pages` stopped the pull before the last page."""
        return self._next is not None and self._capped()

    def __iter__(self) -> Iterator[Response]:
        yield from list(self.pages)
        yield from self._fetch_remaining()

    def resume(self) -> Paginator:
        """Fetch every page not fetched yet (from a failed one on) and return the paginator."""
        for _ in self._fetch_remaining():
            pass
        return self

    def to_frame(self, *, kind: str | None = None, mask: bool = True) -> pd.DataFrame:
        """Every page as one typed DataFrame (`to_frame` over this paginator)."""
        from ._frame import to_frame

        return to_frame(self, kind=kind or self.kind, mask=mask)

    def __repr__(self) -> str:
        state = "complete" if self.complete else "truncated" if self.truncated else "pending"
        return f"<{type(self).__name__}: {len(self.pages)} pages fetched, {state}>"

    # -- the loop ---------------------------------------------------------------------------------
    def _fetch_remaining(self) -> Iterator[Response]:
        if not self._started:
            self._next, self._started = self._first(), True
        if self._next is None or self._capped():
            return
        with self._progress_bar() as bar:
            while self._next is not None and not self._capped():
                response = self._fetch_page(self._next)
                yield response
                bar.total = self._capped_total()
                bar.update(1)
        if self.truncated:
            log.info("stopped after max_pages=%d pages; more pages remain", self.max_pages)

    def _fetch_page(self, request: PageRequest) -> Response:
        number = len(self.pages) + 1
        try:
            response = self._fetch(request.method, request.target, request.params, request.json)
            if not response.ok:
                raise status_error(response)
            following = self._after(response.json(), response, request, number)
        except BradescoExploreError as exc:
            raise self._failure(number, request, exc) from exc
        self.pages.append(response)
        self._next = following
        return response

    def _failure(self, number: int, request: PageRequest, cause: Exception) -> PaginationError:
        where = request.label or f"{request.method} {safe_url(request.target)}"
        kept = len(self.pages)
        return PaginationError(
            f"Page {number} ({where}) failed: {cause} The {kept} page(s) before it are kept "
            "(error.pages); fix the cause and call error.resume() to fetch from this page on.",
            page=number,
            pages=self.pages,
            cause=cause,
            resume=self.resume,
        )

    def _capped(self) -> bool:
        return self.max_pages is not None and len(self.pages) >= self.max_pages

    def _capped_total(self) -> int | None:
        if self.total is None:
            return self.max_pages
        return min(self.total, self.max_pages) if self.max_pages else self.total

    def _progress_bar(self) -> Any:
        from tqdm.auto import tqdm

        return tqdm(
            total=self._capped_total(),
            initial=len(self.pages),
            unit="page",
            desc=type(self).__name__,
            disable=not self.progress,
            delay=_PROGRESS_DELAY,
            mininterval=_PROGRESS_REFRESH,
            leave=False,
        )

    # -- per scheme ---------------------------------------------------------------------------------
    def _first(self) -> PageRequest:
        raise NotImplementedError

    def _after(
        self, body: Any, response: Response, request: PageRequest, number: int
    ) -> PageRequest | None:
        raise NotImplementedError


class OpenFinancePages(Paginator):
    """Open Finance listings: GET `path`, then follow `links.next` until there is none.

    `page_size` sets `page-size` on the first request (1 to 1000; the server's default is 25).
    `links.next` is followed only to the host that served the first page (a link elsewhere
    would carry the access token there), and a link back to a page already fetched stops the
    pull with an error instead of looping. `meta.totalPages` feeds the progress bar.
    """

    def __init__(
        self,
        fetch: Fetch | Requester,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        page_size: int | None = None,
        max_pages: int | None = None,
        progress: bool = True,
        scopes: Sequence[str] | None = None,
    ) -> None:
        super().__init__(fetch, max_pages=max_pages, progress=progress, scopes=scopes)
        if page_size is not None and not 1 <= page_size <= 1000:
            raise ConfigurationError(f"page_size must be between 1 and 1000, not {page_size}.")
        self.path = path
        self.kind = kind_for_path(path)
        self.params = dict(params or {})
        if page_size is not None:
            self.params["page-size"] = page_size
        self._seen: set[str] = set()

    def _first(self) -> PageRequest:
        return PageRequest("GET", self.path, self.params)

    def _after(
        self, body: Any, response: Response, request: PageRequest, number: int
    ) -> PageRequest | None:
        links = body.get("links") if isinstance(body, dict) else None
        if not isinstance(links, dict):
            raise DataError(
                f"Page {number} has no 'links' object, so the next page cannot be found "
                "(an Open Finance listing answers {data, links, meta}).",
                field="links",
            )
        self.total = _total_pages(body)
        self._seen.add(_comparable(response.url))
        following = links.get("next")
        if not following:
            return None
        if not isinstance(following, str):
            raise DataError(f"Page {number}: links.next is not a URL.", field="links.next")
        url = _next_url(response.url, following, number)
        _check_same_origin(url, response.url, number)
        if _comparable(url) in self._seen:
            raise DataError(
                f"Page {number}: links.next points back to a page already fetched "
                f"({safe_url(url)}); stopping instead of looping.",
                field="links.next",
            )
        return PageRequest("GET", url, None, label=f"GET {safe_url(url)}")


class BoletoListPages(Paginator):
    """Boleto lists (`listar`): POST `body` with `paginaAnterior` 0, then the last `pagina`.

    Stops when `indMaisPagina` is not `"S"`. A page that says there is more but repeats its
    page number stops the pull with an error instead of looping.
    """

    def __init__(
        self,
        fetch: Fetch | Requester,
        path: str,
        body: Mapping[str, Any],
        *,
        max_pages: int | None = None,
        progress: bool = True,
        scopes: Sequence[str] | None = None,
    ) -> None:
        super().__init__(fetch, max_pages=max_pages, progress=progress, scopes=scopes)
        self.path = path
        self.body = dict(body)

    def _first(self) -> PageRequest:
        return self._request(0)

    def _request(self, previous: Any) -> PageRequest:
        return PageRequest(
            "POST",
            self.path,
            None,
            {**self.body, "paginaAnterior": previous},
            label=f"POST {self.path} paginaAnterior={previous}",
        )

    def _after(
        self, body: Any, response: Response, request: PageRequest, number: int
    ) -> PageRequest | None:
        if not isinstance(body, dict) or "indMaisPagina" not in body:
            raise DataError(
                f"Page {number} has no 'indMaisPagina', so it is unknown whether more pages "
                "follow (a boleto list answers {pagina, indMaisPagina, titulos}).",
                field="indMaisPagina",
            )
        if str(body["indMaisPagina"]).strip().upper() != "S":
            return None
        page = body.get("pagina")
        if _whole(page) is None or str(page) == str(request.json.get("paginaAnterior")):
            raise DataError(
                f"Page {number} says more pages follow (indMaisPagina 'S') but its 'pagina' is "
                f"{page!r}, which does not advance; stopping instead of looping.",
                field="pagina",
            )
        return self._request(page)


class PixPages(Paginator):
    """Pix listings (`GET /v2/cob`, `/v2/cobv`, `/v2/pix`, ...): `paginacao.paginaAtual` 0, 1, ...

    `params` must hold the window the API requires (`inicio`, `fim`, RFC 3339). Pages are read
    from `parametros.paginacao` (`paginaAtual`, `quantidadeDePaginas`).
    """

    def __init__(
        self,
        fetch: Fetch | Requester,
        path: str,
        params: Mapping[str, Any],
        *,
        page_size: int = 100,
        max_pages: int | None = None,
        progress: bool = True,
        scopes: Sequence[str] | None = None,
    ) -> None:
        super().__init__(fetch, max_pages=max_pages, progress=progress, scopes=scopes)
        if page_size < 1:
            raise ConfigurationError(f"page_size must be at least 1, not {page_size}.")
        self.path = path
        self.params = dict(params)
        self.page_size = page_size

    def _first(self) -> PageRequest:
        return self._request(0)

    def _request(self, page: int) -> PageRequest:
        params = {
            **self.params,
            "paginacao.paginaAtual": page,
            "paginacao.itensPorPagina": self.page_size,
        }
        return PageRequest("GET", self.path, params, label=f"GET {self.path} paginaAtual={page}")

    def _after(
        self, body: Any, response: Response, request: PageRequest, number: int
    ) -> PageRequest | None:
        current = _whole(_dig(body, "parametros", "paginacao", "paginaAtual"))
        count = _whole(_dig(body, "parametros", "paginacao", "quantidadeDePaginas"))
        if current is None or count is None:
            raise DataError(
                f"Page {number} has no parametros.paginacao with paginaAtual and "
                "quantidadeDePaginas, so the next page cannot be found.",
                field="parametros.paginacao",
            )
        self.total = count
        return self._request(current + 1) if current + 1 < count else None


class ExtratoWindows(Paginator):
    """Extrato (no pagination): one GET per window of at most `days` days in [`start`, `end`].

    Each request carries `dataInicio`/`dataFim` as DDMMAAAA on top of `params` (`agencia`,
    `conta`, `tipo`). `to_frame()` keeps the period block of each window (`extrato.periodo`):
    the other blocks repeat the latest entries in every window.
    """

    kind = "extrato.periodo"

    def __init__(
        self,
        fetch: Fetch | Requester,
        path: str,
        params: Mapping[str, Any],
        *,
        start: dt.date,
        end: dt.date,
        days: int = 30,
        max_pages: int | None = None,
        progress: bool = True,
        scopes: Sequence[str] | None = None,
    ) -> None:
        super().__init__(fetch, max_pages=max_pages, progress=progress, scopes=scopes)
        if end < start:
            raise ConfigurationError(f"end ({end}) is before start ({start}).")
        if days < 1:
            raise ConfigurationError(f"days must be at least 1, not {days}.")
        self.path = path
        self.params = dict(params)
        self.windows = _windows(start, end, days)
        self.total = len(self.windows)

    def _first(self) -> PageRequest:
        return self._request(0)

    def _request(self, index: int) -> PageRequest:
        first, last = self.windows[index]
        params = {**self.params, "dataInicio": f"{first:%d%m%Y}", "dataFim": f"{last:%d%m%Y}"}
        return PageRequest(
            "GET", self.path, params, label=f"GET {self.path} {first} to {last}", cursor=index
        )

    def _after(
        self, body: Any, response: Response, request: PageRequest, number: int
    ) -> PageRequest | None:
        following = int(request.cursor) + 1
        return self._request(following) if following < len(self.windows) else None


def _windows(start: dt.date, end: dt.date, days: int) -> list[tuple[dt.date, dt.date]]:
    windows = []
    first = start
    while first <= end:
        last = min(first + dt.timedelta(days=days - 1), end)
        windows.append((first, last))
        first = last + dt.timedelta(days=1)
    return windows


def _total_pages(body: dict[str, Any]) -> int | None:
    return _whole(_dig(body, "meta", "totalPages"))


def _dig(body: Any, *keys: str) -> Any:
    """`body[k1][k2]...`, or None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


_MAX_DIGITS = 18  # page numbers and counts; far below int()'s 4,300-digit limit


def _whole(value: Any) -> int | None:
    """A non-negative whole number given as a JSON number or digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    text = value.strip() if isinstance(value, str) else ""
    # ASCII digits only ("²".isdigit() is true), and few enough for int() to accept
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        return int(text)
    return None


def _comparable(url: str) -> str:
    """The URL as the exchange log shows it, without fragment: how pages are told apart."""
    return safe_url(url.split("#", 1)[0])


def _next_url(served: str, following: str, number: int) -> str:
    """`links.next` made absolute against the page that served it."""
    try:
        return urljoin(served, following)
    except ValueError:  # a broken [IPv6] host
        raise DataError(
            f"Page {number}: links.next ({safe_url(following)}) is not a URL.", field="links.next"
        ) from None


def _check_same_origin(url: str, served: str, number: int) -> None:
    target, origin = urlsplit(url), urlsplit(served)
    if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
        raise DataError(
            f"Page {number}: links.next points to {target.scheme}://{target.netloc}, not to "
            f"{origin.scheme}://{origin.netloc} that served the page; refusing to send the "
            "access token to another host.",
            field="links.next",
        )
