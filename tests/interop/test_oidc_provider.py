"""Our client against panva's node-oidc-provider (see conftest.py): every flow, end to end.

The client gets nothing but configuration: the discovery URL, the CA bundle, a client id, an
auth method, keys and a redirect URI. Whatever oidc-provider's FAPI 1.0 Final profile refuses
fails these tests, so they show the client follows the specs, not just our sandbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from bradesco_explore.auth import Client, Environment
from bradesco_explore.errors import OAuthError, ResponseValidationError
from bradesco_explore.identity import Identity
from bradesco_explore.transport import Session

from .conftest import ACCOUNT, FAPI_CLIENT, MTLS_CLIENT, Keys, OidcProvider, ProviderFactory

MakeClient = Callable[..., Client]


def test_discovery_takes_the_exact_issuer_and_the_mtls_aliases(
    oidc_provider: OidcProvider, make_client: MakeClient
) -> None:
    client = make_client()
    metadata = client.metadata()
    assert metadata.issuer == oidc_provider.issuer
    assert client._token_url() == oidc_provider.mtls + "/token"
    wrong = oidc_provider.issuer + "/"
    with pytest.raises(ResponseValidationError, match="issuer mismatch"):
        Environment.discover(
            oidc_provider.discovery_url, ca_bundle=oidc_provider.ca_bundle, issuer=wrong
        )


@pytest.mark.parametrize(
    ("client_id", "auth", "identity_kind"),
    [
        ("service-basic", "client_secret_basic", "ca"),
        ("service-post", "client_secret_post", "ca"),
        (FAPI_CLIENT, "private_key_jwt", "ca"),
        (MTLS_CLIENT, "tls_client_auth", "ca"),
        ("service-self-signed", "self_signed_tls_client_auth", "self-signed"),
    ],
)
def test_client_credentials_with_every_client_auth_method(
    make_client: MakeClient,
    keys: Keys,
    client_identity: Identity,
    client_id: str,
    auth: str,
    identity_kind: str,
) -> None:
    secrets = {
        "service-basic": "basic secret/with:odd+chars",
        "service-post": "post-secret-value-123",
    }
    identity = keys.self_signed if identity_kind == "self-signed" else client_identity
    client = make_client(
        client_id=client_id, auth=auth, identity=identity, client_secret=secrets.get(client_id)
    )
    token = client.token(scopes=["accounts"], grant="client_credentials")
    again = client.token(scopes=["accounts"], grant="client_credentials")
    assert again is token or again.access_token.reveal() == token.access_token.reveal()
    assert client.stats["token_requests"] == 1
    assert token.token_type.lower() == "bearer"
    assert token.scope == ("accounts",)
    assert token.expires_at is not None


def _introspect(provider: OidcProvider, client_identity: Identity, token: str) -> dict:
    with Session(client_identity, ca_bundle=provider.ca_bundle) as session:
        answer = session.request(
            "POST",
            provider.mtls + "/token/introspection",
            data={"token": token, "client_id": MTLS_CLIENT},
        )
        return answer.raise_for_status().json()


def test_a_client_credentials_token_is_bound_to_the_certificate(
    oidc_provider: OidcProvider, make_client: MakeClient, client_identity: Identity
) -> None:
    client = make_client(client_id=MTLS_CLIENT, auth="tls_client_auth")
    token = client.token(scopes=["accounts"], grant="client_credentials")
    facts = _introspect(oidc_provider, client_identity, token.access_token.reveal())
    assert facts["active"] is True
    assert facts["cnf"] == {"x5t#S256": client_identity.x5t_s256}


@pytest.mark.parametrize(
    ("client_id", "auth", "response_mode"),
    [
        (FAPI_CLIENT, "private_key_jwt", None),
        (FAPI_CLIENT, "private_key_jwt", "jwt"),
        (MTLS_CLIENT, "tls_client_auth", None),
        (MTLS_CLIENT, "tls_client_auth", "jwt"),
    ],
)
def test_authorization_code_with_par_jar_and_pkce_then_userinfo(
    oidc_provider: OidcProvider,
    make_client: MakeClient,
    client_id: str,
    auth: str,
    response_mode: str | None,
) -> None:
    client = make_client(client_id=client_id, auth=auth)
    pending = client.authorize(scopes=["openid", "accounts"], response_mode=response_mode)
    query = dict(parse_qsl(urlsplit(pending.url).query))
    assert set(query) == {"client_id", "request_uri"}  # PAR: only these go through the browser
    redirect_url = oidc_provider.browse(pending.url)
    assert ("response=" in redirect_url) == (response_mode == "jwt")
    assert "iss=" not in redirect_url  # RFC 9207: oidc-provider leaves it to the signed response
    token = client.finish(pending, redirect_url)
    assert token.id_token_claims is not None and token.id_token_claims["sub"] == ACCOUNT
    assert token.refresh_token is not None
    userinfo = client.get(oidc_provider.mtls + "/me", token=token).json()
    assert userinfo["sub"] == ACCOUNT
    assert client.stats["token_requests"] == 1


def _signed_in(provider: OidcProvider, client: Client) -> Client:
    pending = client.authorize(scopes=["openid", "offline_access", "accounts"])
    client.finish(pending, provider.browse(pending.url))
    return client


def test_rotated_refresh_tokens_are_kept(
    oidc_provider: OidcProvider, make_client: MakeClient
) -> None:
    client = _signed_in(oidc_provider, make_client())
    first = client.token()
    second = client.token(force=True)
    third = client.token(force=True)  # a reused (rotated-out) refresh token would revoke the grant
    refresh_tokens = {t.refresh_token.reveal() for t in (first, second, third) if t.refresh_token}
    assert len(refresh_tokens) == 3
    assert client.stats["refreshes"] == 2
    assert client.get(oidc_provider.mtls + "/me").json()["sub"] == ACCOUNT


def test_an_access_token_expired_at_the_server_is_renewed_on_401_invalid_token(
    start_provider: ProviderFactory, make_client: MakeClient
) -> None:
    provider = start_provider(access_token_ttl=2, clock_tolerance=0)
    frozen = time.time()  # the client believes its token is fresh; the server knows better
    client = _signed_in(provider, make_client(provider=provider, clock=lambda: frozen))
    stale = client.token()
    time.sleep(3)
    assert client.get(provider.mtls + "/me").json()["sub"] == ACCOUNT
    assert client.stats["reactive_refreshes"] == 1
    assert client.token().access_token.reveal() != stale.access_token.reveal()


def test_revoking_the_access_token_ends_the_grant_and_the_client_says_so(
    oidc_provider: OidcProvider, make_client: MakeClient, client_identity: Identity
) -> None:
    # oidc-provider revokes every token of the grant with the access token (its
    # revokeGrantPolicy), so the refresh after the 401 fails: the user must consent again.
    client = _signed_in(oidc_provider, make_client(client_id=MTLS_CLIENT, auth="tls_client_auth"))
    revoked = client.token()
    with Session(client_identity, ca_bundle=oidc_provider.ca_bundle) as session:
        form = {"token": revoked.access_token.reveal(), "token_type_hint": "access_token",
                "client_id": MTLS_CLIENT}  # fmt: skip
        session.request("POST", oidc_provider.mtls + "/token/revocation", data=form)
    with pytest.raises(OAuthError, match="authorise again") as refused:
        client.get(oidc_provider.mtls + "/me")
    assert refused.value.error == "invalid_grant"
    assert client.stats["reactive_refreshes"] == 1


def test_a_stolen_token_fails_from_another_certificate(
    oidc_provider: OidcProvider, make_client: MakeClient, keys: Keys
) -> None:
    client = _signed_in(oidc_provider, make_client())
    token = client.token()
    with Session(keys.thief, ca_bundle=oidc_provider.ca_bundle) as thief:
        answer = thief.request(
            "GET", oidc_provider.mtls + "/me", headers={"Authorization": token.authorization()}
        )
    assert answer.status_code == 401
    assert "invalid_token" in answer.headers.get("WWW-Authenticate", "")


def test_a_tampered_redirect_is_refused_before_the_code_is_redeemed(
    oidc_provider: OidcProvider, make_client: MakeClient
) -> None:
    client = make_client()
    pending = client.authorize(scopes=["openid", "accounts"])
    redirect_url = oidc_provider.browse(pending.url)
    fragment = dict(parse_qsl(urlsplit(redirect_url).fragment))
    forged = redirect_url.split("#")[0] + "#" + urlencode(fragment | {"state": "attacker"})
    with pytest.raises(ResponseValidationError, match="state"):
        client.finish(pending, forged)
    mixed_up = redirect_url + "&" + urlencode({"iss": "https://evil.example"})
    with pytest.raises(ResponseValidationError, match="mix-up"):
        client.finish(pending, mixed_up)
    assert client.stats.get("token_requests", 0) == 0
    assert client.finish(pending, redirect_url).id_token_claims["sub"] == ACCOUNT
