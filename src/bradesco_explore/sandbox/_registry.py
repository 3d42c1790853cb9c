"""Client registrations: who may call, with which certificates, secret and signing keys.

One registration serves every family, as one credential per product would at the bank: the
`client_id` and secret (Portal, Pix), the registered certificates (mTLS on every call; the
legacy assertion and X-Brad signatures are verified with their keys) and the public signing
keys with their `kid` (Open Finance `private_key_jwt` and request objects).
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ..identity import certificate_thumbprint
from ._refusal import Refusal
from ._server import Request


@dataclass
class Client:
    """One registered client."""

    client_id: str
    secret: str
    signing_keys: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    certificates: dict[str, x509.Certificate] = field(default_factory=dict)  # by x5t#S256
    redirect_uris: list[str] = field(default_factory=list)

    def certificate_keys(self) -> list[rsa.RSAPublicKey]:
        """The RSA public keys of the registered certificates (legacy signatures)."""
        keys = [c.public_key() for c in self.certificates.values()]
        return [k for k in keys if isinstance(k, rsa.RSAPublicKey)]


def invalid_client(detail: str, status: int = 401) -> Refusal:
    """The OAuth `invalid_client` refusal (401)."""
    return Refusal(status, "invalid_client", detail)


class ClientRegistry:
    """The sandbox's registered clients, safe to use from many threads."""

    def __init__(self) -> None:
        self._clients: dict[str, Client] = {}
        self._lock = threading.Lock()

    def add(self, client: Client) -> None:
        """Register a client."""
        with self._lock:
            self._clients[client.client_id] = client

    def get(self, client_id: str | None) -> Client | None:
        """The client with this id, if registered."""
        with self._lock:
            return self._clients.get(client_id or "")

    def register_certificate(self, client_id: str, certificate: x509.Certificate) -> str:
        """Register another certificate for `client_id`; returns its `x5t#S256`."""
        thumbprint = certificate_thumbprint(certificate)
        with self._lock:
            self._clients[client_id].certificates[thumbprint] = certificate
        return thumbprint

    def require(self, client_id: str | None) -> Client:
        """The client, or `invalid_client` naming the unknown id."""
        client = self.get(client_id)
        if client is None:
            shown = (client_id or "")[:40] or "(none)"
            raise invalid_client(f"client_id '{shown}' is not registered with this sandbox.")
        return client

    def require_secret(self, client_id: str | None, secret: str | None) -> Client:
        """The client whose secret matches (constant-time), or `invalid_client`."""
        client = self.require(client_id)
        if not secret:
            raise invalid_client(
                "client authentication failed: no client secret was sent (send it in the form as "
                "client_secret, or with HTTP Basic authentication)."
            )
        if not hmac.compare_digest(client.secret.encode(), secret.encode()):
            raise invalid_client("client authentication failed: wrong client secret.")
        return client


def require_registered_certificate(client: Client, request: Request) -> str:
    """The presented certificate's `x5t#S256` if it is registered for `client`, else 401."""
    thumbprint = request.cert_thumbprint
    if thumbprint is None:
        raise invalid_client(
            "no TLS client certificate was presented: this endpoint requires mutual TLS."
        )
    if thumbprint not in client.certificates:
        raise invalid_client(
            f"the TLS client certificate (x5t#S256 {thumbprint}) is not registered for client "
            f"'{client.client_id}'; present the registered certificate."
        )
    return thumbprint
