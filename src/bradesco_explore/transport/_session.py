"""`Session`: one pooled, keep-alive mTLS connection pool per identity, safe by construction.

- verification is always on: `verify=False` raises, and the trust store is the one given
  (`ca_bundle`) or requests' default; `REQUESTS_CA_BUNDLE` never overrides an explicit bundle;
  even the private inner `requests` session takes no other adapter and no `verify=False`;
- TLS 1.2+, client certificate from memory (see `_tls.py`);
- plain http:// only to loopback;
- every request carries an `x-fapi-interaction-id` (UUID4, or the caller's if it is a UUID),
  checked when the server echoes it;
- retries only where replay is safe, bounded; each attempt is re-signed by the request's
  `auth` callable, so one-time values (assertion `jti`, X-Brad nonce) are never replayed;
- every attempt lands in a redacted `ExchangeLog` and on the `bradesco_explore.transport` logger.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import re
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import BaseAdapter, HTTPAdapter

from .._secret import get_logger, install_log_redaction, redact
from ..errors import (
    BradescoExploreError,
    ConfigurationError,
    ConnectionFailedError,
    InsecureConfigurationError,
    RequestTimeoutError,
    ResponseValidationError,
    TLSHandshakeError,
)
from ..identity import Identity
from ._log import Exchange, ExchangeLog, safe_url
from ._response import Response, parse_retry_after
from ._tls import build_ssl_context, check_url

log = get_logger("bradesco_explore.transport")

RequestSigner = Callable[[requests.PreparedRequest], None]
"""Called on every attempt with the prepared request, to add headers or sign the body."""

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
INTERACTION_HEADER = "x-fapi-interaction-id"
Timeout = float | tuple[float, float]


@dataclass(frozen=True)
class RetryPolicy:
    """When and how often to try again.

    Idempotent methods are retried on connection failures and on `statuses`; POST and PATCH
    only on 429/503 that carry `Retry-After` (the server says it did not process the request)
    or when the connection could not be opened at all. A `Retry-After` longer than
    `max_wait` is not waited for: the error is raised with `retry_after` set.
    """

    attempts: int = 3
    backoff: float = 0.25
    max_wait: float = 30.0
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 502, 503, 504, 529}))

    def wait_for_status(
        self, method: str, response: requests.Response, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying after `response`, or None for no retry."""
        if attempt >= self.attempts or response.status_code not in self.statuses:
            return None
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if method not in IDEMPOTENT and (
            response.status_code not in {429, 503} or retry_after is None
        ):
            return None
        wait = retry_after if retry_after is not None else self.backoff * 2.0 ** (attempt - 1)
        return wait if wait <= self.max_wait else None

    def wait_for_error(self, method: str, error: Exception, attempt: int) -> float | None:
        """Seconds to wait before retrying after a connection error, or None for no retry."""
        if attempt >= self.attempts or isinstance(error, requests.exceptions.SSLError):
            return None
        if method not in IDEMPOTENT and not _never_sent(error):
            return None
        return self.backoff * 2.0 ** (attempt - 1)


NO_RETRY = RetryPolicy(attempts=1)


def _never_sent(error: Exception) -> bool:
    """True when the request cannot have reached the server (connection not established)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


class _BlockAllCookies(http.cookiejar.CookiePolicy):
    """APIs here are stateless; a cookie jar shared across threads would only leak state."""

    netscape = True
    rfc2965 = hide_cookie2 = False

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def domain_return_ok(self, domain: str, request: Any) -> bool:
        return False

    def path_return_ok(self, path: str, request: Any) -> bool:
        return False


class _ContextAdapter(HTTPAdapter):
    """An adapter whose TLS settings come only from our `SSLContext`.

    requests would otherwise let `verify`/`cert` arguments and `REQUESTS_CA_BUNDLE` alter the
    pool's trust store; here they cannot.
    """

    def __init__(self, context: Any, pool_maxsize: int) -> None:
        self._context = context
        super().__init__(pool_connections=8, pool_maxsize=pool_maxsize, max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **kwargs: Any
    ) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(connections, maxsize, block, **kwargs)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(proxy, **kwargs)

    def get_connection_with_tls_context(
        self, request: requests.PreparedRequest, verify: Any, proxies: Any = None, cert: Any = None
    ) -> Any:
        if verify is False:
            raise InsecureConfigurationError("Certificate verification cannot be turned off.")
        return super().get_connection_with_tls_context(request, True, proxies, None)

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> Any:
        host_params, _ = super().build_connection_pool_key_attributes(request, True, None)
        return host_params, {"ssl_context": self._context, "cert_reqs": "CERT_REQUIRED"}

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        if verify is False:
            raise InsecureConfigurationError("Certificate verification cannot be turned off.")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        # Every request leaves through here, redirects followed by requests included: a
        # redirect to plain http:// on another host is refused before anything is sent.
        check_url(request.url or "")
        _require_verification(self._context)
        return super().send(request, *args, **kwargs)


def _require_verification(context: ssl.SSLContext) -> None:
    """Refuse to send through a context whose verification was weakened after it was built."""
    if (
        context.verify_mode != ssl.CERT_REQUIRED
        or not context.check_hostname
        or context.minimum_version < ssl.TLSVersion.TLSv1_2
    ):
        raise InsecureConfigurationError(
            "This session's TLS context no longer verifies the server (verify_mode, "
            "check_hostname or minimum_version was changed); verification cannot be turned "
            "off. Make a new Session, with ca_bundle='ca.pem' to trust a private CA."
        )


class _VerifyingHTTP(requests.Session):
    """The inner `requests` session: only `_ContextAdapter`s, and `verify` stays True.

    Even code that reaches the private `Session._http` cannot mount requests' own
    `HTTPAdapter` (which honours `verify=False`) or switch `verify` off.
    """

    def __init__(self, adapter: _ContextAdapter) -> None:
        self._constructed = False
        super().__init__()  # would mount requests' default adapters; mount() skips them
        self._constructed = True
        self.mount("https://", adapter)
        self.mount("http://", adapter)  # plain http:// is for the loopback sandbox only

    @property
    def verify(self) -> bool:
        return True

    @verify.setter
    def verify(self, value: object) -> None:
        if value is not True:
            raise InsecureConfigurationError(
                f"verify={value!r} is refused: certificate verification stays on, with the "
                "session's own trust store. To trust a private CA, make the Session with "
                "ca_bundle='ca.pem'."
            )

    def mount(self, prefix: str | bytes, adapter: BaseAdapter) -> None:
        if not self._constructed:
            return
        if not isinstance(adapter, _ContextAdapter):
            raise InsecureConfigurationError(
                f"Refusing to mount {type(adapter).__name__} for {prefix!r}: every request of a "
                "bradesco_explore Session goes through its own verifying mTLS adapter."
            )
        _require_verification(adapter._context)
        super().mount(prefix, adapter)

    def get_adapter(self, url: str) -> BaseAdapter:
        adapter = super().get_adapter(url)
        if not isinstance(adapter, _ContextAdapter):  # put into .adapters without mount()
            raise InsecureConfigurationError(
                f"Refusing to send through {type(adapter).__name__}: every request of a "
                "bradesco_explore Session goes through its own verifying mTLS adapter."
            )
        return adapter


class Session:
    """The one HTTP transport: mTLS from an `Identity`, verification always on.

    >>> with Session(identity, ca_bundle="sandbox-ca.pem") as s:      # doctest: +SKIP
    ...     r = s.request("GET", "https://127.0.0.1:8443/v2/cob", auth=bearer)

    `identity=None` makes a session without a client certificate (for public endpoints and to
    show what a server does without one). `verify` exists only to refuse `False` loudly.
    """

    def __init__(
        self,
        identity: Identity | None = None,
        *,
        ca_bundle: str | os.PathLike[str] | None = None,
        timeout: Timeout = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        log: ExchangeLog | None = None,
        pool_maxsize: int = 32,
        user_agent: str = "bradesco-explore",
        verify: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if verify is not True:
            raise InsecureConfigurationError(
                "verify must stay True: turning certificate verification off lets anyone on the "
                "network read tokens and data. To trust a private CA, pass ca_bundle='ca.pem'."
            )
        install_log_redaction()
        self.identity = identity
        self.ca_bundle = ca_bundle
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.log = log if log is not None else ExchangeLog()
        self._sleep = sleep
        context = build_ssl_context(identity, ca_bundle=ca_bundle)
        self._http = _VerifyingHTTP(_ContextAdapter(context, pool_maxsize))
        self._http.trust_env = False  # no .netrc credentials, no env CA bundle behind our back
        self._http.cookies.set_policy(_BlockAllCookies())
        self._http.headers["User-Agent"] = user_agent

    # -- public API -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | str | bytes | None = None,
        auth: RequestSigner | None = None,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        follow_redirects: bool = False,
        verify: bool = True,
    ) -> Response:
        """Send a request (retrying where safe) and return the `Response`, whatever its status."""
        if verify is not True:
            raise InsecureConfigurationError(
                "verify=False is refused: certificate verification stays on."
            )
        check_url(url)
        install_log_redaction()  # again: a record factory set since would bypass it
        method = method.upper()
        policy = retry or self.retry
        interaction_id = _interaction_id(headers)
        sent_headers = {k: v for k, v in (headers or {}).items() if k.lower() != INTERACTION_HEADER}
        sent_headers[INTERACTION_HEADER] = interaction_id
        request = requests.Request(
            method, url, params=params, headers=sent_headers, json=json, data=data
        )
        started = time.perf_counter()
        attempt = 0
        while True:
            attempt += 1
            raw, wait = self._attempt(
                request, auth, policy, attempt, interaction_id, timeout, follow_redirects
            )
            if wait is None:
                assert raw is not None
                break
            log.info(
                "retrying %s %s in %.2f s (attempt %d)", method, safe_url(url), wait, attempt + 1
            )
            self._sleep(wait)
        _check_echo(raw, interaction_id)
        elapsed = (time.perf_counter() - started) * 1000
        return Response(raw, interaction_id=interaction_id, elapsed_ms=elapsed, attempts=attempt)

    def get(self, url: str, **kwargs: Any) -> Response:
        """`request("GET", ...)`."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        """`request("POST", ...)`."""
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        who = self.identity.subject if self.identity else "no client certificate"
        return f"<Session {who}, {len(self.log)} exchanges>"

    # -- one attempt ----------------------------------------------------------------------------
    def _attempt(
        self,
        request: requests.Request,
        auth: RequestSigner | None,
        policy: RetryPolicy,
        attempt: int,
        interaction_id: str,
        timeout: Timeout | None,
        follow_redirects: bool,
    ) -> tuple[requests.Response | None, float | None]:
        prepared = self._prepare(request)
        if auth is not None:
            auth(prepared)
        method, url = prepared.method or "GET", prepared.url or request.url
        started = time.perf_counter()
        try:
            raw = self._http.send(
                prepared, timeout=timeout or self.timeout, allow_redirects=follow_redirects
            )
        except BradescoExploreError as exc:  # refused on the way out (a redirect to http://)
            self._record(method, url, None, started, interaction_id, attempt, type(exc).__name__)
            raise
        except ValueError as exc:  # not a RequestException: a URL urllib3 or urllib cannot read
            self._record(method, url, None, started, interaction_id, attempt, type(exc).__name__)
            raise _unreadable_url(exc, method, url) from None
        except requests.exceptions.RequestException as exc:
            self._record(method, url, None, started, interaction_id, attempt, type(exc).__name__)
            wait = policy.wait_for_error(method, exc, attempt)
            if wait is None:
                raise _connection_error(exc, method, url) from None
            return None, wait
        self._record(
            method,
            url,
            raw.status_code,
            started,
            interaction_id,
            attempt,
            "ok" if raw.ok else "error",
        )
        wait = policy.wait_for_status(method, raw, attempt)
        if wait is not None:
            raw.close()
        return raw, wait

    def _prepare(self, request: requests.Request) -> requests.PreparedRequest:
        try:
            return self._http.prepare_request(request)
        except (requests.exceptions.InvalidURL, ValueError) as exc:
            raise ConfigurationError(
                f"{request.method} {safe_url(request.url)} cannot be sent: "
                f"{_short(redact(str(exc)))}. Check the address."
            ) from None

    def _record(
        self,
        method: str,
        url: str,
        status: int | None,
        started: float,
        interaction_id: str,
        attempt: int,
        outcome: str,
    ) -> None:
        latency = (time.perf_counter() - started) * 1000
        entry = Exchange(
            time=dt.datetime.now(dt.UTC),
            method=method,
            url=safe_url(url),
            status=status,
            latency_ms=latency,
            interaction_id=interaction_id,
            attempt=attempt,
            outcome=outcome,
        )
        self.log.add(entry)
        log.debug(
            "%s %s -> %s in %.1f ms [%s] attempt %d",
            method,
            entry.url,
            status,
            latency,
            interaction_id,
            attempt,
        )


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _interaction_id(headers: Mapping[str, str] | None) -> str:
    """The caller's `x-fapi-interaction-id`, refused unless it is one UUID; else a new UUID4."""
    given = {v for k, v in (headers or {}).items() if k.lower() == INTERACTION_HEADER}
    if not given:
        return str(uuid.uuid4())
    value = given.pop() if len(given) == 1 else None
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        shown = redact(str(value if value is not None else sorted(map(str, given))))[:80]
        raise ConfigurationError(
            f"headers[{INTERACTION_HEADER!r}] = {shown!r} is not one UUID: FAPI requires an RFC "
            "4122 UUID such as str(uuid.uuid4()). Leave the header out and the session sends "
            "a fresh one on every request."
        )
    return value


def _check_echo(raw: requests.Response, sent: str) -> None:
    echoed = raw.headers.get(INTERACTION_HEADER)
    if echoed is not None and echoed.lower() != sent.lower():  # UUIDs ignore case (RFC 4122)
        raise ResponseValidationError(
            f"The server echoed x-fapi-interaction-id {echoed!r} for a request sent with {sent!r}; "
            "the response may belong to another request. Nothing was retried.",
            check="x-fapi-interaction-id",
        )


def _connection_error(
    exc: requests.exceptions.RequestException, method: str, url: str
) -> ConnectionFailedError:
    where = f"{method} {safe_url(url)}"
    reason = redact(str(exc.args[0] if exc.args else exc))
    if isinstance(exc, requests.exceptions.SSLError):
        return TLSHandshakeError(_tls_message(where, reason), url=safe_url(url))
    if isinstance(exc, requests.exceptions.Timeout):
        return RequestTimeoutError(
            f"{where} timed out ({type(exc).__name__}); the server is slow or "
            "unreachable. Try again, or raise the timeout.",
            url=safe_url(url),
        )
    return ConnectionFailedError(
        f"{where} could not connect: {_short(reason)}. Check the address and "
        "that the server is running.",
        url=safe_url(url),
    )


def _unreadable_url(exc: ValueError, method: str, url: str) -> Exception:
    """A URL that fails deep in urllib3/urllib: ours (the host) or the server's (a Location)."""
    reason = _short(redact(str(exc)))
    if isinstance(exc, urllib3.exceptions.LocationValueError):
        return ConfigurationError(
            f"{method} {safe_url(url)} cannot be sent: {reason}. Check the address."
        )
    return ResponseValidationError(
        f"{method} {safe_url(url)} was answered with a redirect whose Location is not a URL "
        f"({reason}); the server is misconfigured.",
        check="redirect.location",
    )


def _tls_message(where: str, reason: str) -> str:
    low = reason.lower()
    if "protocol version" in low or "unsupported protocol" in low:
        return (
            f"{where}: the server offers no TLS version this client accepts (TLS 1.2 or newer "
            f"is required; older versions are never allowed). OpenSSL: {_short(reason)}."
        )
    if "certificate verify failed" in low:
        return (
            f"{where}: the server's certificate is not trusted. Pass the server's CA as "
            f"ca_bundle='...pem'; never turn verification off. OpenSSL: {_short(reason)}."
        )
    if any(
        s in low
        for s in (
            "certificate required",
            "bad certificate",
            "unknown ca",
            "certificate unknown",
            "handshake failure",
            "unexpected eof",
            "tlsv13 alert",
        )
    ):
        return (
            f"{where}: the server refused the TLS handshake, most likely because it did not accept "
            f"the client certificate. Load the identity registered with the bank. OpenSSL: {_short(reason)}."
        )
    return f"{where}: the TLS handshake failed. OpenSSL: {_short(reason)}."


_OPENSSL_REASON = re.compile(r"\[SSL: [A-Z0-9_]+\][^(\"']*")
_SOURCE_LINE = re.compile(r"\s*\(_ssl\.c:\d+\)")
_QUOTED = re.compile(r"'([^']{3,})'")
_OBJECT_REPR = re.compile(r"<[^>]*>:\s*")  # "<urllib3...HTTPSConnection object at 0x...>: "


def _short(reason: str) -> str:
    """The most telling part of a nested urllib3/ssl message, without nesting or parentheses.

    OpenSSL's own reason (`[SSL: CODE] text`) when there is one - without the `_ssl.c` line
    number, which changes between Python builds - else the innermost message.
    """
    found = _OPENSSL_REASON.search(reason)
    if found:
        return found.group(0).strip(" :,")
    quoted = _QUOTED.findall(_SOURCE_LINE.sub("", reason))
    if quoted:
        return _OBJECT_REPR.sub("", quoted[-1]).strip()[:200]
    return reason.replace("(", " ").replace(")", " ").strip("'\" ")[:200]
