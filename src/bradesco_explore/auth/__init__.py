"""Layer 3, auth: environments, credentials, and the OAuth 2.0 / FAPI client.

- `Client`: every grant (client credentials with each client-auth method, Bradesco's JWT
  bearer with X-Brad signing, authorization code with PAR + JAR + PKCE, refresh) over mTLS;
- `Token` / `TokenCache`: tokens that never show their value, refreshed single-flight;
- `PendingAuthorization`: an authorization in progress, serialisable across kernel restarts;
- `Environment` / `Family` / `Credentials`: configuration, never code;
- `ServerMetadata`, `JWKSCache`: discovery and the server's keys, checked before use;
- `register_client` / `Registration`: dynamic client registration (RFC 7591) and its
  management (RFC 7592), the registration access token kept current in a 0600 file.
"""

from ._client import Client
from ._credentials import Credentials, load_signing_key
from ._discovery import ServerMetadata
from ._environment import AUTH_METHODS, GRANTS, Environment, Family
from ._jose import public_jwk
from ._jwks import JWKSCache
from ._pending import PendingAuthorization
from ._registration import Registration, register_client
from ._tokens import Token, TokenCache

__all__ = [
    "AUTH_METHODS",
    "GRANTS",
    "Client",
    "Credentials",
    "Environment",
    "Family",
    "JWKSCache",
    "PendingAuthorization",
    "Registration",
    "ServerMetadata",
    "Token",
    "TokenCache",
    "load_signing_key",
    "public_jwk",
    "register_client",
]
