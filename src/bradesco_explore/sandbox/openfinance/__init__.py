"""Open Finance Brasil (FAPI-BR) for the sandbox: an authorization server and the data APIs.

One module per concern: `_endpoints` (URLs, discovery), `_keys` (JWKS, rotation),
`_client_auth` (private_key_jwt as FAPI-BR requires; tls_client_auth, a FAPI 1.0 option
offered beyond FAPI-BR), `_request_object` (JAR checks),
`_authorize` (PAR, authorization endpoint, consent page), `_token_endpoint` (grants),
`_consents`/`_consent_api` (consents v3), `_accounts`, `_credit_cards`, `_resources` (data APIs),
`_envelope` (what every API call shares). Adding an endpoint is one handler plus one
`router.add(...)` line in its module's `register`.
"""

from __future__ import annotations

from .._context import SandboxContext
from .._server import Reply, Request, Router
from . import _accounts, _authorize, _consent_api, _credit_cards, _resources, _token_endpoint
from ._endpoints import DATA_SCOPES, SCOPES, Endpoints
from ._envelope import render_fault
from ._provider import Provider

__all__ = ["DATA_SCOPES", "SCOPES", "Endpoints", "OpenFinance", "Provider"]


class OpenFinance:
    """The Open Finance family of one sandbox, registered on its two routers."""

    def __init__(self, context: SandboxContext, endpoints: Endpoints, *, consent_mode: str,
                 rotate_refresh_tokens: bool) -> None:  # fmt: skip
        self.provider = Provider(context, endpoints, consent_mode=consent_mode,
                                 rotate_refresh_tokens=rotate_refresh_tokens)  # fmt: skip

    def register(self, public: Router, mtls: Router) -> None:
        """Add every Open Finance endpoint to the public and mTLS routers."""
        _authorize.register(public, mtls, self.provider)
        _token_endpoint.register(mtls, self.provider)
        for module in (_consent_api, _accounts, _credit_cards, _resources):
            module.register(mtls, self.provider)

    @staticmethod
    def render_fault(request: Request, reply: Reply) -> Reply:
        """Injected faults on Open Finance paths, in the OFB envelope."""
        return render_fault(request, reply)
