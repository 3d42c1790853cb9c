"""Where the authorization server and the Open Finance APIs live, and the discovery document.

Public port (client certificate optional): discovery, JWKS, the authorization endpoint, the
consent page and `/callback`. The advertised `token_endpoint`,
`pushed_authorization_request_endpoint` and `userinfo_endpoint` are on the public port too,
where they refuse every call with 401 `invalid_client` ("use mtls_endpoint_aliases"): the real
ones are the mTLS aliases, as RFC 8705 section 5 describes. Resource APIs are on the mTLS port.

`token_endpoint_auth_methods_supported` lists `private_key_jwt` (the one FAPI-BR allows) and
`tls_client_auth`, a FAPI 1.0 Advanced option offered beyond FAPI-BR (see `_client_auth`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROOT = "/open-banking"
AUTH = f"{ROOT}/auth"
DISCOVERY_PATH = f"{ROOT}/.well-known/openid-configuration"
CALLBACK_PATH = "/callback"
ACR_LOA2 = "urn:brasil:openbanking:loa2"
ACR_LOA3 = "urn:brasil:openbanking:loa3"
DATA_SCOPES = ("accounts", "credit-cards-accounts", "resources")
SCOPES = ("openid", "consents", *DATA_SCOPES)


@dataclass(frozen=True)
class Endpoints:
    """The absolute URLs of one sandbox's Open Finance server."""

    public: str  # https://127.0.0.1:<public port>
    mtls: str  # https://127.0.0.1:<mTLS port>

    @property
    def issuer(self) -> str:
        """The issuer: exactly this string in discovery, ID tokens and JARM responses."""
        return self.public + ROOT

    @property
    def discovery(self) -> str:
        """The `.well-known/openid-configuration` URL."""
        return self.public + DISCOVERY_PATH

    @property
    def api_base(self) -> str:
        """Base of the resource APIs: paths start with `/open-banking/` as the OFB specs write them."""
        return self.mtls

    @property
    def redirect_uri(self) -> str:
        """The registered redirect URI: the sandbox's own `/callback` page."""
        return self.public + CALLBACK_PATH

    def auth(self, name: str, *, mtls: bool = False) -> str:
        """An authorization server endpoint (`authorize`, `par`, `token`, `jwks`, ...)."""
        return f"{self.mtls if mtls else self.public}{AUTH}/{name}"

    def token_audiences(self) -> set[str]:
        """What a `private_key_jwt` assertion may name as `aud`."""
        names = ("token", "par")
        return (
            {self.issuer} | {self.auth(n) for n in names} | {self.auth(n, mtls=True) for n in names}
        )


def discovery_document(endpoints: Endpoints) -> dict[str, Any]:
    """The OpenID Provider metadata (FAPI 1.0 Advanced, Open Finance Brasil flavour)."""
    mtls = {name: endpoints.auth(path, mtls=True) for name, path in (
        ("token_endpoint", "token"), ("pushed_authorization_request_endpoint", "par"),
        ("userinfo_endpoint", "userinfo"))}  # fmt: skip
    return {
        "issuer": endpoints.issuer,
        "authorization_endpoint": endpoints.auth("authorize"),
        "token_endpoint": endpoints.auth("token"),
        "pushed_authorization_request_endpoint": endpoints.auth("par"),
        "userinfo_endpoint": endpoints.auth("userinfo"),
        "jwks_uri": endpoints.auth("jwks"),
        "mtls_endpoint_aliases": mtls,
        "require_pushed_authorization_requests": True,
        "request_parameter_supported": True,
        "request_uri_parameter_supported": True,
        "request_object_signing_alg_values_supported": ["PS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "tls_client_auth"],
        "token_endpoint_auth_signing_alg_values_supported": ["PS256"],
        "response_types_supported": ["code id_token", "code"],
        "response_modes_supported": ["fragment", "query", "jwt"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "scopes_supported": list(SCOPES),
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "acr", "auth_time", "nonce", "c_hash", "s_hash"],
        "claims_parameter_supported": False,
        "id_token_signing_alg_values_supported": ["PS256"],
        "authorization_signing_alg_values_supported": ["PS256"],
        "acr_values_supported": [ACR_LOA2, ACR_LOA3],
        "code_challenge_methods_supported": ["S256"],
        "tls_client_certificate_bound_access_tokens": True,
        "authorization_response_iss_parameter_supported": True,
    }
