"""Layer 2, transport: the one mTLS HTTP session every other layer calls through.

Verification always on, TLS 1.2+, client certificate from memory, safe retries,
`x-fapi-interaction-id` on every request and a redacted exchange log.
"""

from ._log import Exchange, ExchangeLog, safe_url
from ._response import (
    Response,
    parse_error_envelope,
    parse_retry_after,
    server_time,
    status_error,
)
from ._session import IDEMPOTENT, INTERACTION_HEADER, NO_RETRY, RequestSigner, RetryPolicy, Session
from ._tls import build_ssl_context, check_url, default_ca_bundle, is_loopback, load_identity

__all__ = [
    "IDEMPOTENT",
    "INTERACTION_HEADER",
    "NO_RETRY",
    "Exchange",
    "ExchangeLog",
    "RequestSigner",
    "Response",
    "RetryPolicy",
    "Session",
    "build_ssl_context",
    "check_url",
    "default_ca_bundle",
    "is_loopback",
    "load_identity",
    "parse_error_envelope",
    "parse_retry_after",
    "safe_url",
    "server_time",
    "status_error",
]
