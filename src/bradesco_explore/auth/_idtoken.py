"""ID-token validation (OpenID Connect Core §3.1.3.7, §3.3.2.11, §12.2; FAPI 1.0 Advanced §5.2.2.1).

Order: decrypt (RSA-OAEP family only) -> algorithm on our allowlist (never `none`) -> key from
the server's JWKS -> signature -> claims: `iss` exactly the issuer; `sub`; `aud` holding our
client id and no audience we do not trust (`azp` required when there are several); `exp`,
`iat` (not in the future, not older than `max_age`), `nbf`; `nonce`; `c_hash` and `s_hash`
when the token came from the authorization endpoint; `at_hash` when present. Every failure
raises `ResponseValidationError` with `check="id_token.<what>"`; values that could be secret or
personal (nonce, state, code, sub) are never part of a message.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ResponseValidationError
from ..identity._formats import PrivateKey
from ._jose import PublicKey, decrypt, half_hash, is_encrypted, read_header, require_allowed, verify

__all__ = [
    "IdTokenCheck",
    "check_payload_claims",
    "check_time_claims",
    "validate_id_token",
    "verify_signed",
]

KeyLookup = Callable[[Mapping[str, Any], str], PublicKey]
"""`(header, what) -> key`: normally `JWKSCache.key_for`."""


@dataclass(frozen=True)
class IdTokenCheck:
    """What an ID token must say.

    - `nonce`: required and equal when given (always, for tokens of an authorization flow);
    - `code` / `state`: `c_hash` / `s_hash` required and equal when given (front channel);
    - `access_token`: `at_hash` compared when the token carries one;
    - `previous`: claims of the ID token this one refreshes (`iss`, `sub`, `aud` must match);
    - `auth_max_age`: the `max_age` the request asked for: `auth_time` is then required and
      may be no older (OpenID Connect Core §3.1.2.1);
    - `leeway`: clock-skew allowance in seconds (kept under 6 minutes);
    - `max_age`: how old `iat` may be.
    """

    issuer: str
    client_id: str
    algorithms: tuple[str, ...]
    nonce: str | None = None
    code: str | None = None
    state: str | None = None
    access_token: str | None = None
    previous: Mapping[str, Any] | None = None
    trusted_audiences: tuple[str, ...] = ()
    auth_max_age: float | None = None
    leeway: float = 60.0
    max_age: float = 3600.0


def verify_signed(
    raw: str,
    *,
    what: str,
    algorithms: tuple[str, ...],
    keys: KeyLookup,
    decryption_key: PrivateKey | None,
) -> tuple[dict[str, Any], str]:
    """Decrypt if needed, check the algorithm, find the key, verify; return (claims, alg)."""
    if is_encrypted(raw):
        raw = decrypt(raw, decryption_key, what=what)
    header = read_header(raw, what=what)
    algorithm = require_allowed(header, algorithms, what=what)
    key = keys(header, what)
    return verify(raw, key, algorithms=algorithms, what=what), algorithm


def validate_id_token(
    raw: str,
    check: IdTokenCheck,
    *,
    keys: KeyLookup,
    decryption_key: PrivateKey | None,
    now: float,
) -> dict[str, Any]:
    """Verify and validate an ID token; return its claims."""
    claims, algorithm = verify_signed(
        raw, what="id_token", algorithms=check.algorithms, keys=keys, decryption_key=decryption_key
    )
    _check_issuer(claims, check.issuer)
    _check_subject(claims)
    _check_audience(claims, check)
    check_time_claims(claims, now=now, leeway=check.leeway, what="id_token")
    _check_issued_at(claims, now=now, check=check)
    _check_auth_time(claims, now=now, check=check)
    _check_nonce(claims, check.nonce)
    _check_hashes(claims, algorithm, check)
    _check_continuity(claims, check.previous)
    return claims


def _fail(message: str, claim: str) -> ResponseValidationError:
    return ResponseValidationError(message, check=f"id_token.{claim}")


def _check_issuer(claims: Mapping[str, Any], issuer: str) -> None:
    found = claims.get("iss")
    if found is None:
        raise _fail("The ID token has no iss claim; it cannot be attributed to the issuer.", "iss")
    if found != issuer:
        raise _fail(
            f"The ID token's iss is {found!r}, but the issuer is {issuer!r} (exact match required).",
            "iss",
        )


def _check_subject(claims: Mapping[str, Any]) -> None:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise _fail("The ID token has no sub claim (the user's identifier).", "sub")


def _check_audience(claims: Mapping[str, Any], check: IdTokenCheck) -> None:
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if (
        not isinstance(audiences, list)
        or not audiences
        or not all(isinstance(a, str) for a in audiences)
    ):
        raise _fail("The ID token has no aud claim; it must name this client.", "aud")
    if check.client_id not in audiences:
        raise _fail(
            f"The ID token was issued for {audiences!r}, not for this client ({check.client_id!r}).",
            "aud",
        )
    untrusted = [a for a in audiences if a != check.client_id and a not in check.trusted_audiences]
    if untrusted:
        raise _fail(
            f"The ID token is also addressed to {untrusted!r}, an audience this client does not trust.",
            "aud",
        )
    azp = claims.get("azp")
    if len(audiences) > 1 and azp is None:
        raise _fail("The ID token has several audiences but no azp claim.", "azp")
    if azp is not None and azp != check.client_id:
        raise _fail(f"The ID token's azp is {azp!r}, not this client.", "azp")


def check_time_claims(claims: Mapping[str, Any], *, now: float, leeway: float, what: str) -> None:
    """`exp` required and in the future; `nbf` (when present) not in the future."""
    exp = _number(claims.get("exp"))
    if exp is None:
        raise ResponseValidationError(f"The {_label(what)} has no exp claim.", check=f"{what}.exp")
    if now > exp + leeway:
        raise ResponseValidationError(
            f"The {_label(what)} expired {now - exp:.0f} s ago (allowed clock skew {leeway:.0f} s).",
            check=f"{what}.exp",
        )
    if "nbf" not in claims:
        return
    nbf = _number(claims["nbf"])
    if nbf is None or nbf > now + leeway:
        raise ResponseValidationError(
            f"The {_label(what)} is not valid yet (nbf in the future).", check=f"{what}.nbf"
        )


def _check_issued_at(claims: Mapping[str, Any], *, now: float, check: IdTokenCheck) -> None:
    iat = _number(claims.get("iat"))
    if iat is None:
        raise _fail("The ID token has no iat claim.", "iat")
    if iat > now + check.leeway:
        raise _fail("The ID token was issued in the future (iat); check the clocks.", "iat")
    age = now - iat
    if age > check.max_age + check.leeway:
        raise _fail(
            f"The ID token was issued {age / 3600:.1f} h ago (iat); at most {check.max_age:.0f} s "
            "is accepted, so it may be a replay.",
            "iat",
        )


def _check_auth_time(claims: Mapping[str, Any], *, now: float, check: IdTokenCheck) -> None:
    if check.auth_max_age is None:
        return
    auth_time = _number(claims.get("auth_time"))
    if auth_time is None:
        raise _fail(
            "The request asked for max_age, but the ID token has no auth_time.", "auth_time"
        )
    if now - auth_time > check.auth_max_age + check.leeway:
        raise _fail(
            f"The user authenticated {now - auth_time:.0f} s ago, more than the max_age of "
            f"{check.auth_max_age:.0f} s the request asked for.",
            "auth_time",
        )


def _check_nonce(claims: Mapping[str, Any], nonce: str | None) -> None:
    if nonce is None:
        return
    found = claims.get("nonce")
    if not isinstance(found, str):
        raise _fail("The ID token has no nonce, but the request sent one.", "nonce")
    if not hmac.compare_digest(found.encode(), nonce.encode()):
        raise _fail("The ID token's nonce is not the one this request sent (replay?).", "nonce")


def _check_hashes(claims: Mapping[str, Any], algorithm: str, check: IdTokenCheck) -> None:
    _check_hash(claims, "c_hash", check.code, algorithm, required=True)
    _check_hash(claims, "s_hash", check.state, algorithm, required=True)
    _check_hash(claims, "at_hash", check.access_token, algorithm, required=False)


def _check_hash(
    claims: Mapping[str, Any], claim: str, value: str | None, algorithm: str, *, required: bool
) -> None:
    if value is None:
        return
    found = claims.get(claim)
    if found is None:
        if required:
            raise _fail(f"The ID token has no {claim}, which binds it to this response.", claim)
        return
    expected = half_hash(value, algorithm)
    if not isinstance(found, str) or not hmac.compare_digest(found.encode(), expected.encode()):
        raise _fail(f"The ID token's {claim} does not match this response; it was swapped.", claim)


def _check_continuity(claims: Mapping[str, Any], previous: Mapping[str, Any] | None) -> None:
    if previous is None:
        return
    for claim in ("iss", "sub"):
        if claims.get(claim) != previous.get(claim):
            raise _fail(
                f"This ID token's {claim} differs from the earlier ID token's of the same "
                "session; it belongs to another user or server.",
                claim,
            )
    before, after = previous.get("aud"), claims.get("aud")
    if _audience_set(before) != _audience_set(after):
        raise _fail(
            "This ID token's aud differs from the earlier ID token's of the same session.", "aud"
        )


def _audience_set(value: Any) -> set[str]:
    return {value} if isinstance(value, str) else set(value or ())


def _number(value: Any) -> float | None:
    """A numeric claim as float; None when absent or not a JSON number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _label(what: str) -> str:
    return {"id_token": "ID token", "jarm": "JARM response"}.get(what, what)


def check_payload_claims(
    claims: Mapping[str, Any],
    *,
    audience: str,
    issuer: str | None,
    now: float,
    leeway: float,
    max_age: float,
) -> None:
    """Claims of a signed resource payload: `aud` holds `audience`, `iss`, recent `iat`."""
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if audience not in audiences:
        raise ResponseValidationError(
            f"The signed payload is addressed to {aud!r}, not to {audience!r}.",
            check="signed_payload.aud",
        )
    if issuer is not None and claims.get("iss") != issuer:
        raise ResponseValidationError(
            f"The signed payload's iss is {claims.get('iss')!r}, not {issuer!r}.",
            check="signed_payload.iss",
        )
    iat = _number(claims.get("iat"))
    if iat is None or iat > now + leeway or now - iat > max_age + leeway:
        raise ResponseValidationError(
            "The signed payload's iat is missing, in the future or too old.",
            check="signed_payload.iat",
        )
    if "exp" in claims:
        check_time_claims(claims, now=now, leeway=leeway, what="signed_payload")
