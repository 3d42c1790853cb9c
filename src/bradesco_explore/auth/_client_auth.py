"""Client authentication at the token and PAR endpoints, one signer per request.

Each method turns a form (the grant's parameters) into what goes on the wire, on every
attempt the transport makes, so one-time values are never replayed:

- `client_secret_basic`: `Authorization: Basic` with the form-urlencoded id and secret
  (RFC 6749 §2.3.1);
- `client_secret_post`: `client_id` and `client_secret` in the body;
- `private_key_jwt`: a fresh client assertion (RFC 7523 §2.2) per attempt - new `jti`,
  `iat` and `exp` (lifetime <= 60 s), PS256 by default, `aud` = the issuer by default;
- `tls_client_auth` / `self_signed_tls_client_auth` (RFC 8705): `client_id` in the body;
  the certificate is presented by the TLS layer;
- `none`: `client_id` in the body (a public client).
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote_plus

import requests

from ..errors import ConfigurationError
from ..identity._formats import PrivateKey
from ..transport import RequestSigner
from ._credentials import Credentials
from ._jose import default_algorithm, sign

__all__ = [
    "ASSERTION_LIFETIME",
    "ASSERTION_TYPE",
    "AudienceStrategy",
    "ClientAuthentication",
    "client_assertion",
]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 60

AudienceStrategy = Literal["issuer", "token_endpoint", "both"] | str
"""`aud` of a client assertion: the issuer (default), the token endpoint, both, or a URL."""

_SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post"})
_TLS_METHODS = frozenset({"tls_client_auth", "self_signed_tls_client_auth"})


@dataclass(frozen=True)
class ClientAuthentication:
    """How this client proves who it is: the method plus the credentials it needs.

    `audience` names the `aud` of client assertions; `signing_algorithm` overrides the
    key's FAPI default (PS256 for RSA, ES256 for P-256).
    """

    method: str
    credentials: Credentials
    has_certificate: bool = False
    audience: AudienceStrategy = "issuer"
    signing_algorithm: str | None = None
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Fail early, naming what is missing for this method."""
        if self.method in _SECRET_METHODS:
            self.credentials.require_secret(self.method)
        elif self.method == "private_key_jwt":
            key = self.credentials.require_signing_key("private_key_jwt")
            default_algorithm(key)
        elif self.method in _TLS_METHODS and not self.has_certificate:
            raise ConfigurationError(
                f"{self.method} authenticates with the client certificate: pass identity=..."
            )

    def signer(
        self,
        form: Mapping[str, str] | Callable[[], Mapping[str, str]],
        *,
        issuer: str | None,
        token_endpoint: str,
        include_client_id: bool = True,
    ) -> RequestSigner:
        """A transport `auth=` callable that writes `form` plus this method's credentials.

        `form` may be a callable, called on every attempt (for one-time values in the grant
        itself, such as a JWT-bearer assertion). `token_endpoint` is the assertion audience
        when the strategy asks for it (or when the issuer is unknown).
        """

        def apply(prepared: requests.PreparedRequest) -> None:
            body = dict(form() if callable(form) else form)
            self._authenticate(prepared, body, issuer, token_endpoint, include_client_id)
            prepared.prepare_body(data=body, files=None)

        return apply

    def _authenticate(
        self,
        prepared: requests.PreparedRequest,
        body: dict[str, str],
        issuer: str | None,
        token_endpoint: str,
        include_client_id: bool,
    ) -> None:
        client_id = self.credentials.client_id
        if self.method == "client_secret_basic":
            prepared.headers["Authorization"] = self._basic()
            return
        if include_client_id or self.method != "none":
            body["client_id"] = client_id
        if self.method == "client_secret_post":
            body["client_secret"] = self.credentials.require_secret(self.method).reveal()
        elif self.method == "private_key_jwt":
            body["client_assertion_type"] = ASSERTION_TYPE
            body["client_assertion"] = self._assertion(issuer, token_endpoint)

    def _basic(self) -> str:
        secret = self.credentials.require_secret(self.method).reveal()
        pair = f"{quote_plus(self.credentials.client_id)}:{quote_plus(secret)}"
        return "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    def _assertion(self, issuer: str | None, token_endpoint: str) -> str:
        key = self.credentials.require_signing_key("private_key_jwt")
        return client_assertion(
            client_id=self.credentials.client_id,
            audience=_audience(self.audience, issuer, token_endpoint),
            key=key,
            kid=self.credentials.signing_kid,
            algorithm=self.signing_algorithm or default_algorithm(key),
            now=self.clock(),
        )


def client_assertion(
    *,
    client_id: str,
    audience: str | Sequence[str],
    key: PrivateKey,
    kid: str | None,
    algorithm: str,
    now: float,
    lifetime: int = ASSERTION_LIFETIME,
) -> str:
    """A signed client assertion: `iss` = `sub` = client id, fresh `jti`, short `exp`."""
    issued = int(now)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience if isinstance(audience, str) else list(audience),
        "jti": secrets.token_urlsafe(24),
        "iat": issued,
        "nbf": issued,
        "exp": issued + min(lifetime, ASSERTION_LIFETIME),
    }
    headers = {"kid": kid} if kid else {}
    return sign(claims, key, algorithm=algorithm, headers=headers)


def _audience(strategy: AudienceStrategy, issuer: str | None, endpoint: str) -> str | list[str]:
    if strategy == "issuer":
        return issuer or endpoint
    if strategy == "token_endpoint":
        return endpoint
    if strategy == "both":
        return [issuer, endpoint] if issuer and issuer != endpoint else endpoint
    return strategy
