"""What every family module is given: the shared stores, the data, and the token endpoint basics.

A family module is a `register(router, context)` function plus its handlers; it reads and
writes only through this context, so families never import each other.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from ._dataset import Dataset
from ._refusal import Refusal
from ._registry import Client, ClientRegistry, invalid_client, require_registered_certificate
from ._server import Reply, Request, json_reply
from ._state import Clock, Counters, OneTimeValues, SecretLedger
from ._tokens import AccessToken, TokenStore


@dataclass
class SandboxContext:
    """The state one `Sandbox` shares between its families.

    `bank_key`/`bank_kid` sign the Pix and legacy access tokens (RS512 JWTs, as recorded
    from Bradesco); `token_lifetime` is every family's access-token lifetime in seconds.
    """

    clock: Clock
    registry: ClientRegistry
    tokens: TokenStore
    once: OneTimeValues
    ledger: SecretLedger
    counters: Counters
    data: Dataset
    bank_key: rsa.RSAPrivateKey
    bank_kid: str
    token_lifetime: float
    public_base: str = ""
    mtls_base: str = ""

    def sign_bank_jwt(self, claims: dict[str, Any]) -> str:
        """An RS512 JWT signed with the bank key (the shape of Bradesco's access tokens)."""
        return jwt.encode(claims, self.bank_key, algorithm="RS512", headers={"kid": self.bank_kid})

    def token_claims(self, client_id: str, thumbprint: str, lifetime: float) -> dict[str, Any]:
        """The claims every Bradesco-style JWT access token carries."""
        now = int(self.clock.now())
        return {
            "sub": client_id,
            "iat": now,
            "exp": now + int(lifetime),
            "jti": secrets.token_hex(16),
            "cnf": {"x5t#S256": thumbprint},
            "tokenType": "access",
            "clientType": "server",
        }


def form_of(request: Request) -> dict[str, str]:
    """The form body, or 400 `invalid_request` when the content type is not form-encoded."""
    kind = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise Refusal(
            400,
            "invalid_request",
            f"the body must be application/x-www-form-urlencoded, not '{kind or 'none'}'.",
        )
    return request.form()


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """(client_id, secret) from `Authorization: Basic ...` (RFC 6749 section 2.3.1), if sent."""
    header = request.header("Authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise invalid_client("the Basic Authorization header is not valid base64.") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise invalid_client("the Basic Authorization header must hold 'client_id:secret'.")
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_with_secret(
    context: SandboxContext, request: Request, form: dict[str, str], *, basic_only: bool
) -> tuple[Client, str]:
    """Client secret (Basic, or in the body unless `basic_only`) plus a registered certificate."""
    basic = basic_credentials(request)
    if basic is None and basic_only:
        raise Refusal(
            401,
            "invalid_client",
            "this endpoint takes the client id and secret with HTTP Basic authentication only "
            "(client_secret_basic), not in the form.",
            headers={"WWW-Authenticate": 'Basic realm="sandbox"'},
        )
    client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
    client = context.registry.require_secret(client_id, secret)
    return client, require_registered_certificate(client, request)


def require_grant(form: dict[str, str], expected: str) -> None:
    """400 `unsupported_grant_type` unless `grant_type` is `expected`."""
    grant = form.get("grant_type")
    if not grant:
        raise Refusal(400, "invalid_request", "grant_type is missing.")
    if grant != expected:
        raise Refusal(
            400,
            "unsupported_grant_type",
            f"grant_type '{grant[:60]}' is not supported here; use '{expected}'.",
        )


def token_reply(token: AccessToken, *, extra: dict[str, Any] | None = None) -> Reply:
    """The RFC 6749 section 5.1 success body, with `Cache-Control: no-store`."""
    body: dict[str, Any] = {
        "access_token": token.value,
        "token_type": "Bearer",
        "expires_in": round(token.expires_at - token.issued_at),
    }
    if token.scopes:
        body["scope"] = " ".join(sorted(token.scopes))
    body.update(extra or {})
    return json_reply(200, body, **{"Cache-Control": "no-store", "Pragma": "no-cache"})
