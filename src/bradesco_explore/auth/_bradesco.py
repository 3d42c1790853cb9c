"""Bradesco's legacy "Open APIs": the JWT-bearer assertion grant and `X-Brad-Signature`.

The token request (RFC 7523 §2.1 grant, no client authentication) carries an assertion
signed RS256 with the key of the certificate registered with Bradesco: `aud` = the token URL,
`sub` = the client id ("client key"), `iat`, `exp` = iat + 1 h, `jti` = a numeric nonce
(epoch milliseconds, never repeated) and `ver`.

Every business call then carries `X-Brad-Nonce`, `X-Brad-Timestamp`, `X-Brad-Algorithm:
SHA256` and `X-Brad-Signature`: RSA PKCS#1 v1.5 with SHA-256 over eight lines joined by `\\n`
(method, path, query, body, access token, nonce, timestamp, `SHA256`), base64 with padding.
Both are computed on every attempt, so a retry never replays a nonce.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..errors import ConfigurationError
from ..identity import Identity
from ..identity._formats import PrivateKey
from ..transport import RequestSigner
from ._jose import sign

__all__ = [
    "ASSERTION_VERSION",
    "NonceSource",
    "brad_signer",
    "jwt_bearer_assertion",
    "signature",
    "string_to_sign",
    "timestamp",
]

ASSERTION_VERSION = "1.1"
ASSERTION_LIFETIME = 3600
SIGNATURE_ALGORITHM = "SHA256"


class NonceSource:
    """Numeric nonces (epoch milliseconds), strictly increasing across threads."""

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self, now: float) -> str:
        """A nonce never returned before by this source."""
        with self._lock:
            self._last = max(self._last + 1, int(now * 1000))
            return str(self._last)


def _rsa_key(key: PrivateKey | Identity) -> rsa.RSAPrivateKey:
    if isinstance(key, Identity):
        key = key._private_key()
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(
            f"Bradesco's legacy APIs sign with RSA; the identity's key is a {type(key).__name__}. "
            "Load the RSA certificate registered with Bradesco."
        )
    return key


def jwt_bearer_assertion(
    *,
    client_id: str,
    token_url: str,
    key: PrivateKey | Identity,
    now: float,
    jti: str,
    version: str = ASSERTION_VERSION,
) -> str:
    """The RS256 assertion for `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`."""
    issued = int(now)
    claims = {
        "aud": token_url,
        "sub": client_id,
        "iat": issued,
        "exp": issued + ASSERTION_LIFETIME,
        "jti": jti,
        "ver": version,
    }
    return sign(claims, _rsa_key(key), algorithm="RS256", headers={"typ": "JWT"})


def timestamp(now: float) -> str:
    """`X-Brad-Timestamp`: UTC as `yyyy-MM-ddTHH:mm:ss-00:00`."""
    return dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def string_to_sign(
    *, method: str, path: str, query: str, body: str, access_token: str, nonce: str, stamp: str
) -> str:
    """The eight lines Bradesco signs, joined by `\\n`, no trailing newline."""
    return "\n".join(
        [method.upper(), path, query, body, access_token, nonce, stamp, SIGNATURE_ALGORITHM]
    )


def signature(text: str, key: PrivateKey | Identity) -> str:
    """RSA PKCS#1 v1.5 / SHA-256 over the UTF-8 text, standard base64 with padding."""
    raw = _rsa_key(key).sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def brad_signer(
    access_token: Callable[[], str],
    *,
    client_id: str,
    key: PrivateKey | Identity,
    clock: Callable[[], float],
    nonces: NonceSource,
) -> RequestSigner:
    """A transport `auth=` callable adding the bearer token and the `X-Brad-*` headers."""

    def apply(prepared: requests.PreparedRequest) -> None:
        now = clock()
        token, nonce, stamp = access_token(), nonces.next(now), timestamp(now)
        parts = urlsplit(prepared.url or "")
        text = string_to_sign(
            method=prepared.method or "GET",
            path=parts.path,
            query=parts.query,
            body=_body_text(prepared.body),
            access_token=token,
            nonce=nonce,
            stamp=stamp,
        )
        prepared.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "X-Brad-Nonce": nonce,
                "X-Brad-Timestamp": stamp,
                "X-Brad-Algorithm": SIGNATURE_ALGORITHM,
                "X-Brad-Signature": signature(text, key),
                "access-token": client_id,
            }
        )

    return apply


def _body_text(body: object) -> str:
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8")
    return str(body)
