"""bradesco-explore: explore Banco Bradesco's APIs safely from Jupyter.

Layers, imported in one direction only (identity -> transport -> auth -> apis -> tables ->
widgets; the sandbox stands beside them and the CLI on top):

- `identity`  client certificates and keys: load, validate, generate CSRs
- `transport` the mTLS session: verification always on, safe retries, redacted exchange log
- `auth`      OAuth 2.0 / FAPI client: every grant Bradesco uses, token cache, ID-token checks
- `apis`      thin helpers per API family (boletos, Pix, saldo/extrato, Open Finance)
- `tables`    responses to typed pandas DataFrames
- `widgets`   ipywidgets forms over all of the above
- `sandbox`   a local HTTPS + mTLS server that behaves like Bradesco's

Heavy dependencies (pandas, ipywidgets, the sandbox) load on first use, so `import
bradesco_explore` stays fast.

>>> import bradesco_explore as bx
>>> with bx.Sandbox() as sb:                                                  # doctest: +SKIP
...     client = bx.Client(sb.environment, identity=sb.identity, credentials=sb.credentials)
...     frame = bx.to_frame(client.get("/v2/cob", params={...}))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    BradescoExploreError,
    CertificateRejectedError,
    ConfigurationError,
    ConnectionFailedError,
    DataError,
    HTTPStatusError,
    IdentityError,
    IdentityFormatError,
    IdentityPasswordError,
    InsecureConfigurationError,
    KeyMismatchError,
    MissingKeyError,
    OAuthError,
    PaginationError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerRejectedError,
    TLSHandshakeError,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported on first access)
_LAZY = {
    "Identity": ".identity",
    "Finding": ".identity",
    "OpenFinanceSubject": ".identity",
    "make_csr": ".identity",
    "Session": ".transport",
    "RetryPolicy": ".transport",
    "ExchangeLog": ".transport",
    "Response": ".transport",
    "Secret": "._secret",
    "Environment": ".auth",
    "Family": ".auth",
    "Credentials": ".auth",
    "Client": ".auth",
    "Token": ".auth",
    "TokenCache": ".auth",
    "PendingAuthorization": ".auth",
    "to_frame": ".tables",
    "Table": ".tables",
    "OpenFinancePages": ".tables",
    "BoletoListPages": ".tables",
    "PixPages": ".tables",
    "ExtratoWindows": ".tables",
    "balance_over_time": ".tables",
    "spending_by_type": ".tables",
    "boleto_status_counts": ".tables",
    "Sandbox": ".sandbox",
    "Workspace": ".workspace",
    "explore": ".widgets",
    "install_log_redaction": "._secret",
}

__all__ = [
    "BoletoListPages",
    "BradescoExploreError",
    "CertificateRejectedError",
    "Client",
    "ConfigurationError",
    "ConnectionFailedError",
    "Credentials",
    "DataError",
    "Environment",
    "ExchangeLog",
    "ExtratoWindows",
    "Family",
    "Finding",
    "HTTPStatusError",
    "Identity",
    "IdentityError",
    "IdentityFormatError",
    "IdentityPasswordError",
    "InsecureConfigurationError",
    "KeyMismatchError",
    "MissingKeyError",
    "OAuthError",
    "OpenFinancePages",
    "OpenFinanceSubject",
    "PaginationError",
    "PendingAuthorization",
    "PixPages",
    "RequestTimeoutError",
    "Response",
    "ResponseValidationError",
    "RetryPolicy",
    "Sandbox",
    "Secret",
    "ServerRejectedError",
    "Session",
    "TLSHandshakeError",
    "Table",
    "Token",
    "TokenCache",
    "Workspace",
    "__version__",
    "balance_over_time",
    "boleto_status_counts",
    "explore",
    "install_log_redaction",
    "make_csr",
    "spending_by_type",
    "to_frame",
]

if TYPE_CHECKING:
    from ._secret import Secret, install_log_redaction
    from .auth import (
        Client,
        Credentials,
        Environment,
        Family,
        PendingAuthorization,
        Token,
        TokenCache,
    )
    from .identity import Finding, Identity, OpenFinanceSubject, make_csr
    from .sandbox import Sandbox
    from .tables import (
        BoletoListPages,
        ExtratoWindows,
        OpenFinancePages,
        PixPages,
        Table,
        balance_over_time,
        boleto_status_counts,
        spending_by_type,
        to_frame,
    )
    from .transport import ExchangeLog, Response, RetryPolicy, Session
    from .widgets import explore
    from .workspace import Workspace


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bradesco_explore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
