"""Bradesco's legacy "Open APIs" security, in the open, for learning and for debugging.

The `Client` applies all of this by itself for a `legacy` family; these are the same functions
it uses, so a notebook can show each artefact:

- `jwt_bearer_assertion(...)`: the RS256 assertion of the JWT-bearer grant (`aud` = token URL,
  `sub` = client id, `iat`, `exp` = iat + 3600, numeric `jti`, `ver`);
- `string_to_sign(...)`: the eight lines (method, path, query, body, access token, nonce,
  timestamp, "SHA256") joined by `\\n`, and `signature(text, key)`: RSA PKCS#1 v1.5 / SHA-256
  in base64, the `X-Brad-Signature`;
- `brad_signer(...)`: a transport `auth=` callable that adds the bearer token and every
  `X-Brad-*` header to each attempt, with a fresh nonce and timestamp;
- `NonceSource`: numeric, strictly increasing nonces (epoch milliseconds).

Keys may be given as an `Identity` (its private key never leaves it) or a private key.
"""

from ._bradesco import (
    ASSERTION_VERSION,
    NonceSource,
    brad_signer,
    jwt_bearer_assertion,
    signature,
    string_to_sign,
    timestamp,
)

__all__ = [
    "ASSERTION_VERSION",
    "NonceSource",
    "brad_signer",
    "jwt_bearer_assertion",
    "signature",
    "string_to_sign",
    "timestamp",
]
