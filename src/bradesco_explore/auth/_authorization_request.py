"""Building the authorization request: PKCE S256, a signed request object (JAR), PAR.

FAPI 1.0 Advanced (§5.2.2) wants every parameter inside a request object signed PS256/ES256
with `iss`, `aud` (the issuer), `exp` (<= 60 minutes), `nbf`; PKCE S256 when PAR is used;
`nonce` whenever `openid` is asked for. With PAR (RFC 9126) the request object is pushed
over mTLS with client authentication and the browser URL carries only `client_id` and
`request_uri`; without PAR the request object travels in the URL (`request=`), next to
the OAuth parameters OpenID Connect requires outside it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..errors import ConfigurationError, ResponseValidationError
from ..identity._formats import PrivateKey
from ..transport import Session
from ._client_auth import ClientAuthentication
from ._grants import clock_note, oauth_error
from ._jose import sign

__all__ = [
    "PushedRequest",
    "authorization_scopes",
    "authorization_url",
    "code_challenge",
    "new_verifier",
    "optional_params",
    "push_request",
    "random_value",
    "request_object",
    "response_type_for",
]

REQUEST_OBJECT_LIFETIME = 300
_JARM_MODES = frozenset({"jwt", "query.jwt", "fragment.jwt"})


def random_value(nbytes: int = 32) -> str:
    """A URL-safe random string (`state`, `nonce`): 256 bits by default."""
    return secrets.token_urlsafe(nbytes)


def new_verifier() -> str:
    """A PKCE code verifier: 86 characters of the unreserved set (RFC 7636 §4.1 asks 43-128)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    """The S256 challenge: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def request_object(
    params: Mapping[str, Any],
    *,
    client_id: str,
    issuer: str,
    key: PrivateKey,
    kid: str | None,
    algorithm: str,
    now: float,
) -> str:
    """A signed request object (RFC 9101) holding every authorization parameter."""
    issued = int(now)
    claims = {
        **params,
        "iss": client_id,
        "aud": issuer,
        "client_id": client_id,
        "iat": issued,
        "nbf": issued,
        "exp": issued + REQUEST_OBJECT_LIFETIME,
        "jti": random_value(16),
    }
    headers: dict[str, Any] = {"typ": "oauth-authz-req+jwt"}
    if kid:
        headers["kid"] = kid
    return sign(claims, key, algorithm=algorithm, headers=headers)


@dataclass(frozen=True)
class PushedRequest:
    """What the PAR endpoint returned: the one-time `request_uri` and its lifetime."""

    request_uri: str
    expires_in: int


def push_request(
    session: Session,
    url: str,
    request: str,
    *,
    authentication: ClientAuthentication,
    issuer: str,
    token_endpoint: str,
) -> PushedRequest:
    """POST the request object to the PAR endpoint (with client authentication)."""
    signer = authentication.signer(
        {"request": request}, issuer=issuer, token_endpoint=token_endpoint
    )
    response = session.request("POST", url, headers={"Accept": "application/json"}, auth=signer)
    if response.status_code >= 400:
        raise oauth_error(
            response, endpoint="PAR endpoint", note=clock_note(response, authentication.clock())
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    request_uri = body.get("request_uri") if isinstance(body, dict) else None
    expires_in = body.get("expires_in") if isinstance(body, dict) else None
    if not isinstance(request_uri, str) or not request_uri:
        raise ResponseValidationError(
            f"The PAR endpoint ({response.url}) answered {response.status_code} without a request_uri.",
            check="par.request_uri",
        )
    if not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 0:
        raise ResponseValidationError(
            f"The PAR endpoint's expires_in is {expires_in!r}, not a positive integer.",
            check="par.expires_in",
        )
    return PushedRequest(request_uri=request_uri, expires_in=expires_in)


def authorization_url(endpoint: str, params: Mapping[str, str]) -> str:
    """`endpoint` with `params` added to whatever query it already has."""
    parts = urlsplit(endpoint)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def authorization_scopes(scopes: Collection[str], consent: str | None) -> tuple[str, ...]:
    """The requested scopes, de-duplicated, plus Open Finance's `consent:<id>`."""
    chosen = list(dict.fromkeys(scopes))
    if consent:
        chosen.append(consent if consent.startswith("consent:") else f"consent:{consent}")
    if not chosen:
        raise ConfigurationError(
            "An authorization needs scopes, e.g. scopes=['openid', 'accounts']."
        )
    return tuple(chosen)


def response_type_for(scope: tuple[str, ...], response_mode: str | None) -> tuple[str, str | None]:
    """FAPI's two choices: `code id_token`, or `code` with a JARM response mode."""
    if response_mode in _JARM_MODES:
        return "code", response_mode
    if response_mode not in (None, "fragment"):
        raise ConfigurationError(
            f"response_mode {response_mode!r} is not supported: use None (code id_token in the "
            "fragment) or 'jwt' (JARM)."
        )
    if "openid" not in scope:
        raise ConfigurationError(
            "Without the 'openid' scope FAPI requires a JARM response: add 'openid' to scopes "
            "or pass response_mode='jwt'."
        )
    return "code id_token", response_mode


def optional_params(
    mode: str | None,
    claims: Mapping[str, Any] | None,
    prompt: str | None,
    acr_values: Collection[str] | None,
    max_age: int | None,
) -> dict[str, Any]:
    """The optional authorization parameters that were given."""
    extra: dict[str, Any] = {
        "response_mode": mode,
        "claims": dict(claims) if claims else None,
        "prompt": prompt,
        "acr_values": " ".join(acr_values) if acr_values else None,
        "max_age": max_age,
    }
    return {k: v for k, v in extra.items() if v is not None}
