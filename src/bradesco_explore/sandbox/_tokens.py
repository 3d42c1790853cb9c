"""Access tokens: issue, look up, and check on every resource call.

Every token is bound to the certificate that obtained it (RFC 8705 `cnf.x5t#S256`); a call
that presents another certificate gets 401 `invalid_token`, as does an expired, revoked or
unknown token, or one issued for another family. A missing scope gives 403
`insufficient_scope`. The families render these refusals in their own envelopes.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ._refusal import Refusal
from ._server import Request
from ._state import Clock, SecretLedger


@dataclass
class AccessToken:
    """What the sandbox remembers about an access token it issued."""

    value: str
    family: str
    grant: str
    client_id: str
    scopes: frozenset[str]
    thumbprint: str
    issued_at: float
    expires_at: float
    consent_id: str | None = None
    revoked: bool = False


def opaque_token() -> str:
    """A random opaque token value (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def bearer_refusal(detail: str, *, code: str = "invalid_token", status: int = 401) -> Refusal:
    """401 with `WWW-Authenticate: Bearer error="..."` (RFC 6750 section 3)."""
    challenge = f'Bearer error="{code}", error_description="{detail}"'
    return Refusal(status, code, detail, headers={"WWW-Authenticate": challenge})


def presented_token(request: Request, *, prefix_optional: bool = False) -> str:
    """The token from `Authorization: Bearer ...` (or the bare token when `prefix_optional`)."""
    header = (request.header("Authorization") or "").strip()
    if not header:
        raise bearer_refusal("no Authorization header: send 'Authorization: Bearer <token>'.")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if prefix_optional and " " not in header:
        return header  # Bradesco's portal collection sends the raw token
    raise bearer_refusal("the Authorization header is not 'Bearer <token>'.")


class TokenStore:
    """Issued access tokens, by value."""

    def __init__(self, clock: Clock, ledger: SecretLedger) -> None:
        self._clock = clock
        self._ledger = ledger
        self._tokens: dict[str, AccessToken] = {}
        self._lock = threading.Lock()

    def issue(
        self,
        value: str,
        *,
        family: str,
        grant: str,
        client_id: str,
        scopes: Iterable[str],
        thumbprint: str,
        lifetime: float,
        consent_id: str | None = None,
    ) -> AccessToken:
        """Remember a new token (its value was made by the family: opaque or a signed JWT)."""
        now = self._clock.now()
        token = AccessToken(
            value, family, grant, client_id, frozenset(scopes), thumbprint, now, now + lifetime,
            consent_id,
        )  # fmt: skip
        self._ledger.add(value)
        with self._lock:
            self._tokens[value] = token
        return token

    def authenticate(
        self, request: Request, family: str, *, prefix_optional: bool = False
    ) -> AccessToken:
        """The valid token this request presents for `family`, or a 401 refusal saying why."""
        token = self._find(presented_token(request, prefix_optional=prefix_optional))
        if token is None:
            raise bearer_refusal("the access token is not one this server issued.")
        if token.family != family:
            raise bearer_refusal(
                f"the access token was issued for the '{token.family}' APIs, not '{family}'."
            )
        if token.revoked:
            raise bearer_refusal("the access token was revoked.")
        if self._clock.now() >= token.expires_at:
            raise bearer_refusal("the access token expired; get a new one.")
        if request.cert_thumbprint != token.thumbprint:
            raise bearer_refusal(
                "the access token is bound to another client certificate (cnf.x5t#S256 "
                "mismatch): call with the certificate that obtained it."
            )
        return token

    def expire_all(self) -> int:
        """Make every token issued so far expired; returns how many."""
        now = self._clock.now()
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = min(token.expires_at, now - 1)
            return len(self._tokens)

    def revoke_where(self, predicate: Callable[[AccessToken], bool]) -> int:
        """Revoke the tokens matching `predicate`; returns how many."""
        with self._lock:
            matching = [t for t in self._tokens.values() if predicate(t)]
            for token in matching:
                token.revoked = True
            return len(matching)

    def _find(self, value: str) -> AccessToken | None:
        with self._lock:
            return self._tokens.get(value)


def require_scope(token: AccessToken, scope: str) -> None:
    """403 `insufficient_scope` unless the token was granted `scope`."""
    if scope not in token.scopes:
        granted = " ".join(sorted(token.scopes)) or "(none)"
        detail = f"the access token lacks scope '{scope}' (granted: {granted})."
        challenge = f'Bearer error="insufficient_scope", scope="{scope}"'
        raise Refusal(403, "insufficient_scope", detail, headers={"WWW-Authenticate": challenge})
