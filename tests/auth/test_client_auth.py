"""Client authentication, each method checked by a server that verifies it; client credentials."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bradesco_explore.auth import Client, Credentials
from bradesco_explore.auth._client_auth import ClientAuthentication
from bradesco_explore.errors import (
    ConfigurationError,
    IdentityFormatError,
    OAuthError,
    ResponseValidationError,
)
from bradesco_explore.identity import Identity

from ._as import FapiServer
from .conftest import api_environment


def cc_client(
    fapi: FapiServer, ca_bundle: Path, identity: Identity | None, **options: object
) -> Client:
    method = str(options.pop("auth"))
    env = api_environment(fapi, ca_bundle, auth_method=method)
    return Client(env, identity=identity, auth=method, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "client_id", "options"),
    [
        ("client_secret_basic", "basic-client", {"client_secret": "basic secret/with:odd+chars"}),
        ("client_secret_post", "post-client", {"client_secret": "post-secret-value-123"}),
        ("private_key_jwt", "fapi-client", {}),
        ("tls_client_auth", "mtls-client", {}),
    ],
)
def test_every_method_is_accepted_by_a_server_that_checks_it(
    fapi: FapiServer,
    ca_bundle: Path,
    client_identity: Identity,
    client_key: rsa.RSAPrivateKey,
    method: str,
    client_id: str,
    options: dict[str, object],
) -> None:
    if method == "private_key_jwt":
        options = {"signing_key": client_key, "signing_kid": "client-1"}
    with cc_client(
        fapi, ca_bundle, client_identity, auth=method, client_id=client_id, **options
    ) as client:
        token = client.token(["cob.read"])
        assert token.scope == ("cob.read",)
        assert token.cnf == client_identity.x5t_s256
        assert client.get("/accounts").ok
    form = fapi.last_token_form or {}
    assert ("client_secret" in form) == (method == "client_secret_post")
    assert ("client_assertion" in form) == (method == "private_key_jwt")


def test_self_signed_tls_client_auth(
    fapi: FapiServer, ca_bundle: Path, self_signed: Identity
) -> None:
    with cc_client(
        fapi,
        ca_bundle,
        self_signed,
        auth="self_signed_tls_client_auth",
        client_id="selfsigned-client",
    ) as client:
        assert client.token(["cob.read"]).cnf == self_signed.x5t_s256
    assert (
        fapi.last_token_form is not None
        and fapi.last_token_form["client_id"] == "selfsigned-client"
    )


def test_a_wrong_secret_is_an_oauth_error_without_the_secret(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity
) -> None:
    secret = "definitely-wrong-secret-9876"
    with (
        cc_client(
            fapi,
            ca_bundle,
            client_identity,
            auth="client_secret_basic",
            client_id="basic-client",
            client_secret=secret,
        ) as client,
        pytest.raises(OAuthError) as info,
    ):
        client.token(["cob.read"])
    assert info.value.error == "invalid_client" and info.value.status == 401
    assert secret not in str(info.value) and "check client_id" in str(info.value)
    assert info.value.interaction_id


def test_a_certificate_the_client_is_not_registered_with_is_refused(
    fapi: FapiServer, ca_bundle: Path, self_signed: Identity
) -> None:
    with (
        cc_client(
            fapi, ca_bundle, self_signed, auth="tls_client_auth", client_id="mtls-client"
        ) as client,
        pytest.raises(OAuthError, match="invalid_client"),
    ):
        client.token(["cob.read"])


def test_private_key_jwt_assertion_claims(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity, client_key: rsa.RSAPrivateKey
) -> None:
    with cc_client(
        fapi,
        ca_bundle,
        client_identity,
        auth="private_key_jwt",
        client_id="fapi-client",
        signing_key=client_key,
        signing_kid="client-1",
    ) as client:
        client.token(["cob.read"])
    raw = (fapi.last_token_form or {})["client_assertion"]
    header, claims = jwt.get_unverified_header(raw), fapi.last_assertion or {}
    assert header["alg"] == "PS256" and header["kid"] == "client-1"
    assert claims["iss"] == claims["sub"] == "fapi-client"
    assert claims["aud"] == fapi.issuer
    assert 0 < claims["exp"] - claims["iat"] <= 60


@pytest.mark.parametrize(("strategy", "expected"), [("token_endpoint", "/token"), ("both", "both")])
def test_assertion_audience_is_configurable(
    fapi: FapiServer,
    ca_bundle: Path,
    client_identity: Identity,
    client_key: rsa.RSAPrivateKey,
    strategy: str,
    expected: str,
) -> None:
    with cc_client(
        fapi,
        ca_bundle,
        client_identity,
        auth="private_key_jwt",
        client_id="fapi-client",
        signing_key=client_key,
        assertion_audience=strategy,
    ) as client:
        client.token(["cob.read"])
    aud = (fapi.last_assertion or {})["aud"]
    if expected == "both":
        assert aud == [fapi.issuer, fapi.url + "/token"]
    else:
        assert aud == fapi.url + expected


def test_each_attempt_signs_a_fresh_assertion(client_key: rsa.RSAPrivateKey) -> None:
    auth = ClientAuthentication("private_key_jwt", Credentials("c1", signing_key=client_key))
    signer = auth.signer(
        {"grant_type": "client_credentials"},
        issuer="https://as.example",
        token_endpoint="https://as.example/token",
    )
    bodies = []
    for _ in range(2):
        prepared = requests.Request("POST", "https://as.example/token", data={}).prepare()
        signer(prepared)
        bodies.append(dict(pair.split("=", 1) for pair in str(prepared.body).split("&")))
    claims = [
        jwt.decode(b["client_assertion"], options={"verify_signature": False}) for b in bodies
    ]
    assert claims[0]["jti"] != claims[1]["jti"]
    assert bodies[0]["grant_type"] == "client_credentials"


def test_a_token_request_retried_after_503_succeeds_with_a_new_assertion(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity, client_key: rsa.RSAPrivateKey
) -> None:
    fapi.server.faults.only, fapi.server.faults.status_503, fapi.server.faults.retry_after = (
        "/token",
        1,
        0,
    )
    with cc_client(
        fapi,
        ca_bundle,
        client_identity,
        auth="private_key_jwt",
        client_id="fapi-client",
        signing_key=client_key,
    ) as client:
        assert client.token(["cob.read"]).access_token
        assert [e.status for e in client.log][-2:] == [503, 200]


def test_es256_signing_keys_sign_with_es256(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    fapi.clients["fapi-client"].public_key = key.public_key()
    with cc_client(
        fapi,
        ca_bundle,
        client_identity,
        auth="private_key_jwt",
        client_id="fapi-client",
        signing_key=key,
    ) as client:
        client.token(["cob.read"])
    assert (
        jwt.get_unverified_header((fapi.last_token_form or {})["client_assertion"])["alg"]
        == "ES256"
    )


@pytest.mark.parametrize(
    ("method", "options", "needs"),
    [
        ("client_secret_basic", {}, "client secret"),
        ("private_key_jwt", {}, "signing key"),
        ("tls_client_auth", {}, "identity"),
    ],
)
def test_missing_credentials_fail_at_construction(
    fapi: FapiServer, ca_bundle: Path, method: str, options: dict[str, object], needs: str
) -> None:
    with pytest.raises(ConfigurationError, match=needs):
        cc_client(fapi, ca_bundle, None, auth=method, client_id="x", **options)


def test_client_credentials_reuses_the_cached_token_and_sends_identical_parameters(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity
) -> None:
    with cc_client(
        fapi,
        ca_bundle,
        client_identity,
        auth="client_secret_post",
        client_id="post-client",
        client_secret="post-secret-value-123",
    ) as client:
        first = client.token(["cob.write", "cob.read"])
        assert client.token(["cob.read", "cob.write"]) is first
        form_before = dict(fapi.last_token_form or {})
        second = client.token(["cob.read", "cob.write"], force=True)
        assert not second.same_as(first)
        assert fapi.last_token_form == form_before
        assert client.stats["token_requests"] == 2


def test_a_token_endpoint_that_answers_garbage_is_refused(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity
) -> None:
    fapi.hooks.mutate_token_response = lambda body, grant: body.pop("access_token")  # type: ignore[func-returns-value]
    with (
        cc_client(
            fapi,
            ca_bundle,
            client_identity,
            auth="client_secret_post",
            client_id="post-client",
            client_secret="post-secret-value-123",
        ) as client,
        pytest.raises(ResponseValidationError, match="no access_token") as info,
    ):
        client.token(["cob.read"])
    assert getattr(info.value, "check", "") == "token_response.access_token"


def test_credentials_from_the_environment(
    fapi: FapiServer,
    ca_bundle: Path,
    client_identity: Identity,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRADESCO_CLIENT_ID", "post-client")
    monkeypatch.setenv("BRADESCO_CLIENT_SECRET", "post-secret-value-123")
    env = api_environment(fapi, ca_bundle, auth_method="client_secret_post")
    with Client(env, identity=client_identity) as client:
        assert client.token().scope == ("cob.read",)
        assert "post-secret-value-123" not in repr(client) + repr(client.credentials)


def test_a_signing_key_may_be_a_path_pem_text_or_bytes(
    client_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import serialization

    from bradesco_explore.auth._credentials import signing_key_from

    pem = client_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "signing.pem"
    path.write_bytes(pem)
    numbers = client_key.private_numbers()
    for source in (path, str(path), pem, pem.decode()):  # text: e.g. os.environ["SIGNING_KEY"]
        key = signing_key_from(source)  # what Client(signing_key=...) and from_env() use
        assert isinstance(key, rsa.RSAPrivateKey) and key.private_numbers() == numbers
    with pytest.raises(IdentityFormatError, match="truncated") as refused:
        signing_key_from(pem.decode()[:200])  # a truncated paste
    assert "PRIVATE KEY" not in str(refused.value) and pem.decode()[40:80] not in str(refused.value)
