"""Refusals and the error envelope each family answers them in (reference section 7).

Handlers raise `Refusal`; the route's renderer turns it into that family's body:

| family | renderer | body |
|---|---|---|
| OAuth token/PAR endpoints | `oauth_error` | `{"error", "error_description"}` (RFC 6749 section 5.2) |
| Open Finance | `ofb_errors` | `{"errors": [{"code", "title", "detail"}], "meta": {"requestDateTime"}}` |
| Pix (Bacen) | `pix_problem` | RFC 7807 `{"type": ".../error/<Name>", "title", "status", "detail", "violacoes"}` |
| Portal (Gen2) | `portal_error` | `{"code", "message", "details": [{"name", "value"}]}` |
| Portal list endpoints | `portal_list_error` | `{"codigo", "parametro", "mensagem"}` |
| Legacy (Gen1) business | `legacy_error` | `{"codigo", "mensagem", "errosValidacao": [{"campo", "mensagem"}]}` |
| Legacy (Gen1) token | `legacy_token_error` | `{"code", "message"}` |

Answers the server makes itself (an unknown path 404, a wrong method 405, a handler crash
500, an injected 429/503/529) are rendered by `fault_as` with the same renderers, each with its
family's own code map (`FaultCodes`: status -> (code, title)): Bacen's type names for Pix
(`_pix.PIX_FAULT_CODES`), RFC 6749 codes for OAuth endpoints (`OAUTH_FAULT_CODES`), and the
sandbox's own generic codes for Open Finance, the portal and Gen1 (`GENERIC_FAULT_CODES`,
`INTERNAL_ERROR` as luikyv/mock-bank answers it), whose real catalogues are not public.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._server import Handler, Reply, Request, json_reply

PIX_ERROR_BASE = "https://pix.bcb.gov.br/api/v2/error/"


@dataclass(frozen=True)
class Violation:
    """One field-level problem: which field, why, and (optionally) the offending value."""

    field: str
    reason: str
    value: str | None = None


class Refusal(Exception):
    """The sandbox says no: HTTP `status`, a machine `code`, a human `detail`.

    `title` defaults to `code`; `violations` list field problems; `headers` are added to the
    reply (for example `WWW-Authenticate`).
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        title: str = "",
        violations: Sequence[Violation] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or code
        self.violations = tuple(violations)
        self.headers = dict(headers or {})


Renderer = Callable[[Refusal, Request], Reply]


def guarded(handler: Handler, render: Renderer) -> Handler:
    """`handler`, with any `Refusal` it raises rendered by `render`."""

    def run(request: Request) -> Reply:
        try:
            return handler(request)
        except Refusal as refusal:
            return render(refusal, request)

    run.__doc__ = handler.__doc__
    return run


def _reply(refusal: Refusal, body: object, content_type: str = "application/json") -> Reply:
    headers = {"Content-Type": content_type, **refusal.headers}
    if refusal.status in (401, 403) and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return json_reply(refusal.status, body, **headers)


def oauth_error(refusal: Refusal, request: Request) -> Reply:
    """RFC 6749 section 5.2: `{"error", "error_description"}`, no-store."""
    reply = _reply(refusal, {"error": refusal.code, "error_description": refusal.detail})
    reply.headers["Cache-Control"] = "no-store"
    return reply


def ofb_errors(refusal: Refusal, request: Request) -> Reply:
    """Open Finance Brasil: `errors[]` (1-13 items) plus `meta.requestDateTime`."""
    errors = [{"code": refusal.code, "title": refusal.title[:255], "detail": refusal.detail[:2048]}]
    errors += [
        {"code": refusal.code, "title": v.field[:255], "detail": v.reason[:2048]}
        for v in refusal.violations[:12]
    ]
    now = dt.datetime.fromtimestamp(request.clock(), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _reply(refusal, {"errors": errors, "meta": {"requestDateTime": now}})


def pix_problem(refusal: Refusal, request: Request) -> Reply:
    """Bacen API Pix: RFC 7807 problem details with `violacoes`."""
    body: dict[str, object] = {
        "type": PIX_ERROR_BASE + refusal.code,
        "title": refusal.title,
        "status": refusal.status,
        "detail": refusal.detail,
    }
    if refusal.violations:
        body["violacoes"] = [
            {"razao": v.reason, "propriedade": v.field}
            | ({"valor": v.value} if v.value is not None else {})
            for v in refusal.violations
        ]
    return _reply(refusal, body, "application/problem+json")


def portal_error(refusal: Refusal, request: Request) -> Reply:
    """Bradesco Gen2 portal APIs: `{"code", "message", "details": [{"name", "value"}]}`."""
    details = [{"name": v.field, "value": v.reason} for v in refusal.violations]
    return _reply(refusal, {"code": refusal.code, "message": refusal.detail, "details": details})


def portal_list_error(refusal: Refusal, request: Request) -> Reply:
    """Gen2 list endpoints: `{"codigo", "parametro", "mensagem"}`."""
    parameter = refusal.violations[0].field if refusal.violations else ""
    return _reply(
        refusal, {"codigo": refusal.code, "parametro": parameter, "mensagem": refusal.detail}
    )


def legacy_error(refusal: Refusal, request: Request) -> Reply:
    """Gen1 business calls: `{"codigo", "mensagem", "errosValidacao": [{"campo", "mensagem"}]}`."""
    body = {
        "codigo": refusal.code,
        "mensagem": refusal.detail,
        "errosValidacao": [{"campo": v.field, "mensagem": v.reason} for v in refusal.violations],
    }
    return _reply(refusal, body)


def legacy_token_error(refusal: Refusal, request: Request) -> Reply:
    """Gen1 token endpoint: `{"code": <int status>, "message"}` (as BoletoNetCore parses it)."""
    return _reply(refusal, {"code": refusal.status, "message": f"{refusal.code}: {refusal.detail}"})


FaultCodes = Mapping[int, tuple[str, str]]
"""A family's codes for the answers the server makes itself: HTTP status -> (code, title)."""

GENERIC_FAULT_CODES: FaultCodes = {
    404: ("NOT_FOUND", "Not Found"),
    405: ("METHOD_NOT_ALLOWED", "Method Not Allowed"),
    429: ("TOO_MANY_REQUESTS", "Too Many Requests"),
    500: ("INTERNAL_ERROR", "Internal Error"),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable"),
    529: ("SITE_IS_OVERLOADED", "Site Is Overloaded"),
}
OAUTH_FAULT_CODES: FaultCodes = {
    404: ("invalid_request", "invalid_request"),
    405: ("invalid_request", "invalid_request"),
    429: ("temporarily_unavailable", "temporarily_unavailable"),
    500: ("server_error", "server_error"),
    503: ("temporarily_unavailable", "temporarily_unavailable"),
    529: ("temporarily_unavailable", "temporarily_unavailable"),
}


def fault_as(render: Renderer, codes: FaultCodes, request: Request, reply: Reply) -> Reply:
    """A server-made reply (`{"message"}`: 404, 405, 500, injected 429/503/529) in a family's
    envelope: `codes` names the status, the message becomes the detail, headers (`Allow`,
    `Retry-After`) are kept."""
    code, title = codes.get(reply.status, (f"HTTP_{reply.status}", f"HTTP {reply.status}"))
    refusal = Refusal(reply.status, code, _message(reply), title=title)
    rendered = render(refusal, request)
    rendered.headers.update({k: v for k, v in reply.headers.items() if k != "Content-Type"})
    return rendered


def oauth_fault(request: Request, reply: Reply) -> Reply:
    """A server-made reply on an OAuth endpoint: `{"error", "error_description"}`."""
    return fault_as(oauth_error, OAUTH_FAULT_CODES, request, reply)


def _message(reply: Reply) -> str:
    body: Any = reply.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return f"HTTP {reply.status}"
