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
from collections.abc import Callable, Iterable
from typing import Final

__all__ = ["RedactingFilter", "Secret", "get_logger", "install_log_redaction", "redact"]

_MASK: Final = "[REDACTED]"
_MAX_REGISTERED: Final = 4096
_MIN_REGISTERED_LEN: Final = 6

# Names of parameters, fields and headers whose values are always secret: one list for the
# exchange log (query values shown as ***) and for `redact` (every log line of every logger).
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
    "request_uri",
    "response",
    "state",
    "nonce",
    "token",
    "api_key",
    "apikey",
    "password",
    "passphrase",
    "authorization",
    "x-brad-signature",
    "registration_access_token",
)

# Field names that are also ordinary words ("a JARM response: add 'openid'", "no refresh
# token: authorise again"): masked only in the forms a value travels in - `name=value` (query
# strings, form bodies) and quoted keys (`"name": "value"` in JSON, `'name': 'v'` in reprs).
# Passwords stay masked in every form (`password: ...` too): nothing else catches a plain one.
_WORD_FIELDS: Final = frozenset(
    {"assertion", "code", "nonce", "request", "response", "state", "token"}
)


def _alternatives(names: Iterable[str]) -> str:
    # longest first, so `request_uri` is tried before `request`
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


# An auth-param after the scheme (`Bearer error="invalid_token"`, `Basic realm="x"`): a
# lowercase name, then `=` and a value. A credential (token68) is not followed by `=` + value.
_AUTH_PARAM = r"[a-z][a-z0-9_-]*[ \t]*=[ \t]*(?:\"|[\w!#$%&'*+.^`|~-])"
# The shortest value taken for a credential after Bearer/Basic: real tokens and base64
# client_id:secret pairs are longer; English words ("HTTP Basic authentication") are shorter.
_MIN_CREDENTIAL_LEN: Final = 16

_words = _alternatives(_WORD_FIELDS)
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
    # Authorization credentials: a token68 after Bearer/Basic, wherever it appears.
    re.compile(
        rf"\b(?P<scheme>(?i:Bearer|Basic))\s+(?!{_AUTH_PARAM})"
        rf"[A-Za-z0-9._~+/-]{{{_MIN_CREDENTIAL_LEN},}}=*"
    ),
    # key=value, key: value and "key": "value" for secret field names (an Authorization
    # header keeps its scheme: `Authorization: Bearer [REDACTED]`).
    re.compile(
        rf"""(?ix)
        (?P<key>["']?\b(?:{_alternatives(set(SECRET_FIELDS) - _WORD_FIELDS)})["']?\s*[:=]\s*["']?
            (?:(?:Bearer|Basic|DPoP)\s+)?)
        (?P<val>[^"'&\s,;}}]+)
        """
    ),
    # the same for ordinary words, in wire forms only: name=value, "name": value, 'name': value
    re.compile(
        rf"""(?ix)
        (?P<key>\b(?:{_words})=|(?P<q>["'])(?:{_words})(?P=q)\s*:\s*["']?)
        (?P<val>[^"'&\s,;}}]+)
        """
    ),
]


class _Registry:
    """The exact secret values seen in this process, newest kept when the cap is reached."""

    def __init__(self) -> None:
        self._values: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._longest_first: tuple[str, ...] | None = ()

    def add(self, value: str) -> None:
        if len(value) < _MIN_REGISTERED_LEN:
            return
        with self._lock:
            self._values[value] = None
            self._values.move_to_end(value)
            while len(self._values) > _MAX_REGISTERED:
                self._values.popitem(last=False)
            self._longest_first = None

    def snapshot(self) -> tuple[str, ...]:
        """The values, longest first; sorted once per change, not on every redaction."""
        cached = self._longest_first
        if cached is not None:
            return cached
        with self._lock:
            if self._longest_first is None:
                self._longest_first = tuple(sorted(self._values, key=len, reverse=True))
            return self._longest_first


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
    if groups.get("key") is not None:
        return groups["key"] + _MASK
    return f"{groups['scheme']} {_MASK}"


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
    """A logging filter that masks secrets in a record's message, arguments and traceback.

    Attach it to your own handlers or loggers; the package's own namespaces are covered
    already (see `install_log_redaction`).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so the traceback is redacted once here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()
_NAMESPACES: set[str] = {"bradesco_explore", "urllib3", "requests"}
_install_lock = threading.Lock()
_REDACTED_MARK: Final = "_bx_redacted"
_factory: list[Callable[..., logging.LogRecord]] = []  # the factory we installed, if any


def _covered(name: str) -> bool:
    return any(name == ns or name.startswith(ns + ".") for ns in _NAMESPACES)


def install_log_redaction(*namespaces: str) -> None:
    """Redact every log record of the package, the HTTP stack and `namespaces` (idempotent).

    Filters on a logger do not see records of its child loggers, so redaction happens where
    records are made: a record factory masks each record whose logger name is in one of the
    namespaces (`bradesco_explore.*`, `urllib3.*`, `requests.*`, and any you add, such as
    the name of your own notebook logger), at every level, before any handler sees it.
    A `Session` calls this when it is made and before every request, so a record factory set
    by something else in the meantime (`logging.setLogRecordFactory`) is wrapped in turn.
    """
    if not namespaces and _factory and logging.getLogRecordFactory() is _factory[0]:
        return  # the common case, on every request: installed and still in place
    with _install_lock:
        _NAMESPACES.update(namespaces)
        current = logging.getLogRecordFactory()
        if _factory and current is _factory[0]:
            return

        def factory(*args: object, **kwargs: object) -> logging.LogRecord:
            record = current(*args, **kwargs)
            if _covered(record.name) and not getattr(record, _REDACTED_MARK, False):
                _FILTER.filter(record)
                setattr(record, _REDACTED_MARK, True)
            return record

        logging.setLogRecordFactory(factory)
        _factory[:] = [factory]


def get_logger(name: str) -> logging.Logger:
    """The package's loggers: redaction is installed before the first one is handed out."""
    install_log_redaction()
    return logging.getLogger(name)
