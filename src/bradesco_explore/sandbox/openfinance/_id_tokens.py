"""ID tokens and JARM responses, signed PS256 with the server's current `kid`.

The ID token carries `iss` (the exact issuer), `sub` (opaque: no CPF, so it needs no
encryption), `aud` (the client), `iat`, `exp` (10 minutes), `auth_time`, `acr` (loa2),
`nonce`, and the FAPI detached-signature hashes `c_hash` / `s_hash` (and `at_hash` when it
comes with an access token).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from ._endpoints import ACR_LOA2
from ._provider import Provider

ID_TOKEN_LIFETIME = 600
JARM_LIFETIME = 600


def half_hash(value: str) -> str:
    """Base64url of the left half of SHA-256(value): `c_hash`, `s_hash`, `at_hash` for PS256."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def id_token(provider: Provider, *, client_id: str, auth_time: int, nonce: str | None,
             code: str | None = None, state: str | None = None, access_token: str | None = None) -> str:  # fmt: skip
    """A signed ID token for the fixed customer."""
    now = int(provider.context.clock.now())
    claims: dict[str, Any] = {
        "iss": provider.endpoints.issuer,
        "sub": provider.context.data.customer.subject,
        "aud": client_id,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME,
        "auth_time": auth_time,
        "acr": ACR_LOA2,
    }
    for name, value in (
        ("nonce", nonce),
        ("c_hash", code),
        ("s_hash", state),
        ("at_hash", access_token),
    ):
        if value is not None:
            claims[name] = value if name == "nonce" else half_hash(value)
    token = provider.keys.sign(claims, typ="JWT")
    provider.context.ledger.add(token)
    return token


def jarm_response(provider: Provider, client_id: str, params: dict[str, str]) -> str:
    """A JARM response JWT (`iss`, `aud`, `exp`, plus the response parameters)."""
    now = int(provider.context.clock.now())
    claims = {
        "iss": provider.endpoints.issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + JARM_LIFETIME,
        **params,
    }
    token = provider.keys.sign(claims, typ="JWT")
    provider.context.ledger.add(token)
    return token
