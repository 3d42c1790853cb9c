"""Bad tokens on purpose: unsigned, tampered, encrypted with a refused algorithm."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwe
from joserfc.jwk import RSAKey


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    """`alg: none`, empty signature."""
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def tampered(token: str) -> str:
    """Same header and claims, a signature that no longer verifies."""
    head, body, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{body}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def with_claims(token: str, claims: dict[str, Any]) -> str:
    """The original signature over different claims (a swapped payload)."""
    head, _, signature = token.split(".")
    return f"{head}.{b64(claims)}.{signature}"


def encrypted(
    token: str, key: rsa.RSAPublicKey, *, alg: str = "RSA-OAEP", enc: str = "A256GCM"
) -> str:
    """Nest `token` in a JWE for `key`."""
    header = {"alg": alg, "enc": enc, "cty": "JWT", "kid": "client-enc"}
    return jwe.encrypt_compact(
        header, token.encode(), RSAKey.import_key(key), algorithms=[alg, enc]
    )
