"""Secrets that cannot leak by accident, and the redaction every log line goes through.

`Secret` wraps a token, client secret, code, verifier, assertion or password. Its `repr` and
`str` show at most the last 4 characters; only `reveal()` gives the value, and only code that
puts the value on the wire calls it. Every `Secret` registers its value with the redactor, so
the logging filter scrubs exact occurrences even when they turn up inside a URL or a body.
Pattern rules catch what was never registered (JWT-shaped strings, PEM keys, `code=...`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import Final

__all__ = ["RedactingFilter", "Secret", "get_logger", "install_log_redaction", "redact"]

_MASK: Final = "[REDACTED]"
_MAX_REGISTERED: Final = 4096
_MIN_REGISTERED_LEN: Final = 6

# Names of parameters and headers whose values are always secret.
SECRET_FIELDS: Final = (
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "client_assertion",
    "assertion",
    "code",
    "code_verifier",
    "request",
    "response",
    "password",
    "passphrase",
    "authorization",
    "x-brad-signature",
    "registration_access_token",
)

_PATTERNS: Final = [
    # PEM private keys (any flavour), whole block.
    re.compile(
        r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----.*?(?:-----END (?:[A-Z]+ )*PRIVATE KEY-----|$)",
        re.S,
    ),
    # JWS / JWE compact serialisations.
    re.compile(
        r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?"
    ),
    # Authorization header values.
    re.compile(r"(?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"),
    # key=value, key: value and "key": "value" for secret field names.
    re.compile(
        r"""(?ix)
        (?P<key>["']?\b(?:{fields})["']?\s*[:=]\s*["']?)
        (?P<val>[^"'&\s,;}]+)
        """.replace("{fields}", "|".join(re.escape(f) for f in SECRET_FIELDS))
    ),
]


class _Registry:
    """The exact secret values seen in this process, newest kept when the cap is reached."""

    def __init__(self) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        if len(value) < _MIN_REGISTERED_LEN:
            return
        with self._lock:
            self._values[value] = None
            self._values.move_to_end(value)
            while len(self._values) > _MAX_REGISTERED:
                self._values.popitem(last=False)

    def snapshot(self) -> list[str]:
        with self._lock:
            return sorted(self._values, key=len, reverse=True)


_registry = _Registry()


def redact(text: str) -> str:
    """Return `text` with every registered secret and every secret-looking value masked."""
    for value in _registry.snapshot():
        if value in text:
            text = text.replace(value, _MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(_mask_group if pattern.groups else _MASK, text)
    return text


def _mask_group(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if "key" in groups and groups["key"] is not None:
        return groups["key"] + _MASK
    return f"{match.group(1)} {_MASK}"


class Secret:
    """A secret string: safe to print, log and show; `reveal()` returns the value.

    >>> s = Secret("s3cr3t-value-1234")
    >>> s
    Secret('…1234')
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        raw = value.reveal() if isinstance(value, Secret) else value
        if not isinstance(raw, str):
            raise TypeError(f"Secret takes a str, not {type(raw).__name__}")
        self._value = raw
        _registry.add(raw)

    def reveal(self) -> str:
        """The secret value itself; call only where it goes on the wire."""
        return self._value

    @property
    def last4(self) -> str:
        """The last 4 characters (or fewer for very short values), for recognition."""
        return self._value[-4:] if len(self._value) >= 12 else ""

    def __repr__(self) -> str:
        return f"Secret('…{self.last4}')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled; store it with the token cache (0600)")


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()
_LOGGERS: Final = (
    "bradesco_explore",
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.util.retry",
    "requests",
)
_install_lock = threading.Lock()


def install_log_redaction(*names: str) -> None:
    """Attach the redacting filter to our loggers and the HTTP stack's (idempotent).

    Filters on a logger only see records logged at that logger, so each logger that may see a
    URL, header or body is listed here. Pass more logger names to cover your own code.
    """
    with _install_lock:
        for name in (*_LOGGERS, *names):
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)


def get_logger(name: str) -> logging.Logger:
    """A logger with the redacting filter attached; every module of the package uses this."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
