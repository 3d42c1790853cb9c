"""`Token` (what a grant returned, safe to show) and `TokenCache` (single-flight refresh).

A token's `expires_at` is computed when the response arrives, from the moment the request
was sent (so network latency counts against the token, never for it). A response without
`expires_in` gives `expires_at=None`: "unknown", which the cache treats as valid for
`unknown_lifetime` seconds (not forever); a `401 invalid_token` ends it sooner.

The cache refreshes ahead of expiry by a margin (at most half the token's lifetime) with
exactly one refresh in flight per key - (issuer, client_id, grant, scopes) - however many
threads ask: check, lock, check again, fetch, store, unlock. A rotated refresh token is stored
before the lock is released. With `path`, the cache is also a 0600 JSON file replaced
atomically under an exclusive file lock, so several kernels share one token.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import write_file
from .._html import card, facts_table
from .._secret import Secret, get_logger
from ..errors import ConfigurationError

log = get_logger("bradesco_explore.auth.tokens")

__all__ = ["CacheKey", "Token", "TokenCache", "cache_key"]

CacheKey = tuple[str, str, str, tuple[str, ...]]
"""(issuer or token endpoint, client_id, grant, sorted scopes)."""

_FILE_VERSION = 1


def cache_key(issuer: str, client_id: str, grant: str, scopes: tuple[str, ...]) -> CacheKey:
    """The cache key for a token: scopes are de-duplicated and sorted."""
    return (issuer, client_id, grant, tuple(sorted(set(scopes))))


@dataclass(frozen=True, repr=False, eq=False)
class Token:
    """An access token and what came with it. Safe to print: no value is ever shown.

    `scope` is what the server granted (the requested scope when the response omitted it);
    `expires_at` is None when the server did not say; `cnf` is the certificate thumbprint
    (`x5t#S256`) a JWT access token says it is bound to; `id_token_claims` are the validated
    claims of the ID token, when there was one.
    """

    access_token: Secret
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a password
    scope: tuple[str, ...] = ()
    expires_at: dt.datetime | None = None
    refresh_token: Secret | None = None
    id_token_claims: Mapping[str, Any] | None = None
    cnf: str | None = None
    grant: str = "client_credentials"
    issued_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    refresh_expires_at: dt.datetime | None = None
    id_token: Secret | None = None
    cache_key: CacheKey | None = None

    # -- facts ---------------------------------------------------------------------------------
    def expires_in(self, now: float | None = None) -> float | None:
        """Seconds until expiry (negative once expired), or None when unknown."""
        if self.expires_at is None:
            return None
        return self.expires_at.timestamp() - (time.time() if now is None else now)

    @property
    def lifetime(self) -> float | None:
        """Seconds between issue and expiry, or None when unknown."""
        if self.expires_at is None:
            return None
        return (self.expires_at - self.issued_at).total_seconds()

    def same_as(self, other: Token | None) -> bool:
        """True when `other` carries the same access token value."""
        return other is not None and other.access_token == self.access_token

    def authorization(self) -> str:
        """The `Authorization` header value; only the transport calls this."""
        return f"Bearer {self.access_token.reveal()}"

    # -- persistence (the 0600 cache file only) ------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Every field, values revealed: for the 0600 cache file, nowhere else."""
        return {
            "access_token": self.access_token.reveal(),
            "token_type": self.token_type,
            "scope": list(self.scope),
            "expires_at": _iso(self.expires_at),
            "refresh_token": self.refresh_token.reveal() if self.refresh_token else None,
            "id_token_claims": dict(self.id_token_claims) if self.id_token_claims else None,
            "cnf": self.cnf,
            "grant": self.grant,
            "issued_at": _iso(self.issued_at),
            "refresh_expires_at": _iso(self.refresh_expires_at),
            "id_token": self.id_token.reveal() if self.id_token else None,
            "cache_key": _key_text(self.cache_key) if self.cache_key else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Token:
        """The inverse of `to_json`."""
        return cls(
            access_token=Secret(str(data["access_token"])),
            token_type=str(data.get("token_type") or "Bearer"),
            scope=tuple(data.get("scope") or ()),
            expires_at=_from_iso(data.get("expires_at")),
            refresh_token=Secret(data["refresh_token"]) if data.get("refresh_token") else None,
            id_token_claims=data.get("id_token_claims"),
            cnf=data.get("cnf"),
            grant=str(data.get("grant") or "client_credentials"),
            issued_at=_from_iso(data.get("issued_at")) or dt.datetime.now(dt.UTC),
            refresh_expires_at=_from_iso(data.get("refresh_expires_at")),
            id_token=Secret(data["id_token"]) if data.get("id_token") else None,
            cache_key=_key_from(data["cache_key"]) if data.get("cache_key") else None,
        )

    # -- display ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        parts = [self.token_type, f"scope={' '.join(self.scope)!r}", _countdown(self.expires_in())]
        if self.refresh_token is not None:
            parts.append("refreshable")
        last4 = self.access_token.last4
        return f"Token({', '.join(parts)}, …{last4})" if last4 else f"Token({', '.join(parts)})"

    def _repr_html_(self) -> str:
        rows: list[tuple[str, object]] = [
            ("type", self.token_type),
            ("scope", " ".join(self.scope) or "-"),
            ("grant", self.grant),
            ("expires", _countdown(self.expires_in())),
            ("refresh token", "yes" if self.refresh_token else "no"),
            ("bound to certificate", self.cnf or "-"),
            ("value", f"…{self.access_token.last4}"),
        ]
        if self.id_token_claims:
            rows.append(("ID token subject", _mask(str(self.id_token_claims.get("sub", "")))))
        level = "info" if (self.expires_in() or 1) > 0 else "error"
        return card("Access token", facts_table(rows) + _countdown_script(self), level=level)

    def __reduce__(self) -> Any:
        raise TypeError("a Token cannot be pickled; use a TokenCache with a cache_file (0600)")


def _countdown(seconds: float | None) -> str:
    if seconds is None:
        return "expiry unknown"
    if seconds <= 0:
        return f"expired {_duration(-seconds)} ago"
    return f"expires in {_duration(seconds)}"


def _duration(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _countdown_script(token: Token) -> str:
    if token.expires_at is None:
        return ""
    deadline = int(token.expires_at.timestamp() * 1000)
    return (
        f'<small class="bx-countdown" data-expires-at="{deadline}"></small>'
        "<script>(function(){var e=document.currentScript.previousElementSibling;"
        "function t(){var s=Math.round((+e.dataset.expiresAt-Date.now())/1000);"
        "e.textContent=s>0?'live: expires in '+s+' s':'live: expired';"
        "if(s>0)setTimeout(t,1000);}t();})();</script>"
    )


def _mask(value: str) -> str:
    return value[:2] + "…" + value[-2:] if len(value) > 6 else "…"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _from_iso(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) and value else None


# -- the cache -------------------------------------------------------------------------------------
Fetch = Callable[[Token | None], Token]


class TokenCache:
    """Tokens by (issuer, client_id, grant, scopes), refreshed with one request in flight.

    >>> cache = TokenCache("~/.bradesco-explore/tokens.json")    # doctest: +SKIP
    >>> token = cache.obtain(key, fetch, margin=60)                # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        unknown_lifetime: float = 300.0,
    ) -> None:
        self.clock = clock
        self.unknown_lifetime = unknown_lifetime
        self._file = _CacheFile(Path(path).expanduser()) if path is not None else None
        self._tokens: dict[CacheKey, Token] = {}
        self._locks: dict[CacheKey, threading.Lock] = {}
        self._guard = threading.Lock()

    # -- reading -------------------------------------------------------------------------------
    def get(self, key: CacheKey) -> Token | None:
        """The stored token for `key` (fresh or not), or None."""
        if self._file is not None:
            self._sync_from_file()
        with self._guard:
            return self._tokens.get(key)

    def usable(self, token: Token | None, margin: float) -> bool:
        """True when `token` may still be sent: not within `margin` of expiry.

        The margin is capped at half the token's lifetime, so a short-lived token is not
        refreshed on every call. A token of unknown expiry is usable for `unknown_lifetime`.
        """
        if token is None:
            return False
        now = self.clock()
        if token.expires_at is None:
            return now - token.issued_at.timestamp() < self.unknown_lifetime
        lifetime = token.lifetime or 0.0
        return now < token.expires_at.timestamp() - min(margin, max(lifetime, 0.0) / 2)

    # -- single-flight -------------------------------------------------------------------------
    def obtain(
        self, key: CacheKey, fetch: Fetch, *, margin: float, reject: Token | None = None
    ) -> tuple[Token, bool]:
        """A usable token for `key`: the cached one, or `fetch(current)`'s, fetched once.

        `reject` is a token the server refused (401 invalid_token): it is not reused even if it
        looks fresh. Returns the token and whether this call fetched it.
        """
        current = self.get(key)
        if self._acceptable(current, margin, reject):
            assert current is not None
            return current, False
        with self._lock_for(key), self._file_lock():
            current = self.get(key)
            if self._acceptable(current, margin, reject):
                assert current is not None
                return current, False
            token = fetch(current)
            self.put(key, token)
            return token, True

    def put(self, key: CacheKey, token: Token) -> None:
        """Store `token` (and write the cache file atomically, if there is one)."""
        with self._guard:
            self._tokens[key] = token
        if self._file is not None:
            self._file.update(key, token)

    def discard(self, key: CacheKey) -> None:
        """Forget the token for `key`."""
        with self._guard:
            self._tokens.pop(key, None)
        if self._file is not None:
            self._file.update(key, None)

    def clear(self) -> None:
        """Forget every token (the file too)."""
        with self._guard:
            keys = list(self._tokens)
            self._tokens.clear()
        if self._file is not None:
            for key in keys:
                self._file.update(key, None)

    def keys(self) -> list[CacheKey]:
        """The keys currently held."""
        if self._file is not None:
            self._sync_from_file()
        with self._guard:
            return list(self._tokens)

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        where = f", file={self._file.path}" if self._file else ""
        return f"TokenCache({len(self)} tokens{where})"

    # -- internals -------------------------------------------------------------------------------
    def _acceptable(self, token: Token | None, margin: float, reject: Token | None) -> bool:
        return self.usable(token, margin) and not (token is not None and token.same_as(reject))

    def _lock_for(self, key: CacheKey) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _file_lock(self) -> contextlib.AbstractContextManager[None]:
        return self._file.locked() if self._file is not None else contextlib.nullcontext()

    def _sync_from_file(self) -> None:
        assert self._file is not None
        entries = self._file.read_if_changed()
        if entries is not None:
            with self._guard:
                self._tokens = entries


class _CacheFile:
    """The persistent form: `{"version": 1, "tokens": {json(key): token}}`, mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._seen: tuple[int, int] | None = None
        self._thread_lock = threading.RLock()
        self._depth = 0

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """An exclusive lock shared by every process using this file (and its threads)."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            with self._flock():
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0

    @contextlib.contextmanager
    def _flock(self) -> Iterator[None]:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: threads are still serialised
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def read_if_changed(self) -> dict[CacheKey, Token] | None:
        """The file's tokens when it changed since the last read, else None."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None if self._seen is None else self._mark(None, {})
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature == self._seen:
            return None
        _check_private(self.path, stat.st_mode)
        return self._mark(signature, self._parse())

    def update(self, key: CacheKey, token: Token | None) -> None:
        """Set or remove one entry: read, change, write atomically, under the file lock."""
        with self.locked():
            entries = self._parse() if self.path.exists() else {}
            if token is None:
                entries.pop(key, None)
            else:
                entries[key] = token
            payload = {
                "version": _FILE_VERSION,
                "tokens": {_key_text(k): t.to_json() for k, t in entries.items()},
            }
            write_file(self.path, json.dumps(payload, indent=1).encode(), private=True)
            stat = self.path.stat()
            self._seen = (stat.st_mtime_ns, stat.st_size)

    def _mark(
        self, signature: tuple[int, int] | None, entries: dict[CacheKey, Token]
    ) -> dict[CacheKey, Token]:
        self._seen = signature
        return entries

    def _parse(self) -> dict[CacheKey, Token]:
        try:
            document = json.loads(self.path.read_bytes())
            raw = document["tokens"] if document.get("version") == _FILE_VERSION else {}
            return {_key_from(k): Token.from_json(v) for k, v in raw.items()}
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            log.warning("token cache file %s is unreadable; starting empty", self.path)
            return {}


def _key_text(key: CacheKey) -> str:
    return json.dumps([*key[:3], list(key[3])])


def _key_from(text: str) -> CacheKey:
    issuer, client_id, grant, scopes = json.loads(text)
    return (str(issuer), str(client_id), str(grant), tuple(scopes))


def _check_private(path: Path, mode: int) -> None:
    if mode & 0o077:
        raise ConfigurationError(
            f"Token cache {path} is readable by other users (mode {mode & 0o777:o}); it holds "
            "tokens. Run `chmod 600` on it, or delete it."
        )
