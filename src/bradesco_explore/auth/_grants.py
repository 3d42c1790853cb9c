"""The token endpoint: one POST per grant, and the response read the way RFC 6749 §5 allows.

Accepted as the spec allows: `token_type` "bearer" in any case; no `scope` (the requested
scope is assumed, §5.1); no `expires_in` (expiry unknown, not infinite); `expires_in` as a
numeric string. Refused: a body that is not a JSON object, no `access_token`, a token type
this client cannot send (anything but Bearer). Error responses become `OAuthError` with
`error` and `error_description` and a hint about what to do.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .._secret import Secret, redact
from ..errors import OAuthError, ResponseValidationError
from ..transport import Response, Session, server_time, status_error
from ._client_auth import ClientAuthentication
from ._tokens import Token

__all__ = [
    "JWT_BEARER",
    "TokenEndpoint",
    "TokenResponse",
    "clock_note",
    "oauth_error",
    "parse_token_response",
]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_SKEW_WORTH_NAMING = 30.0  # seconds between the server's Date and our clock

_HINTS = {
    "invalid_client": "The server did not accept the client's credentials: check client_id, the "
    "secret or signing key, and that the auth method matches the registration.",
    "invalid_grant": "The code, refresh token or assertion is invalid, expired or already used; "
    "for a refresh token, the user must authorise again (client.authorize).",
    "invalid_scope": "Ask only for scopes the client is registered for.",
    "unauthorized_client": "This client is not allowed to use this grant; check its registration.",
    "unsupported_grant_type": "The server does not support this grant; check the family's grant.",
    "invalid_request": "The request is malformed or misses a parameter the server requires.",
}


@dataclass(frozen=True)
class TokenResponse:
    """A parsed token response: the `Token` and, if any, the raw (unvalidated) ID token."""

    token: Token
    id_token: str | None
    response: Response


@dataclass(frozen=True)
class TokenEndpoint:
    """Where and how this client asks for tokens."""

    session: Session
    url: str
    authentication: ClientAuthentication
    issuer: str | None
    clock: Callable[[], float]
    include_client_id: bool = True

    def request(
        self,
        form: Mapping[str, str] | Callable[[], Mapping[str, str]],
        *,
        grant: str,
        requested_scope: tuple[str, ...],
    ) -> TokenResponse:
        """POST `form` with client authentication; return the parsed response or raise."""
        sent_at = self.clock()
        signer = self.authentication.signer(
            form,
            issuer=self.issuer,
            token_endpoint=self.url,
            include_client_id=self.include_client_id,
        )
        response = self.session.request(
            "POST",
            self.url,
            headers={"Accept": "application/json"},
            auth=signer,
        )
        if response.status_code >= 400:
            raise oauth_error(
                response, endpoint="token endpoint", note=clock_note(response, self.clock())
            )
        token, id_token = parse_token_response(
            json_object(response), grant=grant, requested_scope=requested_scope, sent_at=sent_at
        )
        return TokenResponse(token=token, id_token=id_token, response=response)


def oauth_error(response: Response, *, endpoint: str, note: str = "") -> Exception:
    """An `OAuthError` for an RFC 6749 error body, else the transport's `HTTPStatusError`.

    `note` (such as `clock_note(...)`) is appended to the message.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return status_error(response, note=note)
    error = body["error"]
    description = body.get("error_description")
    shown = redact(str(description)) if description else None
    hint = _HINTS.get(error, "")
    message = f"The {endpoint} ({response.url}) answered {response.status_code} error={error!r}"
    message += f": {shown.rstrip('.')}." if shown else "."
    return OAuthError(
        f"{message} {hint}{note}".strip(),
        error=error,
        error_description=shown,
        status=response.status_code,
        url=response.url,
        interaction_id=response.interaction_id,
    )


def clock_note(response: Response, now: float) -> str:
    """A sentence naming the clock skew, when the server's `Date` is far from this client's.

    Signed assertions and request objects carry `iat`/`exp` from the client's clock, and a
    server refuses them outside its tolerance (often seconds); the refusal itself rarely says
    why. Below `_SKEW_WORTH_NAMING` seconds nothing is added.
    """
    reading = server_time(response)
    if reading is None or abs(reading - now) < _SKEW_WORTH_NAMING:
        return ""
    skew = reading - now
    about = max(10, round(abs(skew) / 10) * 10)
    side, sign = ("ahead of", "+") if skew > 0 else ("behind", "-")
    return (
        f" The server's clock (its Date header) is about {about} s {side} this client's, and "
        "signed assertions carry this client's time: synchronise the clock, or pass "
        f"Client(clock=lambda: time.time() {sign} {about})."
    )


def json_object(
    response: Response,
    *,
    endpoint: str = "token endpoint",
    expected: str = "a token response",
    check: str = "token_response.format",
) -> dict[str, Any]:
    """The body as a JSON object, or `ResponseValidationError(check=...)` naming the endpoint."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ResponseValidationError(
            f"The {endpoint} ({response.url}) answered {response.status_code} without a JSON "
            f"object; it is not {expected}.",
            check=check,
        )
    return body


def parse_token_response(
    body: Mapping[str, Any], *, grant: str, requested_scope: tuple[str, ...], sent_at: float
) -> tuple[Token, str | None]:
    """Read a successful token response into a `Token` (plus the raw ID token, if any)."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ResponseValidationError(
            "The token response has no access_token.", check="token_response.access_token"
        )
    access_token = Secret(access)
    token_type = body.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise ResponseValidationError(
            f"The token response's token_type is {token_type!r}; this client sends Bearer tokens "
            "only (any letter case).",
            check="token_response.token_type",
        )
    issued = dt.datetime.fromtimestamp(sent_at, dt.UTC)
    token = Token(
        access_token=access_token,
        token_type="Bearer",  # noqa: S106 - a token type, not a password
        scope=_scope(body.get("scope"), requested_scope),
        expires_at=_after(issued, body.get("expires_in"), "expires_in"),
        refresh_token=_optional_secret(body.get("refresh_token"), "refresh_token"),
        cnf=_bound_thumbprint(access),
        grant=grant,
        issued_at=issued,
        refresh_expires_at=_after(issued, body.get("refresh_expires_in"), "refresh_expires_in"),
    )
    id_token = body.get("id_token")
    if id_token is not None and not isinstance(id_token, str):
        raise ResponseValidationError(
            "The token response's id_token is not a string.", check="token_response.id_token"
        )
    return token, id_token


def _scope(value: Any, requested: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, str) and value.strip():
        return tuple(value.split())
    return requested


def _after(issued: dt.datetime, value: Any, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ResponseValidationError(
            f"The token response's {name} is {value!r}, not a number of seconds.",
            check=f"token_response.{name}",
        ) from None
    if isinstance(value, bool) or not math.isfinite(seconds):
        raise ResponseValidationError(
            f"The token response's {name} is not a finite number.", check=f"token_response.{name}"
        )
    try:
        return issued + dt.timedelta(seconds=seconds)
    except OverflowError:
        raise ResponseValidationError(
            f"The token response's {name} ({seconds:g} s) points past any representable date.",
            check=f"token_response.{name}",
        ) from None


def _optional_secret(value: Any, name: str) -> Secret | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ResponseValidationError(
            f"The token response's {name} is not a string.", check=f"token_response.{name}"
        )
    return Secret(value)


def _bound_thumbprint(access_token: str) -> str | None:
    """`cnf.x5t#S256` of a JWT access token (read, not verified: the resource server verifies)."""
    parts = access_token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    cnf = payload.get("cnf") if isinstance(payload, dict) else None
    value = cnf.get("x5t#S256") if isinstance(cnf, dict) else None
    return value if isinstance(value, str) else None
