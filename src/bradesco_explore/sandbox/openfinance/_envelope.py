"""What every Open Finance API call shares: the interaction id, access checks, envelopes, pages.

- `x-fapi-interaction-id` must be a UUID; it is echoed on every answer. When it is missing or
  malformed the answer is 400 with a fresh id (OFB rule).
- Data calls need an `authorization_code` token (bound to the presenting certificate), the
  family's scope, an AUTHORISED consent and the permission: 401 / 403 otherwise.
- Bodies are `{data, links, meta}`; errors `{errors[], meta}`; money `{amount, currency}`.
- Lists take `page` (from 1) and `page-size` (default 25, at most 1000).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from .._refusal import GENERIC_FAULT_CODES, Refusal, fault_as, ofb_errors
from .._server import Handler, Reply, Request, json_reply
from .._tokens import AccessToken, require_scope
from ._consents import AUTHORISED, Consent
from ._provider import Provider

INTERACTION = "x-fapi-interaction-id"
FAMILY = "openfinance"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 25, 1000


def ofb_route(handler: Handler) -> Handler:
    """`handler` behind the interaction-id rule, with refusals in the OFB envelope."""

    def run(request: Request) -> Reply:
        interaction = request.header(INTERACTION) or ""
        if not _UUID.match(interaction):
            echoed = str(uuid.uuid4())
            code = "PARAMETRO_INVALIDO" if interaction else "PARAMETRO_NAO_INFORMADO"
            detail = f"the {INTERACTION} header is {'not a UUID' if interaction else 'missing'}: send a UUID v4 on every call."
            reply = ofb_errors(Refusal(400, code, detail, title="x-fapi-interaction-id"), request)
        else:
            echoed = interaction
            try:
                reply = handler(request)
            except Refusal as refusal:
                reply = ofb_errors(refusal, request)
        reply.headers[INTERACTION] = echoed
        return reply

    run.__doc__ = handler.__doc__
    return run


def render_fault(request: Request, reply: Reply) -> Reply:
    """Server-made answers on Open Finance API paths (404, 405, 500, faults): the OFB
    envelope, the interaction id echoed (a fresh one when it is missing or not a UUID)."""
    rendered = fault_as(ofb_errors, GENERIC_FAULT_CODES, request, reply)
    interaction = request.header(INTERACTION) or ""
    rendered.headers[INTERACTION] = interaction if _UUID.match(interaction) else str(uuid.uuid4())
    return rendered


def refused(status: int, code: str, detail: str, title: str = "") -> Refusal:
    """An OFB refusal."""
    return Refusal(status, code, detail, title=title or code.replace("_", " ").title())


def client_token(provider: Provider, request: Request, scope: str) -> AccessToken:
    """A valid token with `scope` from the client_credentials grant (consent endpoints)."""
    token = _token(provider, request, scope)
    if token.grant != "client_credentials":
        raise refused(
            403,
            "FORBIDDEN",
            "this endpoint needs a client_credentials token with scope 'consents'.",
        )
    return token


def data_access(provider: Provider, request: Request, scope: str, permission: str) -> Consent:
    """The AUTHORISED consent behind this call's token, if it grants `permission`."""
    token = _token(provider, request, scope)
    if token.grant != "authorization_code" or token.consent_id is None:
        raise refused(
            403,
            "FORBIDDEN",
            "customer data needs a token from the authorization code flow with a consent scope.",
        )
    consent = provider.consents.get(token.consent_id)
    if consent is None or consent.status != AUTHORISED:
        status = consent.status if consent else "unknown"
        raise refused(
            401, "UNAUTHORIZED", f"consent {token.consent_id} is {status}, not AUTHORISED."
        )
    if permission not in consent.permissions:
        raise refused(
            403, "FORBIDDEN", f"consent {consent.consent_id} does not grant {permission}."
        )
    return consent


def _token(provider: Provider, request: Request, scope: str) -> AccessToken:
    try:
        token = provider.context.tokens.authenticate(request, FAMILY)
        require_scope(token, scope)
    except Refusal as refusal:
        code = "UNAUTHORIZED" if refusal.status == 401 else "FORBIDDEN"
        raise Refusal(
            refusal.status, code, refusal.detail, title=code.title(), headers=refusal.headers
        ) from None
    return token


def self_link(provider: Provider, request: Request, **query: Any) -> str:
    """The absolute URL of this request, with `query` replacing its parameters."""
    params = {k: v[0] for k, v in request.query.items()} | {
        k: v for k, v in query.items() if v is not None
    }
    params = {k: v for k, v in params.items() if v is not None}
    suffix = f"?{urlencode(params)}" if params else ""
    return f"{provider.endpoints.mtls}{request.path}{suffix}"


def envelope(provider: Provider, request: Request, data: Any, *, status: int = 200,
             links: dict[str, str] | None = None, meta: dict[str, Any] | None = None) -> Reply:  # fmt: skip
    """`{data, links, meta}` with `links.self` and `meta.requestDateTime`."""
    body = {
        "data": data,
        "links": links or {"self": self_link(provider, request)},
        "meta": (meta if meta is not None else {"totalRecords": 1, "totalPages": 1})
        | {"requestDateTime": provider.context.clock.rfc3339()},
    }
    return json_reply(status, body)


def page_params(request: Request) -> tuple[int, int]:
    """(`page`, `page-size`), validated: 422 when out of range."""
    values = []
    for name, default, top in (("page", 1, None), ("page-size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)):
        raw = request.arg(name)
        if raw is None:
            values.append(default)
            continue
        if not raw.isdigit() or int(raw) < 1 or (top is not None and int(raw) > top):
            limit = f" (1 to {top})" if top else " (from 1)"
            raise refused(422, "PARAMETRO_INVALIDO", f"{name} '{raw[:20]}' is invalid{limit}.")
        values.append(int(raw))
    return values[0], values[1]


def paged(provider: Provider, request: Request, items: Sequence[Any]) -> Reply:
    """A page of `items` with `links` (self, first, prev, next, last) and totals in `meta`."""
    page, size = page_params(request)
    pages = max(1, math.ceil(len(items) / size))
    chunk = list(items[(page - 1) * size : page * size])
    links = {"self": self_link(provider, request, page=page, **{"page-size": size}),
             "first": self_link(provider, request, page=1, **{"page-size": size}),
             "last": self_link(provider, request, page=pages, **{"page-size": size})}  # fmt: skip
    if page > 1:
        links["prev"] = self_link(
            provider, request, page=min(page - 1, pages), **{"page-size": size}
        )
    if page < pages:
        links["next"] = self_link(provider, request, page=page + 1, **{"page-size": size})
    return envelope(
        provider,
        request,
        chunk,
        links=links,
        meta={"totalRecords": len(items), "totalPages": pages},
    )
