"""Pix (Bacen API Pix v2 on Bradesco): charges, due charges, locations, received Pix, webhooks.

Each function builds the documented request and returns the `Response`, so the HTTP exchange
stays visible (`response.json()`, `client.log`). The client must be built for the `pix`
family, whose tokens are bound to the client certificate (RFC 8705).

Bradesco quirks kept as they are: `POST /v2/cob`, `PUT /v2/cobv/{txid}` and
`PUT /v2/pix/{e2eid}/devolucao/{id}` answer 200 where the Bacen spec says 201, and
`/v2/cob-emv` (Bradesco only) returns the EMV "copia e cola" and a QR image with the charge.

>>> response = pix.create_charge(client, amount="10.50", key="chave@example.com")  # doctest: +SKIP
>>> response.json()["txid"]                                                          # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError, DataError
from ._family import as_date, as_instant, require_family

if TYPE_CHECKING:
    from ..auth import Client
    from ..transport import Response

__all__ = [
    "create_charge",
    "create_due_charge",
    "create_location",
    "delete_webhook",
    "format_amount",
    "get_charge",
    "get_due_charge",
    "get_received",
    "get_refund",
    "get_webhook",
    "list_charges",
    "list_due_charges",
    "list_received",
    "list_webhooks",
    "new_txid",
    "refund",
    "set_webhook",
    "update_charge",
]

_TXID = re.compile(r"^[a-zA-Z0-9]{26,35}$")
_AMOUNT = re.compile(r"^\d{1,10}\.\d{2}$")


def new_txid() -> str:
    """A fresh transaction id: 32 letters and digits (the spec allows 26 to 35)."""
    return uuid.uuid4().hex


def format_amount(amount: Decimal | str | int) -> str:
    """An amount as Pix wants it: a string with exactly two decimals, e.g. `"10.50"`.

    Floats are refused: they cannot hold most cent values exactly.
    """
    if isinstance(amount, float):
        raise ConfigurationError("Give Pix amounts as Decimal or str ('10.50'), not float.")
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ConfigurationError(f"'{amount}' is not an amount; use for example '10.50'.") from None
    if not value.is_finite():  # NaN survives quantize
        raise ConfigurationError(f"'{amount}' is not an amount; use for example '10.50'.")
    text = f"{value:.2f}"
    if value <= 0 or not _AMOUNT.match(text):
        raise ConfigurationError(f"Pix amount {text} must be positive and below 10,000,000,000.00.")
    return text


def _txid(txid: str) -> str:
    if not _TXID.match(txid):
        raise ConfigurationError(
            f"txid '{txid}' must be 26 to 35 letters or digits (see new_txid())."
        )
    return txid


def _charge_body(
    amount: Decimal | str | int,
    key: str,
    debtor: Mapping[str, str] | None,
    message: str | None,
    calendar: Mapping[str, Any],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "calendario": dict(calendar),
        "valor": {"original": format_amount(amount)},
        "chave": key,
    }
    if debtor:
        body["devedor"] = dict(debtor)
    if message:
        body["solicitacaoPagador"] = message
    return body


# -- immediate charges (cob) --------------------------------------------------------------------------
def create_charge(
    client: Client,
    *,
    amount: Decimal | str | int,
    key: str,
    txid: str | None = None,
    expires_in: int = 3600,
    debtor: Mapping[str, str] | None = None,
    message: str | None = None,
    with_emv: bool = False,
) -> Response:
    """Create an immediate charge: `PUT /v2/cob/{txid}` with a txid, else `POST /v2/cob`.

    `debtor` is `{"cpf"|"cnpj": ..., "nome": ...}`; `message` is the solicitacaoPagador shown
    to the payer. Needs scope `cob.write`. With a txid the call is idempotent (a retry cannot
    create a second charge), so prefer passing `txid=new_txid()`. `with_emv=True` uses
    Bradesco's `PUT /v2/cob-emv/{txid}`, which also returns the EMV string and a QR image.
    """
    require_family(client, "pix")
    body = _charge_body(amount, key, debtor, message, {"expiracao": expires_in})
    if with_emv:
        return client.put(
            f"/v2/cob-emv/{_txid(txid or new_txid())}", json=body, scopes=["cob.write"]
        )
    if txid is None:
        return client.post("/v2/cob", json=body, scopes=["cob.write"])
    return client.put(f"/v2/cob/{_txid(txid)}", json=body, scopes=["cob.write"])


def get_charge(client: Client, txid: str, *, revision: int | None = None) -> Response:
    """`GET /v2/cob/{txid}` (scope `cob.read`)."""
    require_family(client, "pix")
    params = {"revisao": revision} if revision is not None else None
    return client.get(f"/v2/cob/{_txid(txid)}", params=params, scopes=["cob.read"])


def update_charge(client: Client, txid: str, changes: Mapping[str, Any]) -> Response:
    """`PATCH /v2/cob/{txid}` with the fields to change, e.g. `{"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"}`."""
    require_family(client, "pix")
    return client.patch(f"/v2/cob/{_txid(txid)}", json=dict(changes), scopes=["cob.write"])


def _window(
    start: dt.datetime | str, end: dt.datetime | str, extra: Mapping[str, Any]
) -> dict[str, Any]:
    start, end = as_instant(start, "start"), as_instant(end, "end")
    if end <= start:
        raise ConfigurationError(
            f"end ({end.isoformat()}) must be after start ({start.isoformat()})."
        )
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    params = {
        "inicio": start.astimezone(dt.UTC).strftime(fmt),
        "fim": end.astimezone(dt.UTC).strftime(fmt),
    }
    return params | {k: v for k, v in extra.items() if v is not None}


def list_charges(
    client: Client,
    start: dt.datetime | str,
    end: dt.datetime | str,
    *,
    status: str | None = None,
    cpf: str | None = None,
    cnpj: str | None = None,
    page: int = 0,
    page_size: int = 100,
) -> Response:
    """One page of `GET /v2/cob` for charges created in [start, end]; `paginacao` says how many pages."""
    require_family(client, "pix")
    extra = {"status": status, "cpf": cpf, "cnpj": cnpj, "paginacao.paginaAtual": page,
             "paginacao.itensPorPagina": page_size}  # fmt: skip
    return client.get("/v2/cob", params=_window(start, end, extra), scopes=["cob.read"])


# -- charges with a due date (cobv) -------------------------------------------------------------------------
def create_due_charge(
    client: Client,
    txid: str,
    *,
    amount: Decimal | str | int,
    key: str,
    due_date: dt.date | str,
    debtor: Mapping[str, str],
    valid_after_due_days: int = 30,
    message: str | None = None,
) -> Response:
    """`PUT /v2/cobv/{txid}`: a charge with a due date; `debtor` needs cpf/cnpj and nome."""
    require_family(client, "pix")
    calendar = {
        "dataDeVencimento": as_date(due_date, "due_date").isoformat(),
        "validadeAposVencimento": valid_after_due_days,
    }
    body = _charge_body(amount, key, debtor, message, calendar)
    return client.put(f"/v2/cobv/{_txid(txid)}", json=body, scopes=["cobv.write"])


def get_due_charge(client: Client, txid: str) -> Response:
    """`GET /v2/cobv/{txid}` (scope `cobv.read`)."""
    require_family(client, "pix")
    return client.get(f"/v2/cobv/{_txid(txid)}", scopes=["cobv.read"])


def list_due_charges(
    client: Client,
    start: dt.datetime | str,
    end: dt.datetime | str,
    *,
    page: int = 0,
    page_size: int = 100,
) -> Response:
    """One page of `GET /v2/cobv` for [start, end]."""
    require_family(client, "pix")
    extra = {"paginacao.paginaAtual": page, "paginacao.itensPorPagina": page_size}
    return client.get("/v2/cobv", params=_window(start, end, extra), scopes=["cobv.read"])


# -- locations (loc) ---------------------------------------------------------------------------------
def create_location(client: Client, *, kind: str = "cob") -> Response:
    """`POST /v2/loc` with `{"tipoCob": "cob"|"cobv"}` (scope `payloadlocation.write`)."""
    require_family(client, "pix")
    if kind not in {"cob", "cobv"}:
        raise ConfigurationError(f"kind must be 'cob' or 'cobv', not '{kind}'.")
    return client.post("/v2/loc", json={"tipoCob": kind}, scopes=["payloadlocation.write"])


# -- received Pix and refunds --------------------------------------------------------------------------------
def list_received(
    client: Client,
    start: dt.datetime | str,
    end: dt.datetime | str,
    *,
    txid: str | None = None,
    page: int = 0,
    page_size: int = 100,
) -> Response:
    """One page of `GET /v2/pix`: Pix received in [start, end] (with their devolucoes)."""
    require_family(client, "pix")
    extra = {"txid": txid, "paginacao.paginaAtual": page, "paginacao.itensPorPagina": page_size}
    return client.get("/v2/pix", params=_window(start, end, extra), scopes=["pix.read"])


def get_received(client: Client, e2eid: str) -> Response:
    """`GET /v2/pix/{e2eid}`: one received Pix by its end-to-end id."""
    require_family(client, "pix")
    return client.get(f"/v2/pix/{e2eid}", scopes=["pix.read"])


def refund(client: Client, e2eid: str, refund_id: str, *, amount: Decimal | str | int) -> Response:
    """`PUT /v2/pix/{e2eid}/devolucao/{id}`: refund (part of) a received Pix, once per `id`.

    Bacen refuses an `id` already used for that Pix (400 `PixDevolucaoInvalida`), so a refund
    is never made twice. When the transport had to resend the PUT (a timeout, a lost answer)
    and the resend is refused for its id, the first attempt did arrive: the refund is read
    back (`GET .../devolucao/{id}`) and returned if it is this amount, instead of an error
    for money that was in fact refunded.
    """
    require_family(client, "pix")
    body = {"valor": format_amount(amount)}
    path = f"/v2/pix/{e2eid}/devolucao/{refund_id}"
    response = client.put(path, json=body, scopes=["pix.write"], raise_for_status=False)
    if response.attempts > 1 and _id_already_used(response):
        earlier = client.get(path, scopes=["pix.read"], raise_for_status=False)
        if earlier.ok and earlier.json().get("valor") == body["valor"]:
            return earlier
    return response.raise_for_status()


def _id_already_used(response: Response) -> bool:
    """A 400 whose Bacen `violacoes` name the `id` (it belongs to an earlier refund)."""
    if response.status_code != 400:
        return False
    try:
        problem = response.json()
    except DataError:
        return False
    violations = problem.get("violacoes") if isinstance(problem, dict) else None
    return isinstance(violations, list) and any(
        isinstance(v, dict) and v.get("propriedade") == "id" for v in violations
    )


def get_refund(client: Client, e2eid: str, refund_id: str) -> Response:
    """`GET /v2/pix/{e2eid}/devolucao/{id}`."""
    require_family(client, "pix")
    return client.get(f"/v2/pix/{e2eid}/devolucao/{refund_id}", scopes=["pix.read"])


# -- webhooks ---------------------------------------------------------------------------------------------------
def set_webhook(client: Client, key: str, url: str) -> Response:
    """`PUT /v2/webhook/{chave}` with `{"webhookUrl": url}`; the bank will POST to `{url}/pix`."""
    require_family(client, "pix")
    if not url.startswith("https://"):
        raise ConfigurationError(
            "A Pix webhook URL must be https:// (the bank calls it over mTLS)."
        )
    return client.put(f"/v2/webhook/{key}", json={"webhookUrl": url}, scopes=["webhook.write"])


def get_webhook(client: Client, key: str) -> Response:
    """`GET /v2/webhook/{chave}`."""
    require_family(client, "pix")
    return client.get(f"/v2/webhook/{key}", scopes=["webhook.read"])


def delete_webhook(client: Client, key: str) -> Response:
    """`DELETE /v2/webhook/{chave}`."""
    require_family(client, "pix")
    return client.delete(f"/v2/webhook/{key}", scopes=["webhook.write"])


def list_webhooks(client: Client) -> Response:
    """`GET /v2/webhook`: every webhook registered for this client."""
    require_family(client, "pix")
    return client.get("/v2/webhook", scopes=["webhook.read"])
