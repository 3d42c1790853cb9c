"""Fixtures for the OAuth/FAPI client tests: a strict test authorization server and clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.auth import Client, Environment, Family
from bradesco_explore.identity import CertificateAuthority, Identity, self_signed_identity

from ._as import FapiServer, Registration, SigningKey, new_rsa, start_server

REDIRECT = "https://app.example/cb"


@pytest.fixture(scope="session")
def server_identity(ca: CertificateAuthority) -> Identity:
    return ca.issue_server()


@pytest.fixture(scope="session")
def as_key() -> rsa.RSAPrivateKey:
    """The test server's ID-token signing key (PS256, kid as-1)."""
    return new_rsa()


@pytest.fixture(scope="session")
def spare_keys() -> list[rsa.RSAPrivateKey]:
    """More RSA keys: rotation, an attacker's key, an RS256 'alternate' key."""
    return [new_rsa() for _ in range(3)]


@pytest.fixture(scope="session")
def client_key() -> rsa.RSAPrivateKey:
    """The client's signing key (private_key_jwt, request objects; also its decryption key)."""
    return new_rsa()


@pytest.fixture(scope="session")
def self_signed() -> Identity:
    return self_signed_identity("self-signed-client")


@pytest.fixture
def fapi(
    ca: CertificateAuthority,
    server_identity: Identity,
    as_key: rsa.RSAPrivateKey,
    client_key: rsa.RSAPrivateKey,
    client_identity: Identity,
    self_signed: Identity,
) -> Iterator[FapiServer]:
    """A running test AS with one client registered per authentication method."""
    server = start_server(
        ca, server_identity, [SigningKey("as-1", as_key)], extra_ca_pem=self_signed.certificate_pem
    )
    public = client_key.public_key()
    for registration in (
        Registration(
            "fapi-client", "private_key_jwt", public_key=public, redirect_uris=(REDIRECT,)
        ),
        Registration(
            "mtls-client",
            "tls_client_auth",
            public_key=public,
            subject=client_identity.subject,
            redirect_uris=(REDIRECT,),
        ),
        Registration("basic-client", "client_secret_basic", secret="basic secret/with:odd+chars"),
        Registration("post-client", "client_secret_post", secret="post-secret-value-123"),
        Registration(
            "selfsigned-client", "self_signed_tls_client_auth", thumbprint=self_signed.x5t_s256
        ),
        Registration(
            "legacy-client", "none", legacy_key=client_identity._private_key().public_key()
        ),
    ):
        server.register(registration)
    yield server
    server.stop()


@pytest.fixture
def fapi_env(fapi: FapiServer, ca_bundle: Path, client_identity: Identity) -> Environment:
    return Environment.discover(fapi.discovery_url, ca_bundle=ca_bundle, identity=client_identity)


@pytest.fixture
def make_client(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity, client_key: rsa.RSAPrivateKey
) -> Iterator[Callable[..., Client]]:
    """Build a FAPI client for the test server (closed at teardown)."""
    made: list[Client] = []

    def build(**overrides: Any) -> Client:
        env = overrides.pop("environment", None) or Environment.discover(
            fapi.discovery_url,
            ca_bundle=ca_bundle,
            identity=client_identity,
            fetch=overrides.pop("fetch", True),
        )
        options: dict[str, Any] = {
            "identity": client_identity,
            "client_id": "fapi-client",
            "auth": "private_key_jwt",
            "signing_key": client_key,
            "signing_kid": "client-1",
            "redirect_uri": REDIRECT,
        } | overrides
        client = Client(env, **options)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


def api_environment(
    server: FapiServer,
    ca_bundle: Path,
    *,
    auth_method: str = "client_secret_basic",
    grant: str = "client_credentials",
    scopes: tuple[str, ...] = ("cob.read",),
) -> Environment:
    """A non-discovery family (Pix / portal style) pointing at the test server."""
    family = Family(
        "api", server.url, token_url=server.url + "/token", grant=grant,  # type: ignore[arg-type]
        auth_method=auth_method, default_scopes=scopes, issuer=server.issuer,  # type: ignore[arg-type]
    )  # fmt: skip
    return Environment("test server", {"api": family}, ca_bundle=ca_bundle)
