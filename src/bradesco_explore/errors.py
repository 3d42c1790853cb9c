"""Every error the toolkit raises, in one tree.

```
BradescoExploreError                 anything this package raises on purpose
├── ConfigurationError               bad arguments, settings or environment
│   └── InsecureConfigurationError   verify=False, plain http:// to a remote host, alg "none"
├── IdentityError                    a certificate or key could not be used
│   ├── IdentityFormatError          not a certificate/key we can read (garbage, truncated, CSR)
│   ├── IdentityPasswordError        password missing or wrong (PKCS#12, encrypted key)
│   ├── MissingKeyError              a certificate without its private key
│   ├── KeyMismatchError             the key does not belong to the certificate
│   └── CertificateRejectedError     validation found an error (expired, no clientAuth, ...)
├── ConnectionFailedError            could not reach the server or finish the TLS handshake
│   ├── TLSHandshakeError            certificate verification or client certificate refused
│   └── RequestTimeoutError          connect or read timeout
├── ServerRejectedError              the server answered, and the answer was no
│   ├── HTTPStatusError              an HTTP error status; the bank's error envelope is parsed
│   └── OAuthError                   an OAuth error response (`error`, `error_description`)
├── ResponseValidationError          the server answered, and the client refused the answer
│   (ID token, JARM, discovery issuer, state, iss, JWKS; raised before anything is redeemed)
├── DataError                        a response body could not be tabulated (amount, date, shape)
└── PaginationError                  paging stopped at a failed page; `.pages` keeps the others,
                                     `.resume()` carries on from the failed page
```

Every message says what went wrong, where (file, field or endpoint) and what to do next.
No message ever contains a secret: values that could be secret are shown redacted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "BradescoExploreError",
    "CertificateRejectedError",
    "ConfigurationError",
    "ConnectionFailedError",
    "DataError",
    "HTTPStatusError",
    "IdentityError",
    "IdentityFormatError",
    "IdentityPasswordError",
    "InsecureConfigurationError",
    "KeyMismatchError",
    "MissingKeyError",
    "OAuthError",
    "PaginationError",
    "RequestTimeoutError",
    "ResponseValidationError",
    "ServerRejectedError",
    "TLSHandshakeError",
]


class BradescoExploreError(Exception):
    """Base class of every error this package raises on purpose.

    In IPython and Jupyter the error shows as its class and message only, not as a traceback
    through the package's internals: the message already says what went wrong, where, and
    what to do. Set `BRADESCO_FULL_TRACEBACKS=1` to get the full traceback back.
    """

    def _render_traceback_(self) -> list[str]:
        """What IPython displays for this error (see `IPython.core.interactiveshell`)."""
        if os.environ.get("BRADESCO_FULL_TRACEBACKS"):
            import traceback

            return traceback.format_exception(self)
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class ConfigurationError(BradescoExploreError, ValueError):
    """An argument, setting or environment is wrong; the message names it and the fix."""


class InsecureConfigurationError(ConfigurationError):
    """A request to weaken security was refused (verify=False, remote http://, alg none)."""


class IdentityError(BradescoExploreError):
    """A client certificate or private key could not be used.

    `source` names the file (or "uploaded bytes") the problem came from.
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        super().__init__(message)
        self.source = source


class IdentityFormatError(IdentityError):
    """The input is not a certificate or key in a format we read (PEM, DER, PKCS#12)."""


class IdentityPasswordError(IdentityError):
    """A password is needed and was not given, or the one given is wrong."""


class MissingKeyError(IdentityError):
    """A certificate was given without its private key, and mTLS needs the key."""


class KeyMismatchError(IdentityError):
    """The private key does not belong to the certificate."""


class CertificateRejectedError(IdentityError):
    """Validation found at least one error-level finding; `findings` lists them all."""

    def __init__(self, message: str, *, findings: Sequence[Any], source: str | None = None) -> None:
        super().__init__(message, source=source)
        self.findings = list(findings)


class ConnectionFailedError(BradescoExploreError, ConnectionError):
    """The server could not be reached, or the TLS handshake did not complete.

    `url` is the (redacted) address that was being called.
    """

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class TLSHandshakeError(ConnectionFailedError):
    """The TLS handshake failed: server certificate not trusted, or client certificate refused."""


class RequestTimeoutError(ConnectionFailedError):
    """The server did not answer in time (connect or read timeout)."""


class ServerRejectedError(BradescoExploreError):
    """The server answered and refused the request.

    Attributes: `status` (HTTP status), `url` (redacted), `interaction_id` (the
    `x-fapi-interaction-id` of the exchange, to quote to the bank's support).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        url: str | None = None,
        interaction_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.url = url
        self.interaction_id = interaction_id


class HTTPStatusError(ServerRejectedError):
    """An HTTP error status, with the bank's error envelope parsed into `errors`.

    `errors` is a list of `{"code", "title", "detail"}`-like dicts normalised from any of the
    envelopes the APIs use (Open Finance `errors[]`, Pix problem details with `violacoes`,
    Bradesco `{code, message}` / `{codigo, mensagem}`). `retry_after` is the server's
    `Retry-After` in seconds when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        url: str | None = None,
        interaction_id: str | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status=status, url=url, interaction_id=interaction_id)
        self.errors = [dict(e) for e in errors]
        self.retry_after = retry_after


class OAuthError(ServerRejectedError):
    """An OAuth 2.0 error response: `error` and `error_description` from the server."""

    def __init__(
        self,
        message: str,
        *,
        error: str,
        error_description: str | None = None,
        status: int | None = None,
        url: str | None = None,
        interaction_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, url=url, interaction_id=interaction_id)
        self.error = error
        self.error_description = error_description


class ResponseValidationError(BradescoExploreError):
    """The client refused a server response (ID token, JARM, discovery, state, iss, JWKS).

    `check` names the check that failed (for example `"id_token.nonce"`). When this is raised
    during an authorization flow, no code has been redeemed and no resource was called.
    """

    def __init__(self, message: str, *, check: str) -> None:
        super().__init__(message)
        self.check = check


class DataError(BradescoExploreError, ValueError):
    """A response could not be turned into a table: `field` names the value that failed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PaginationError(BradescoExploreError):
    """Paging stopped at a page that could not be fetched or read; earlier pages are kept.

    `page` is the 1-based number of the failed page, `pages` the responses fetched before it,
    `cause` the error it failed with (an `HTTPStatusError`, a `ConnectionFailedError`, a
    `DataError`, ...) and `status` its HTTP status when there was one. `resume()` carries on
    from the failed page without fetching the finished pages again.
    """

    def __init__(
        self,
        message: str,
        *,
        page: int,
        pages: Sequence[Any],
        cause: BaseException,
        resume: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.page = page
        self.pages = list(pages)
        self.cause = cause
        self.status: int | None = getattr(cause, "status", None)
        self._resume = resume

    def resume(self) -> Any:
        """Fetch the failed page and the rest; returns the paginator (see its `to_frame()`)."""
        if self._resume is None:
            raise ConfigurationError("This error was not raised by a paginator; nothing to resume.")
        return self._resume()
