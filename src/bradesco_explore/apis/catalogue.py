"""The listing endpoints a form can offer: family, path, parameters, pagination and table kind.

Data, plus the small conversions that turn a form's text values into a request: the response
explorer (`bradesco_explore.widgets`) builds its form from it, and a notebook can read it to
see what each listing needs. Every entry is a GET that lists or reads records; calls that
create or change something stay with the helpers (`pix.create_charge`, ...).

>>> endpoint = catalogue.endpoint("openfinance.transactions")     # doctest: +SKIP
>>> endpoint.target({"account_id": "abc"}), endpoint.query({"page_size": "500"})  # doctest: +SKIP
('/open-banking/accounts/v2/accounts/abc/transactions', {'page-size': '500'})
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from ..errors import ConfigurationError
from . import openfinance

__all__ = ["ENDPOINTS", "Endpoint", "Parameter", "endpoint", "endpoints_for"]

Format = Literal["text", "date", "int", "day-start", "day-end"]
Pagination = Literal["openfinance", "pix", "extrato"]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Parameter:
    """One input of an endpoint.

    - `name`: its key in the values a caller passes (also its `{name}` in a path);
    - `label`: what a form shows;
    - `query`: the query parameter it becomes (None: used in the path, or by the paginator);
    - `format`: "text" (sent as typed), "int", "date" (YYYY-MM-DD), "day-start"/"day-end"
      (a YYYY-MM-DD date sent as RFC 3339 UTC at 00:00:00 / 23:59:59, as Pix wants);
    - `default`: the value when none is given ("" means: not sent);
    - `sample`: the name of a sample value ("cpf", "branch", "account", "start", "end")
      that replaces the default when the caller has samples (the sandbox's test data);
    - `lookup`: (endpoint key, record field): a blank value is filled from the first record
      of that endpoint, e.g. the first account's `accountId`;
    - `required`: a blank value (after default and lookup) is refused;
    - `help`: one line for the form.
    """

    name: str
    label: str
    query: str | None = None
    format: Format = "text"
    default: str = ""
    sample: str | None = None
    lookup: tuple[str, str] | None = None
    required: bool = False
    help: str = ""

    def convert(self, text: str) -> str:
        """The value as it is sent; a `ConfigurationError` naming the field if it is malformed."""
        value = text.strip()
        if self.format == "int":
            if not value.isdigit():
                raise ConfigurationError(f"{self.label} must be a whole number, not {value!r}.")
            return value
        if self.format == "text":
            return value
        day = _date(value, self.label)
        if self.format == "day-start":
            return f"{day.isoformat()}T00:00:00Z"
        if self.format == "day-end":
            return f"{day.isoformat()}T23:59:59Z"
        return day.isoformat()


@dataclass(frozen=True)
class Endpoint:
    """A listing endpoint: `family`, `path` (with `{name}` placeholders) and its parameters.

    `pagination` names the paginator that walks it ("openfinance", "pix", "extrato"; None for
    one request); `kind` is the table kind for `to_frame`; `scopes` are the scopes its token
    needs when the family's default scope does not cover it.
    """

    key: str
    family: str
    title: str
    path: str
    parameters: tuple[Parameter, ...] = ()
    pagination: Pagination | None = None
    kind: str | None = None
    scopes: tuple[str, ...] = ()
    method: str = "GET"

    def defaults(self, samples: Mapping[str, str] | None = None) -> dict[str, str]:
        """The starting value of every parameter: its sample when given, else its default."""
        chosen = samples or {}
        return {
            p.name: chosen.get(p.sample, p.default) if p.sample else p.default
            for p in self.parameters
        }

    def parameter(self, name: str) -> Parameter:
        """The parameter called `name`."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise ConfigurationError(f"{self.title} has no parameter {name!r}.")

    def target(self, values: Mapping[str, str]) -> str:
        """The path with its `{name}` placeholders filled (percent-encoded)."""

        def fill(match: re.Match[str]) -> str:
            parameter = self.parameter(match.group(1))
            value = values.get(parameter.name, "").strip()
            if not value:
                raise ConfigurationError(f"{self.title}: give {parameter.label}.")
            return quote(value, safe="")

        return _PLACEHOLDER.sub(fill, self.path)

    def query(self, values: Mapping[str, str]) -> dict[str, str]:
        """The query parameters for `values`; blank optional ones are left out."""
        params: dict[str, str] = {}
        for parameter in self.parameters:
            text = values.get(parameter.name, "").strip()
            if not text and parameter.required:
                raise ConfigurationError(f"{self.title}: give {parameter.label}.")
            if text and parameter.query:
                params[parameter.query] = parameter.convert(text)
        return params

    def date(self, values: Mapping[str, str], name: str) -> dt.date:
        """A date parameter's value as a `date` (for paginators that take dates)."""
        parameter = self.parameter(name)
        text = values.get(name, "").strip()
        if not text:
            raise ConfigurationError(f"{self.title}: give {parameter.label}.")
        return _date(text, parameter.label)


def _date(text: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"{label} must be a date as YYYY-MM-DD, not {text!r}.") from None


# -- the parameters several endpoints share ---------------------------------------------------------
def _pix_window() -> tuple[Parameter, Parameter]:
    return (
        Parameter("start", "From (created)", "inicio", "day-start", sample="start", required=True,
                  help="first day of the window, YYYY-MM-DD"),
        Parameter("end", "To (created)", "fim", "day-end", sample="end", required=True,
                  help="last day of the window, YYYY-MM-DD"),
    )  # fmt: skip


_BRANCH = Parameter("branch", "Branch (agencia)", "agencia", sample="branch", required=True)
_ACCOUNT = Parameter("account", "Account (conta)", "conta", sample="account", required=True)
_PAGE_SIZE = Parameter(
    "page_size", "Page size", "page-size", "int", "500", help="records per page (1 to 1000)"
)
_ACCOUNT_ID = Parameter(
    "account_id",
    "Account id",
    lookup=("openfinance.accounts", "accountId"),
    help="blank: the first account of the consent",
)
_BOOKING = (
    Parameter("start", "From (booking date)", "fromBookingDate", "date",
              help="YYYY-MM-DD; give both dates or neither"),
    Parameter("end", "To (booking date)", "toBookingDate", "date",
              help="YYYY-MM-DD; give both dates or neither"),
)  # fmt: skip

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("pix.charges", "pix", "Pix charges (GET /v2/cob)", "/v2/cob",
             (*_pix_window(), Parameter("status", "Status", "status", help="e.g. ATIVA, CONCLUIDA")),
             pagination="pix", kind="pix.cob", scopes=("cob.read",)),
    Endpoint("pix.due_charges", "pix", "Pix charges with a due date (GET /v2/cobv)", "/v2/cobv",
             _pix_window(), pagination="pix", kind="pix.cobv", scopes=("cobv.read",)),
    Endpoint("pix.received", "pix", "Pix received (GET /v2/pix)", "/v2/pix",
             _pix_window(), pagination="pix", kind="pix.pix", scopes=("pix.read",)),
    Endpoint("portal.balance", "portal", "Balance (Saldo PJ)", "/v1/fornecimento-saldos-contas/saldos",
             (_BRANCH, _ACCOUNT), kind="saldo"),
    Endpoint("portal.statement", "portal", "Statement (Extrato PJ, one request per 30 days)",
             "/v1/fornecimento-extratos-contas/extratos",
             (_BRANCH, _ACCOUNT, Parameter("type", "Account type (tipo)", "tipo", default="cc"),
              Parameter("start", "From", format="date", sample="start", required=True),
              Parameter("end", "To", format="date", sample="end", required=True)),
             pagination="extrato", kind="extrato.periodo"),
    Endpoint("openfinance.accounts", "openfinance", "Accounts", openfinance.ACCOUNTS,
             (_PAGE_SIZE,), pagination="openfinance", kind="openfinance.accounts"),
    Endpoint("openfinance.balances", "openfinance", "Account balances",
             openfinance.ACCOUNTS + "/{account_id}/balances", (_ACCOUNT_ID,), kind="openfinance.balances"),
    Endpoint("openfinance.transactions", "openfinance", "Account transactions",
             openfinance.ACCOUNTS + "/{account_id}/transactions", (_ACCOUNT_ID, *_BOOKING, _PAGE_SIZE),
             pagination="openfinance", kind="openfinance.transactions"),
    Endpoint("openfinance.credit_cards", "openfinance", "Credit card accounts", openfinance.CREDIT_CARDS,
             (_PAGE_SIZE,), pagination="openfinance", kind="openfinance.credit_card_accounts"),
    Endpoint("openfinance.resources", "openfinance", "Resources of the consent", openfinance.RESOURCES,
             (_PAGE_SIZE,), pagination="openfinance", kind="openfinance.resources"),
)  # fmt: skip
"""Every endpoint, grouped by family in this order."""


def endpoints_for(family: str) -> tuple[Endpoint, ...]:
    """The endpoints of `family` (empty for a family with no listing, such as `legacy`)."""
    return tuple(e for e in ENDPOINTS if e.family == family)


def endpoint(key: str) -> Endpoint:
    """The endpoint called `key` (e.g. "openfinance.transactions")."""
    for candidate in ENDPOINTS:
        if candidate.key == key:
            return candidate
    known = ", ".join(e.key for e in ENDPOINTS)
    raise ConfigurationError(f"Unknown endpoint {key!r}; known: {known}.")
