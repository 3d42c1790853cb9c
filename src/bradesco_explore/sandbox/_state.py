"""Bookkeeping every family shares: the server clock, one-time values, issued secrets, counters."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

LEEWAY = 10
"""Seconds of clock tolerance on client-supplied times (`exp`, `nbf`, `iat`, timestamps)."""


class Clock:
    """The server's idea of now: the real time plus `skew` seconds (tests set a skew)."""

    def __init__(self, skew: float = 0.0) -> None:
        self.skew = skew

    def now(self) -> float:
        """Seconds since the epoch, skewed."""
        return time.time() + self.skew

    def utcnow(self) -> dt.datetime:
        """Now as an aware UTC datetime, skewed."""
        return dt.datetime.fromtimestamp(self.now(), dt.UTC)

    def rfc3339(self) -> str:
        """Now as `YYYY-MM-DDThh:mm:ssZ` (Open Finance `requestDateTime`)."""
        return self.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


class OneTimeValues:
    """Values that may be presented once (assertion `jti`, X-Brad nonce) until they expire."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def claim(self, namespace: str, value: str, *, until: float) -> bool:
        """Record `value`; False if it was already used and is still remembered."""
        now = self._clock.now()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if v > now}
            key = (namespace, value)
            if self._seen.get(key, 0.0) > now:
                return False
            self._seen[key] = max(until, now) + LEEWAY
            return True


class SecretLedger:
    """Every secret string the sandbox issued or holds, for leak tests (`known_secrets()`)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: str) -> None:
        """Remember secret values (empty strings are ignored)."""
        with self._lock:
            self._values.update(v for v in values if v)

    def values(self) -> list[str]:
        """A sorted copy of every value."""
        with self._lock:
            return sorted(self._values)


@dataclass
class Counters:
    """Live counters the token endpoints update (`Sandbox.stats` copies them)."""

    token_requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    tokens_issued: Counter[tuple[str, str]] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def requested(self, family: str, grant: str) -> None:
        """Count a token request (refused ones too)."""
        with self.lock:
            self.token_requests[family, grant] += 1

    def issued(self, family: str, grant: str) -> None:
        """Count a token that was issued."""
        with self.lock:
            self.tokens_issued[family, grant] += 1

    def clear(self) -> None:
        """Reset every counter to zero."""
        with self.lock:
            self.token_requests.clear()
            self.tokens_issued.clear()


@dataclass(frozen=True)
class SandboxStats:
    """A snapshot of the sandbox's counters.

    - `token_requests[family, grant]`: token endpoint calls, refused ones included;
    - `tokens_issued[family, grant]`: access tokens handed out;
    - `calls["METHOD /path/template"]`: requests routed to each endpoint.

    >>> sb.stats.token_requests["pix", "client_credentials"]      # doctest: +SKIP
    1
    """

    token_requests: Counter[tuple[str, str]]
    tokens_issued: Counter[tuple[str, str]]
    calls: Counter[str]

    @property
    def total_token_requests(self) -> int:
        """Token endpoint calls across every family and grant."""
        return sum(self.token_requests.values())

    def calls_to(self, path_prefix: str) -> int:
        """Requests to endpoints whose template starts with `path_prefix` (any method)."""
        return sum(
            n for key, n in self.calls.items() if key.split(" ", 1)[1].startswith(path_prefix)
        )
