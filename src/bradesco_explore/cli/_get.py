"""`bradesco-explore get ENDPOINT`: call a listing endpoint, walk its pages, print or write the table.

ENDPOINT is a key of `apis.catalogue` (`get --list` shows every key with its parameters) and
`--param NAME=VALUE` gives a parameter by its catalogue name. The fetch is the response
explorer's, `fetch_endpoint`: a blank account id becomes the first account, the endpoint's
paginator walks every page (at most `--max-pages`), and the table is typed with CPF/CNPJ
masked. Without `--out` the first rows and the summary (rows, date range, totals) are
printed; `--out FILE.csv` or `FILE.parquet` writes the whole table (mode 0600, like every
file the toolkit writes: even masked, it is a customer's money). `--unmask` shows the documents
in full and warns on stderr.

Open Finance data is a customer's, so it needs the customer's token. On the sandbox targets
the consent approves itself, and `get` creates and authorizes one for what the endpoint reads
(`openfinance.grant_access`). At a bank a person approves it in a browser, which `get` cannot
do: authorize first with a token cache file (`bradesco-explore authorize --consent ID
--cache-file FILE`, or a notebook's `Client(..., cache_file=FILE)`) and pass `--cache-file FILE`.

Exit status: 2 for bad input (unknown endpoint, malformed or missing `--param`, an `--out`
suffix other than .csv/.parquet, settings), 1 when the call failed (network, TLS, the server
or the authorization server said no, a response that cannot be tabulated).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..apis import catalogue, openfinance
from ..apis.catalogue import Endpoint
from ..config import setting
from ..errors import BradescoExploreError, ConfigurationError, PaginationError
from ._token import add_client_arguments, open_client

if TYPE_CHECKING:
    from ..auth import Client
    from ..tables import Table
    from ..widgets import Fetched

_SANDBOXES = ("local", "local-sandbox")
_SUFFIXES = {".csv": "CSV", ".parquet": "Parquet"}
_SHOWN_ROWS = 20
_COLUMN_WIDTH = 32
# What a sandbox consent grants for each Open Finance API, by the API's name in the endpoint's
# path - which is also the scope its calls need (`/open-banking/accounts/v2/...` -> `accounts`).
_PERMISSIONS = {
    "accounts": openfinance.ACCOUNTS_PERMISSIONS,
    "credit-cards-accounts": openfinance.CREDIT_CARD_PERMISSIONS,
    "resources": openfinance.ACCOUNTS_PERMISSIONS,
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `get` command."""
    parser = subparsers.add_parser(
        "get", help="call an endpoint, walk its pages, print or write the table (CSV/Parquet)"
    )
    parser.add_argument(
        "endpoint", nargs="?", metavar="ENDPOINT", help="catalogue key, e.g. pix.charges"
    )
    parser.add_argument("--list", action="store_true", help="list the endpoints and exit")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an endpoint parameter, by its name in --list (repeatable)",
    )
    parser.add_argument("--max-pages", type=_positive, metavar="N", help="stop after N pages")
    parser.add_argument(
        "--out", metavar="FILE", help="write the whole table to FILE.csv or FILE.parquet"
    )
    parser.add_argument(
        "--rows",
        type=_positive,
        default=_SHOWN_ROWS,
        metavar="N",
        help=f"rows to print without --out (default {_SHOWN_ROWS})",
    )
    parser.add_argument(
        "--unmask",
        action="store_true",
        help="show CPF/CNPJ in full (personal data: keep the output to yourself)",
    )
    add_client_arguments(parser)
    family = parser._option_string_actions["--family"]  # token's flag, with get's default
    family.help = "API family (default: the endpoint's; 'fapi' for Open Finance at a discovery URL)"
    parser.set_defaults(run=run_get, failure_status=1)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def run_get(args: argparse.Namespace) -> int:
    """List the endpoints, or fetch one and print or write its table."""
    if args.list:
        print(listing())
        return 0
    endpoint = find_endpoint(args.endpoint)
    values = parameter_values(endpoint, args.param)
    out = _out_path(args.out)
    if args.unmask:
        file_note = "keep the file to yourself." if out else "do not share or save the output."
        print(f"warning: --unmask: CPF and CNPJ are shown in full. This is personal data; "
              f"{file_note}", file=sys.stderr)  # fmt: skip
    with _client(args, endpoint) as client:
        fetched = _fetch(client, endpoint, values, args.max_pages, mask=not args.unmask)
    table = fetched.table
    if out is None:
        _print_rows(table, args.rows)
    else:
        _write(table, out)
    print("\n".join(summary_lines(fetched, table, masked=not args.unmask)))
    return 0


# -- what to call ------------------------------------------------------------------------------------
def listing() -> str:
    """One line per catalogue endpoint: key, title, parameters (`*` required, `=default`)."""
    width = max(len(e.key) for e in catalogue.ENDPOINTS)
    lines = []
    for endpoint in catalogue.ENDPOINTS:
        names = ", ".join(
            p.name + ("*" if p.required else f"={p.default}" if p.default else "")
            for p in endpoint.parameters
        )
        lines.append(
            f"{endpoint.key:<{width}}  {endpoint.title}" + (f"  [{names}]" if names else "")
        )
    lines.append("\n* required; give parameters as --param NAME=VALUE (dates as YYYY-MM-DD).")
    return "\n".join(lines)


def find_endpoint(key: str | None) -> Endpoint:
    """The catalogue endpoint `key`; an unknown key is refused with the closest keys."""
    keys = [e.key for e in catalogue.ENDPOINTS]
    if key in keys:
        return catalogue.endpoint(key)
    if not key:
        raise ConfigurationError(
            "Name an ENDPOINT, e.g. `bradesco-explore get pix.charges`; "
            "`bradesco-explore get --list` shows them all."
        )
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.5)
    hint = f" Did you mean {_either(close)}?" if close else ""
    raise ConfigurationError(
        f"Unknown endpoint {key!r}.{hint} `bradesco-explore get --list` shows them all."
    )


def _either(words: Sequence[str]) -> str:
    """`a`, `a or b`, `a, b or c`."""
    return " or ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def parameter_values(endpoint: Endpoint, given: Sequence[str]) -> dict[str, str]:
    """The `--param NAME=VALUE` pairs over the endpoint's defaults, checked before any call.

    Every name must be one of the endpoint's, every value well formed (the catalogue's own
    conversion), and every required parameter given.
    """
    values = endpoint.defaults()
    named: set[str] = set()
    for item in given:
        name, equals, value = (part.strip() for part in item.partition("="))
        if not equals or not name:
            raise ConfigurationError(
                f"--param {item!r} is not NAME=VALUE (e.g. --param start=2024-01-01)."
            )
        if name not in values:
            known = ", ".join(values) or "no parameters"
            raise ConfigurationError(
                f"{endpoint.key} has no parameter {name!r}; it takes: {known}."
            )
        if name in named:
            raise ConfigurationError(f"--param {name} is given twice; give it once.")
        named.add(name)
        values[name] = value
    for parameter in endpoint.parameters:
        _check(endpoint, parameter, values[parameter.name])
    return values


def _check(endpoint: Endpoint, parameter: catalogue.Parameter, value: str) -> None:
    if not value:
        if parameter.required:
            about = f"{parameter.label}: {parameter.help}" if parameter.help else parameter.label
            raise ConfigurationError(
                f"{endpoint.key} needs --param {parameter.name}=... ({about})."
            )
        return
    try:
        parameter.convert(value)
    except ConfigurationError as exc:
        raise ConfigurationError(f"--param {parameter.name}: {exc}") from None


def _out_path(out: str | None) -> Path | None:
    if out is None:
        return None
    path = Path(out)
    if path.suffix.lower() not in _SUFFIXES:
        raise ConfigurationError(
            f"--out {out}: the format comes from the suffix, and it must be .csv or .parquet."
        )
    return path


# -- calling it ------------------------------------------------------------------------------------
@contextlib.contextmanager
def _client(args: argparse.Namespace, endpoint: Endpoint) -> Iterator[Client]:
    """The client for the endpoint's family, holding the customer's token for Open Finance.

    The flags are `token`'s; other targets than the sandboxes go through its `open_client`.
    """
    args.env = args.env or setting("environment") or "local"
    args.family = args.family or _family(endpoint, args.env)
    if args.env in _SANDBOXES:
        with _sandbox_client(args, endpoint) as client:
            yield client
        return
    if _reads_customer_data(endpoint) and not args.cache_file:
        raise ConfigurationError(_authorize_first(endpoint, args.env))
    with open_client(args) as client:
        if _reads_customer_data(endpoint):
            _check_cached_user_token(client, endpoint, args.env, args.cache_file)
        yield client


@contextlib.contextmanager
def _sandbox_client(args: argparse.Namespace, endpoint: Endpoint) -> Iterator[Client]:
    """A sandbox target's client, as `open_client` makes it, with a self-approved consent.

    Opened here rather than by `open_client` because the consent is the workspace customer's.
    """
    from ..workspace import Workspace

    redirect = {"redirect_uri": args.redirect_uri} if args.redirect_uri else {}
    with Workspace.open(args.env) as workspace:
        client = workspace.client(
            args.family, auth=args.auth, cache_file=args.cache_file, **redirect
        )
        if _reads_customer_data(endpoint):
            api = _api(endpoint)
            permissions = _PERMISSIONS.get(api, openfinance.ACCOUNTS_PERMISSIONS)
            openfinance.grant_access(
                client, cpf=workspace.customer.cpf, permissions=permissions, families=(api,)
            )
        yield client


def _reads_customer_data(endpoint: Endpoint) -> bool:
    """Every Open Finance listing is a customer's data, read with the customer's token."""
    return endpoint.family == "openfinance"


def _family(endpoint: Endpoint, target: str) -> str:
    """A discovered FAPI server has one family, "fapi": Open Finance endpoints are called there."""
    discovered = target.startswith(("https://", "http://"))
    return "fapi" if discovered and _reads_customer_data(endpoint) else endpoint.family


def _api(endpoint: Endpoint) -> str:
    """`accounts` for `/open-banking/accounts/v2/accounts/...`."""
    parts = endpoint.path.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "open-banking" else "accounts"


def _authorize_first(endpoint: Endpoint, target: str) -> str:
    return (
        f"{endpoint.key} reads a customer's data, which needs the customer's token, and at "
        f"{target} a person approves the consent in a browser: `get` cannot do that on its "
        f"own. Authorize first with a token cache (`bradesco-explore authorize --env {target} "
        "--consent CONSENT_ID --cache-file tokens.json`, or Client(..., cache_file="
        "'tokens.json') in a notebook), then run get again with --cache-file tokens.json."
    )


def _check_cached_user_token(
    client: Client, endpoint: Endpoint, target: str, cache_file: str
) -> None:
    try:
        client.token()
    except ConfigurationError as exc:
        advice = _authorize_first(endpoint, target)
        raise ConfigurationError(f"No usable user token in {cache_file}: {exc} {advice}") from None


def _fetch(
    client: Client, endpoint: Endpoint, values: dict[str, str], max_pages: int | None, *, mask: bool
) -> Fetched:
    from ..widgets import fetch_endpoint

    progress = _progress()
    try:
        return fetch_endpoint(
            client, endpoint, values, on_page=progress, max_pages=max_pages, mask=mask
        )
    except PaginationError as exc:
        # Its advice (error.pages, error.resume()) is for notebooks; the cause says what failed.
        if isinstance(exc.cause, BradescoExploreError):
            raise exc.cause from None
        raise
    finally:
        if progress is not None:
            print(file=sys.stderr)


def _progress() -> Callable[[int, int | None], None] | None:
    """Page counts on stderr, when a person watches it."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int | None) -> None:
        of = f" of {total}" if total else ""
        print(f"\rpage {done}{of}", end="", file=sys.stderr, flush=True)

    return show


# -- showing it ------------------------------------------------------------------------------------
def _write(table: Table, path: Path) -> None:
    """Write CSV or Parquet by the suffix (0600, as `Table` writes), and say where."""
    kind = _SUFFIXES[path.suffix.lower()]
    written = Path(table.to_csv(path) if kind == "CSV" else table.to_parquet(path))
    print(f"wrote {_count(len(table), 'row')} to {written} ({kind}, mode 0600)")


def _print_rows(table: Table, rows: int) -> None:
    frame = table.frame
    if frame.empty:
        print("(no rows)")
        return
    print(frame.head(rows).to_string(index=False, max_colwidth=_COLUMN_WIDTH))
    if len(frame) > rows:
        print(
            f"... {_count(len(frame) - rows, 'more row')} (--rows N shows more, --out FILE writes all)"
        )


def summary_lines(fetched: Fetched, table: Table, *, masked: bool) -> list[str]:
    """Rows, pages, date range and exact totals, one fact a line."""
    summary = table.summary()
    lines = [
        f"{fetched.endpoint.key}: {_count(summary.rows, 'row')} x {_count(summary.columns, 'column')}"
        f" from {_count(len(fetched.pages), 'page')} ({summary.title})"
    ]
    if fetched.truncated:
        lines.append("stopped at --max-pages: the endpoint has more pages")
    if summary.date_column:
        lines.append(f"date range ({summary.date_column}): {summary.date_range}")
    lines += [f"total {t.label}: {t.amount:,f} ({_count(t.rows, 'row')})" for t in summary.totals]
    lines.append("CPF/CNPJ masked" if masked else "CPF/CNPJ NOT masked (--unmask)")
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
