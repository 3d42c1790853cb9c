"""The server's published signing keys (JWKS), cached and refreshed on rotation.

Policy (copied from oauth4webapi, with the cooldown measured between refetches rather than
from the first fetch, so a key rotated seconds after the first fetch is still found):

- the set is refetched when it is older than `max_age` (300 s);
- a `kid` we do not know triggers one refetch, unless an unknown-`kid` refetch already
  happened in the last `miss_interval` (60 s) - so a flood of made-up `kid`s cannot turn
  into a flood of requests;
- when a refetch fails, the last good set keeps serving;
- a header without `kid` is accepted only when exactly one published key fits the algorithm;
  several candidates are an error (the server must send a `kid`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from .._secret import get_logger
from ..errors import BradescoExploreError, ResponseValidationError
from ._jose import PublicKey

log = get_logger("bradesco_explore.auth.jwks")

__all__ = ["JWKSCache", "select_keys"]

_KTY_FOR_ALG = {"PS": "RSA", "RS": "RSA", "ES": "EC"}
_CURVE_FOR_ALG = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


@dataclass(frozen=True)
class _Key:
    jwk: Mapping[str, Any]
    key: PublicKey

    @property
    def kid(self) -> str | None:
        kid = self.jwk.get("kid")
        return kid if isinstance(kid, str) else None


class JWKSCache:
    """The keys at one `jwks_uri`, fetched through `fetch()` (which returns the parsed JSON).

    `key_for(header, what=...)` returns the public key that verifies a token with that
    header, refetching as the policy above allows.
    """

    def __init__(
        self,
        fetch: Callable[[], Any],
        *,
        clock: Callable[[], float] = time.time,
        max_age: float = 300.0,
        miss_interval: float = 60.0,
        source: str = "jwks_uri",
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self.max_age = max_age
        self.miss_interval = miss_interval
        self.source = source
        self._keys: list[_Key] | None = None
        self._fetched_at = 0.0
        self._last_miss_refetch: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def key_for(self, header: Mapping[str, Any], *, what: str) -> PublicKey:
        """The one key that fits `header` (`alg`, optional `kid`)."""
        alg = str(header.get("alg"))
        kid = header.get("kid") if isinstance(header.get("kid"), str) else None
        with self._lock:
            just_fetched = self._ensure_fresh()
            found = select_keys(self._current(), alg, kid)
            if not found and not just_fetched and self._may_refetch_for_miss():
                self._refetch(reason=f"unknown kid {kid!r}" if kid else "no key for " + alg)
                found = select_keys(self._current(), alg, kid)
            named = [k.jwk for k in self._current() if kid is not None and k.kid == kid]
        return _exactly_one(found, alg, kid, what, self.source, named)

    def clear(self) -> None:
        """Forget the cached set (the next lookup fetches)."""
        with self._lock:
            self._keys = None
            self._last_miss_refetch = None

    # -- policy -------------------------------------------------------------------------------
    def _current(self) -> list[_Key]:
        return self._keys or []

    def _ensure_fresh(self) -> bool:
        """Fetch a missing or expired set; True when a fetch succeeded just now."""
        if self._keys is None:
            self._keys = self._download()
            return True
        if self._clock() - self._fetched_at >= self.max_age:
            return self._refetch(reason="cached set older than max_age")
        return False

    def _may_refetch_for_miss(self) -> bool:
        now = self._clock()
        if (
            self._last_miss_refetch is not None
            and now - self._last_miss_refetch < self.miss_interval
        ):
            return False
        self._last_miss_refetch = now
        return True

    def _refetch(self, *, reason: str) -> bool:
        try:
            self._keys = self._download()
        except BradescoExploreError as exc:
            log.warning(
                "refetching the JWKS (%s) failed; serving the last good set: %s", reason, exc
            )
            return False
        return True

    def _download(self) -> list[_Key]:
        self.fetches += 1
        document = self._fetch()
        keys = parse_jwks(document, source=self.source)
        self._fetched_at = self._clock()
        log.debug("fetched %d keys from %s", len(keys), self.source)
        return keys


def parse_jwks(document: Any, *, source: str) -> list[_Key]:
    """The usable public keys of a JWKS document; unusable entries are skipped, not fatal."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ResponseValidationError(
            f"{source} did not return a JWK set (a JSON object with a 'keys' array).",
            check="jwks.format",
        )
    keys = []
    for entry in entries:
        key = _public_key(entry)
        if key is not None:
            keys.append(_Key(entry, key))
    return keys


def _public_key(entry: Any) -> PublicKey | None:
    if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC"):  # any JSON value
        return None
    if "d" in entry:  # a private key published by mistake: never use it
        return None
    try:
        key = jwt.PyJWK(entry, algorithm=_any_alg_for(entry)).key
    except (jwt.exceptions.PyJWTError, ValueError, TypeError, KeyError):
        return None
    return key  # type: ignore[no-any-return]


def _any_alg_for(entry: Mapping[str, Any]) -> str:
    if entry.get("kty") == "RSA":
        return "RS256"
    return {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}.get(
        str(entry.get("crv")), "ES256"
    )


def select_keys(keys: Sequence[_Key], alg: str, kid: str | None) -> list[_Key]:
    """Keys that can verify `alg` (type, curve, `use`, `key_ops`, `alg`), matching `kid` if given."""
    return [k for k in keys if (kid is None or k.kid == kid) and _fits(k.jwk, alg)]


def _fits(jwk: Mapping[str, Any], alg: str) -> bool:
    if jwk.get("kty") != _KTY_FOR_ALG.get(alg[:2]):
        return False
    if alg in _CURVE_FOR_ALG and jwk.get("crv") != _CURVE_FOR_ALG[alg]:
        return False
    if jwk.get("use") not in (None, "sig"):
        return False
    ops = jwk.get("key_ops")
    if isinstance(ops, list) and "verify" not in ops:
        return False
    return jwk.get("alg") in (None, alg)


def _unfit(jwk: Mapping[str, Any], alg: str) -> str:
    """Why a published key cannot verify `alg`, as a phrase."""
    needed = _KTY_FOR_ALG.get(alg[:2])
    if jwk.get("kty") != needed:
        return f"it is a {jwk.get('kty')} key, and {alg} needs {needed or 'another kind'}"
    for name in ("crv", "use", "key_ops", "alg"):
        if name in jwk and _fits({k: v for k, v in jwk.items() if k != name}, alg):
            return f"its {name} {jwk[name]!r} rules out verifying {alg}"
    return f"it does not fit {alg}"


def _exactly_one(
    found: list[_Key],
    alg: str,
    kid: str | None,
    what: str,
    source: str,
    named: Sequence[Mapping[str, Any]] = (),
) -> PublicKey:
    if len(found) == 1:
        return found[0].key
    label = what.replace("_", " ")
    if not found and named:
        raise ResponseValidationError(
            f"The {label} is signed with {alg} by kid {kid!r}; {source} publishes that key, but "
            f"{_unfit(named[0], alg)} (RFC 7517 4.2-4.4), so the signature is not trusted. The "
            "server's JWKS must describe the key as a verification key.",
            check="jwks.kid",
        )
    if not found:
        which = f"kid {kid!r}" if kid else f"an {alg} key"
        raise ResponseValidationError(
            f"The {label} names {which}, but {source} publishes no such key (even after a "
            "refetch); the token was signed with a key the server does not publish.",
            check="jwks.kid",
        )
    raise ResponseValidationError(
        f"The {label} has no kid and {source} publishes {len(found)} {alg} keys; a server with "
        "several keys must name the one it used (kid).",
        check="jwks.ambiguous",
    )
