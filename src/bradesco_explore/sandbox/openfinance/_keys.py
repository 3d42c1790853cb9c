"""The authorization server's signing keys (PS256), published as a JWKS and rotatable.

`rotate()` publishes a new key with a new `kid` and drops the old one at once, so a client
that cached the JWKS meets an unknown `kid` on the next ID token and must refetch.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from .._state import SecretLedger


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(key: rsa.RSAPublicKey, kid: str, alg: str = "PS256") -> dict[str, str]:
    """The public JWK of an RSA key, with `kid`, `use: sig` and `alg`."""
    numbers = key.public_numbers()
    return {
        "kty": "RSA",
        "kid": kid,
        "use": "sig",
        "alg": alg,
        "n": _b64(numbers.n),
        "e": _b64(numbers.e),
    }


def jwk_thumbprint(key: rsa.RSAPublicKey) -> str:
    """RFC 7638 thumbprint of an RSA public key (base64url SHA-256): a stable `kid`."""
    numbers = key.public_numbers()
    canonical = json.dumps(
        {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}, separators=(",", ":")
    )
    return (
        base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    )


def private_pem(key: PrivateKeyTypes) -> str:
    """A private key as unencrypted PKCS#8 PEM (for the ledger and 0600 files only)."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class SigningKeys:
    """The current PS256 key; signs ID tokens and JARM responses."""

    def __init__(self, ledger: SecretLedger) -> None:
        self._ledger = ledger
        self._lock = threading.Lock()
        self._key, self._kid = self._generate()

    def _generate(self) -> tuple[rsa.RSAPrivateKey, str]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._ledger.add(private_pem(key))
        return key, jwk_thumbprint(key.public_key())

    @property
    def kid(self) -> str:
        """The `kid` of the current key."""
        with self._lock:
            return self._kid

    def sign(self, claims: dict[str, Any], *, typ: str | None = None) -> str:
        """A compact PS256 JWS with the current `kid`."""
        with self._lock:
            key, kid = self._key, self._kid
        headers = {"kid": kid} | ({"typ": typ} if typ else {})
        return jwt.encode(claims, key, algorithm="PS256", headers=headers)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The published key set."""
        with self._lock:
            return {"keys": [public_jwk(self._key.public_key(), self._kid)]}

    def public_key(self) -> rsa.RSAPublicKey:
        """The current public key (tests verify ID tokens with it)."""
        with self._lock:
            return self._key.public_key()

    def rotate(self) -> str:
        """Publish a new key and drop the old one; returns the new `kid`."""
        key, kid = self._generate()
        with self._lock:
            self._key, self._kid = key, kid
        return kid
