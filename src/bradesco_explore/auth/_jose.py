"""Signing and verifying JOSE objects, with an algorithm allowlist that no token can widen.

The lowest layer of `auth` (PyJWT-style): compact JWS signing and verification, JWE
decryption, the `c_hash`/`s_hash`/`at_hash` half-hash, and public JWKs. Nothing here knows
about claims; `_idtoken.py` and `_jarm.py` check those.

The algorithms a signature may use come from our configuration, never from the token header
or the server's metadata: FAPI allows PS256 and ES256; RS256 only where Bradesco's legacy grant
needs it; `none` and the HMAC family never.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Collection, Mapping
from typing import Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from .._secret import redact
from ..errors import ConfigurationError, InsecureConfigurationError, ResponseValidationError
from ..identity._formats import PrivateKey

__all__ = [
    "ENCRYPTION_ALGORITHMS",
    "FAPI_ALGORITHMS",
    "LEGACY_ALGORITHMS",
    "PublicKey",
    "check_algorithms",
    "check_fapi_algorithms",
    "decrypt",
    "default_algorithm",
    "half_hash",
    "is_encrypted",
    "public_jwk",
    "read_header",
    "require_allowed",
    "sign",
    "verify",
]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

FAPI_ALGORITHMS: Final = ("PS256", "ES256")
"""What FAPI 1.0 Advanced allows for every signed object (ID token, JARM, JAR, assertions)."""

LEGACY_ALGORITHMS: Final = ("RS256",)
"""Bradesco's legacy JWT-bearer grant signs with RS256; allowed only there."""

_SUPPORTED: Final = frozenset({"PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "RS256"})

ENCRYPTION_ALGORITHMS: Final = ("RSA-OAEP", "RSA-OAEP-256", "A256GCM", "A128GCM", "A192GCM")
"""Key management and content encryption accepted for encrypted ID tokens and JARM responses.

RSA1_5 is absent on purpose: it is open to padding-oracle attacks and FAPI forbids it.
"""

_HASHES: Final = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


def check_algorithms(algorithms: Collection[str]) -> tuple[str, ...]:
    """Validate a configured allowlist: asymmetric algorithms only, never `none`."""
    chosen = tuple(algorithms)
    if not chosen:
        raise ConfigurationError(
            "The signing-algorithm allowlist is empty; use ('PS256', 'ES256')."
        )
    for alg in chosen:
        if alg.lower() == "none" or alg.upper().startswith("HS"):
            raise InsecureConfigurationError(
                f"Algorithm {alg!r} cannot be allowed: unsigned or shared-secret signatures let "
                "anyone forge tokens. Allow PS256 or ES256."
            )
        if alg not in _SUPPORTED:
            raise ConfigurationError(
                f"Unsupported signing algorithm {alg!r}; choose from {', '.join(sorted(_SUPPORTED))}."
            )
    return chosen


def check_fapi_algorithms(algorithms: Collection[str]) -> tuple[str, ...]:
    """An allowlist for ID tokens, JARM and signed payloads: FAPI algorithms only."""
    chosen = check_algorithms(algorithms)
    outside = [alg for alg in chosen if alg not in FAPI_ALGORITHMS]
    if outside:
        raise InsecureConfigurationError(
            f"{', '.join(outside)} cannot verify ID tokens or JARM responses here: FAPI allows "
            "PS256 and ES256 only (RS256 is used solely to sign Bradesco's legacy assertion)."
        )
    return chosen


def default_algorithm(key: PrivateKey) -> str:
    """The FAPI algorithm for a signing key: PS256 for RSA, ES256 for P-256."""
    if isinstance(key, rsa.RSAPrivateKey):
        return "PS256"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
        return "ES256"
    raise ConfigurationError(
        f"A {type(key).__name__} cannot sign for FAPI; use an RSA (PS256) or P-256 (ES256) key."
    )


def sign(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    algorithm: str,
    headers: Mapping[str, Any] | None = None,
) -> str:
    """A compact JWS of `claims` signed with `key` (headers such as `kid` and `typ` merged in)."""
    check_algorithms([algorithm])
    try:
        return jwt.encode(dict(claims), key, algorithm=algorithm, headers=dict(headers or {}))
    except (TypeError, ValueError, jwt.exceptions.PyJWTError) as exc:
        raise ConfigurationError(
            f"Could not sign with {algorithm} using a {type(key).__name__}: {type(exc).__name__}. "
            "Use an RSA key for PS256/RS256 and a P-256 key for ES256."
        ) from None


def is_encrypted(token: str) -> bool:
    """True for a JWE compact serialisation (five parts), False for a JWS (three)."""
    return token.count(".") == 4


def read_header(token: str, *, what: str) -> dict[str, Any]:
    """The protected header of a compact JWS or JWE, parsed but not trusted."""
    try:
        encoded = token.split(".", 1)[0]
        header = json.loads(_b64decode(encoded))
    except (ValueError, UnicodeDecodeError, binascii.Error, RecursionError):
        raise ResponseValidationError(
            f"The {_label(what)} is not a compact JWT (its header does not decode).",
            check=f"{what}.format",
        ) from None
    if not isinstance(header, dict):
        raise ResponseValidationError(
            f"The {_label(what)} header is not a JSON object.", check=f"{what}.format"
        )
    return header


def verify(
    token: str,
    key: PublicKey,
    *,
    algorithms: Collection[str],
    what: str,
) -> dict[str, Any]:
    """Verify a compact JWS against `key` and return its claims (not yet validated).

    The header's `alg` must be on `algorithms`; `none` is refused before anything else.
    """
    header = read_header(token, what=what)
    algorithm = require_allowed(header, algorithms, what=what)
    try:
        decoded = jwt.PyJWS().decode_complete(token, key=key, algorithms=[algorithm])
    except jwt.exceptions.InvalidSignatureError:
        raise ResponseValidationError(
            f"The {_label(what)} signature does not verify with the server's published key "
            f"(kid {header.get('kid')!r}); the token was altered or signed by someone else.",
            check=f"{what}.signature",
        ) from None
    except (jwt.exceptions.PyJWTError, TypeError, ValueError) as exc:
        raise ResponseValidationError(
            f"The {_label(what)} could not be verified ({type(exc).__name__}: {redact(str(exc))}).",
            check=f"{what}.signature",
        ) from None
    return _claims(decoded["payload"], what)


def require_allowed(header: Mapping[str, Any], algorithms: Collection[str], *, what: str) -> str:
    """The header's `alg`, if our allowlist has it; a clear refusal otherwise."""
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm.lower() == "none":
        raise ResponseValidationError(
            f"The {_label(what)} is unsigned (alg {algorithm!r}); unsigned tokens are always refused.",
            check=f"{what}.alg",
        )
    if algorithm not in algorithms:
        raise ResponseValidationError(
            f"The {_label(what)} is signed with {algorithm}, which is not allowed here "
            f"(allowed: {', '.join(algorithms)}).",
            check=f"{what}.alg",
        )
    return algorithm


def decrypt(token: str, key: PrivateKey | None, *, what: str) -> str:
    """Decrypt a compact JWE (RSA-OAEP family + AES-GCM) and return the nested JWS."""
    header = read_header(token, what=what)
    alg, enc = header.get("alg"), header.get("enc")
    if alg not in ENCRYPTION_ALGORITHMS or enc not in ENCRYPTION_ALGORITHMS:
        raise ResponseValidationError(
            f"The {_label(what)} is encrypted with alg={alg!r} enc={enc!r}, which is refused "
            f"(allowed: {', '.join(ENCRYPTION_ALGORITHMS)}; RSA1_5 never).",
            check=f"{what}.encryption",
        )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(
            f"The {_label(what)} is encrypted, but no RSA decryption key is configured: "
            "pass decryption_key=... (the private key of your registered encryption JWK)."
        )
    return _decrypt_with(token, key, what=what, algorithms=(alg, enc))


def _decrypt_with(
    token: str, key: rsa.RSAPrivateKey, *, what: str, algorithms: tuple[str, str]
) -> str:
    from joserfc import jwe
    from joserfc.errors import JoseError
    from joserfc.jwk import RSAKey

    try:
        result = jwe.decrypt_compact(token, RSAKey.import_key(key), algorithms=list(algorithms))
    except (JoseError, ValueError, TypeError) as exc:
        raise ResponseValidationError(
            f"The {_label(what)} could not be decrypted ({type(exc).__name__}); it was not "
            "encrypted to our key or was altered.",
            check=f"{what}.encryption",
        ) from None
    plaintext = result.plaintext or b""
    return plaintext.decode("ascii", "replace")


def half_hash(value: str, algorithm: str) -> str:
    """`c_hash`/`s_hash`/`at_hash`: base64url of the left half of the hash of `value`.

    The hash is the one of the signing algorithm (SHA-256 for PS256/ES256/RS256). Values are
    ASCII by spec; anything else (a pasted, tampered code) is hashed as UTF-8, so it simply
    fails to match instead of failing to encode.
    """
    digest = _HASHES[algorithm[-3:]](value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def public_jwk(key: PrivateKey, *, kid: str | None = None, use: str = "sig") -> dict[str, Any]:
    """The public half of `key` as a JWK (for a client's registered `jwks`)."""
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    else:
        raise ConfigurationError(f"A {type(key).__name__} has no JWK form here; use RSA or EC.")
    jwk = {k: v for k, v in jwk.items() if k not in {"key_ops", "alg"}}
    jwk["use"] = use
    if kid:
        jwk["kid"] = kid
    return jwk


def _claims(payload: bytes, what: str) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ResponseValidationError(
            f"The {_label(what)} payload is not JSON.", check=f"{what}.format"
        ) from None
    if not isinstance(claims, dict):
        raise ResponseValidationError(
            f"The {_label(what)} payload is not a JSON object.", check=f"{what}.format"
        )
    return claims


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _label(what: str) -> str:
    return what.replace("_", " ").replace("id token", "ID token").replace("jarm", "JARM response")
