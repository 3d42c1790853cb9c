"""A FAPI 1.0 Advanced server nobody in this project wrote: panva's node-oidc-provider.

oidc-provider is the OpenID-certified server behind many FAPI deployments. Its own FAPI 1.0
Final profile decides what it accepts (signed request objects with `exp`/`nbf`/`aud`, PKCE with
PAR, `s_hash`, certificate-bound tokens, one-time codes, rotating refresh tokens), so these
tests check our client against the spec as another team reads it, not against our sandbox's
reading. The server runs under Node.js (`oidc_provider/server.mjs`, installed by `make
interop-deps`, which `make test` runs) on two loopback HTTPS ports: the issuer's, and an mTLS
host advertised in `mtls_endpoint_aliases`.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.auth import Client, Environment
from bradesco_explore.identity import CertificateAuthority, Identity, self_signed_identity

NODE_DIR = Path(__file__).parent / "oidc_provider"
REDIRECT = "https://app.example/cb"
ACCOUNT = "customer-76109277673"
FAPI_CLIENT = "fapi-private-key-jwt"
MTLS_CLIENT = "fapi-tls-client-auth"


@dataclass
class Keys:
    """The keys and certificates of the interop world (made fresh for each test module)."""

    client_signing: rsa.RSAPrivateKey
    provider_signing: rsa.RSAPrivateKey
    self_signed: Identity
    thief: Identity


@dataclass
class OidcProvider:
    """A running oidc-provider: its issuer, its mTLS host and how to reach it."""

    issuer: str
    mtls: str
    ca_bundle: Path
    process: subprocess.Popen[str]
    stderr: list[str]

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    def browse(self, url: str) -> str:
        """Be the user's browser: follow the consent redirects, return the redirect URL.

        A plain `requests` session with cookies (the provider keeps its interaction in
        one) and no client certificate, as a browser has; the redirect URI is not fetched.
        """
        browser = requests.Session()
        for _ in range(12):
            answer = browser.get(url, allow_redirects=False, verify=str(self.ca_bundle), timeout=10)
            location = answer.headers.get("Location")
            assert answer.status_code in (302, 303) and location, (answer.status_code, answer.text)
            url = urljoin(url, location)
            if url.startswith(REDIRECT):
                return url
        raise AssertionError(f"no redirect to {REDIRECT} after 12 hops")


def public_jwk(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return jwk | {"kid": kid, "use": "sig", "alg": "PS256"} | extra


def private_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True)
    # PyJWT marks a private JWK key_ops ["sign"]; oidc-provider would publish that with the
    # public key, and a verifier must then refuse it (RFC 7517 4.3). Operators' keys have none.
    jwk.pop("key_ops", None)
    return jwk | {"kid": kid, "use": "sig", "alg": "PS256"}


def _pem(identity: Identity) -> tuple[str, str]:
    key = identity._private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return identity.certificate_pem.decode(), key.decode()


def _clients(keys: Keys, client_identity: Identity) -> list[dict[str, Any]]:
    client_jwks = {"keys": [public_jwk(keys.client_signing, "client-1")]}
    fapi = {
        "redirect_uris": [REDIRECT],
        "response_types": ["code id_token", "code"],
        "grant_types": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
        "scope": "openid offline_access accounts",
        "jwks": client_jwks,
        "tls_client_certificate_bound_access_tokens": True,
        "id_token_signed_response_alg": "PS256",
        "request_object_signing_alg": "PS256",
        "authorization_signed_response_alg": "PS256",
    }
    service = {"redirect_uris": [], "response_types": [], "grant_types": ["client_credentials"],
               "scope": "accounts", "tls_client_certificate_bound_access_tokens": True,
               "id_token_signed_response_alg": "PS256", "authorization_signed_response_alg": "PS256"}  # fmt: skip
    der = keys.self_signed.certificate_der
    self_signed_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(
        keys.self_signed._private_key().public_key(), as_dict=True
    ) | {"x5c": [base64.b64encode(der).decode()]}
    return [
        fapi | {"client_id": FAPI_CLIENT, "token_endpoint_auth_method": "private_key_jwt",
                "token_endpoint_auth_signing_alg": "PS256"},
        fapi | {"client_id": MTLS_CLIENT, "token_endpoint_auth_method": "tls_client_auth",
                "tls_client_auth_subject_dn": client_identity.subject},
        service | {"client_id": "service-basic", "client_secret": "basic secret/with:odd+chars",
                   "token_endpoint_auth_method": "client_secret_basic"},
        service | {"client_id": "service-post", "client_secret": "post-secret-value-123",
                   "token_endpoint_auth_method": "client_secret_post"},
        service | {"client_id": "service-self-signed", "jwks": {"keys": [self_signed_jwk]},
                   "token_endpoint_auth_method": "self_signed_tls_client_auth"},
    ]  # fmt: skip


def _require_node() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail(
            "The interop tests need Node.js 20+ and oidc-provider installed: run "
            "`make interop-deps` (npm ci in tests/interop/oidc_provider)."
        )
    return node


@pytest.fixture(scope="module")
def keys() -> Keys:
    new = lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)  # noqa: E731
    return Keys(new(), new(), self_signed_identity("interop-self-signed"), _thief())


def _thief() -> Identity:
    return CertificateAuthority("thief's CA").issue_client("thief")


ProviderFactory = Callable[..., OidcProvider]


@pytest.fixture(scope="module")
def start_provider(
    ca: CertificateAuthority,
    ca_bundle: Path,
    client_identity: Identity,
    keys: Keys,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ProviderFactory]:
    """Start oidc-provider processes (stopped when the module ends)."""
    node = _require_node()
    started: list[OidcProvider] = []

    def start(*, access_token_ttl: int = 300, clock_tolerance: int = 15) -> OidcProvider:
        folder = tmp_path_factory.mktemp("oidc-provider")
        server_cert, server_key = _pem(ca.issue_server())
        config = {
            "server_cert": server_cert,
            "server_key": server_key,
            "client_ca": ca.certificate_pem.decode(),
            "jwks": {"keys": [private_jwk(keys.provider_signing, "op-1")]},
            "clients": _clients(keys, client_identity),
            "cookie_key": secrets.token_urlsafe(32),
            "account": ACCOUNT,
            "access_token_ttl": access_token_ttl,
            "clock_tolerance": clock_tolerance,
        }
        provider = _launch(node, folder / "config.json", config, ca_bundle)
        started.append(provider)
        return provider

    yield start
    for provider in started:
        provider.process.terminate()
        provider.process.wait(timeout=10)


def _launch(node: str, path: Path, config: dict[str, Any], ca_bundle: Path) -> OidcProvider:
    path.touch(mode=0o600)
    path.write_text(json.dumps(config))
    process = subprocess.Popen(
        [node, str(NODE_DIR / "server.mjs"), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"NODE_ENV": "production"},
    )
    assert process.stdout is not None and process.stderr is not None
    stderr: list[str] = []
    threading.Thread(target=lambda: stderr.extend(process.stderr or []), daemon=True).start()
    line = process.stdout.readline()
    path.unlink()  # the provider has read its keys
    if not line:
        process.wait(timeout=10)
        pytest.fail("oidc-provider did not start:\n" + "".join(stderr))
    ready = json.loads(line)
    return OidcProvider(ready["issuer"], ready["mtls"], ca_bundle, process, stderr)


@pytest.fixture(scope="module")
def oidc_provider(start_provider: ProviderFactory) -> OidcProvider:
    """One provider for the module, with 5-minute access tokens."""
    return start_provider()


@pytest.fixture
def make_client(
    oidc_provider: OidcProvider, client_identity: Identity, keys: Keys
) -> Iterator[Callable[..., Client]]:
    """A client configured for oidc-provider by configuration alone (closed at teardown).

    `provider=` picks another running provider than the module's.
    """
    made: list[Client] = []

    def build(*, provider: OidcProvider = oidc_provider, **overrides: Any) -> Client:
        env = Environment.discover(provider.discovery_url, ca_bundle=provider.ca_bundle)
        options: dict[str, Any] = {
            "identity": client_identity,
            "client_id": FAPI_CLIENT,
            "auth": "private_key_jwt",
            "signing_key": keys.client_signing,
            "signing_kid": "client-1",
            "redirect_uri": REDIRECT,
        } | overrides
        client = Client(env, **options)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()
