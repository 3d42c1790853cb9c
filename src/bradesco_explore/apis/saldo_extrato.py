"""Saldo e Extrato PJ: a company account's balance and statement (portal family, GET).

Amounts come back as pt-BR strings ("1.580,12") with a separate sign field, dates as
`dd/MM/yyyy`, and the statement has no pagination: ask for a window of at most 90 days, or
let `bx.ExtratoWindows` split a longer period into windows.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..errors import ConfigurationError
from ._family import as_date, require_family

if TYPE_CHECKING:
    from ..auth import Client
    from ..transport import Response

__all__ = ["MAX_STATEMENT_DAYS", "balance", "statement"]

MAX_STATEMENT_DAYS = 90


def balance(client: Client, *, branch: str, account: str) -> Response:
    """`GET /v1/fornecimento-saldos-contas/saldos?agencia=&conta=`."""
    require_family(client, "portal")
    return client.get(
        "/v1/fornecimento-saldos-contas/saldos", params={"agencia": branch, "conta": account}
    )


def statement(
    client: Client,
    *,
    branch: str,
    account: str,
    start: dt.date | str,
    end: dt.date | str,
    kind: str = "cc",
) -> Response:
    """`GET /v1/fornecimento-extratos-contas/extratos` for [start, end] (dates sent as DDMMAAAA)."""
    require_family(client, "portal")
    start, end = as_date(start, "start"), as_date(end, "end")
    if end < start:
        raise ConfigurationError(f"end ({end}) is before start ({start}).")
    if (end - start).days > MAX_STATEMENT_DAYS:
        raise ConfigurationError(
            f"The statement has no pagination and accepts at most {MAX_STATEMENT_DAYS} days; "
            "use bx.ExtratoWindows to split a longer period."
        )
    params = {"agencia": branch, "conta": account, "tipo": kind,
              "dataInicio": start.strftime("%d%m%Y"), "dataFim": end.strftime("%d%m%Y")}  # fmt: skip
    return client.get("/v1/fornecimento-extratos-contas/extratos", params=params)
