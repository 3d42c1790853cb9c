"""The JWKS cache policy and the discovery rules, checked against plain functions."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bradesco_explore.auth import JWKSCache
from bradesco_explore.auth._discovery import ServerMetadata, expected_issuers, validate_metadata
from bradesco_explore.errors import (
    ConfigurationError,
    ConnectionFailedError,
    ResponseValidationError,
)

from ._as import FakeClock


def jwk(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, kid: str | None, **extra: Any
) -> dict[str, Any]:
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        data = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
    else:
        data = jwt.algorithms.ECAlgorithm.to_jwk(public, as_dict=True)
    if kid:
        data["kid"] = kid
    return data | extra


class Publisher:
    """A JWKS endpoint the test controls: what it serves, whether it is up, how often asked."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys, self.up, self.fetches = keys, True, 0

    def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        if not self.up:
            raise ConnectionFailedError("JWKS endpoint down")
        return {"keys": list(self.keys)}


@pytest.fixture(scope="module")
def keys() -> list[rsa.RSAPrivateKey]:
    return [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]


def header(kid: str | None, alg: str = "PS256") -> dict[str, Any]:
    return {"alg": alg, "kid": kid} if kid else {"alg": alg}


def test_cached_for_max_age_then_refetched(keys: list[rsa.RSAPrivateKey]) -> None:
    clock, publisher = FakeClock(now=0), Publisher([jwk(keys[0], "k1")])
    cache = JWKSCache(publisher, clock=clock)
    cache.key_for(header("k1"), what="id_token")
    clock.advance(299)
    cache.key_for(header("k1"), what="id_token")
    assert publisher.fetches == 1
    clock.advance(1)
    cache.key_for(header("k1"), what="id_token")
    assert publisher.fetches == 2


def test_a_key_rotated_seconds_after_the_first_fetch_is_found(
    keys: list[rsa.RSAPrivateKey],
) -> None:
    clock, publisher = FakeClock(now=0), Publisher([jwk(keys[0], "k1")])
    cache = JWKSCache(publisher, clock=clock)
    cache.key_for(header("k1"), what="id_token")
    publisher.keys = [jwk(keys[1], "k2")]
    clock.advance(5)
    assert cache.key_for(header("k2"), what="id_token") is not None
    assert publisher.fetches == 2


def test_unknown_kid_refetches_at_most_once_a_minute(keys: list[rsa.RSAPrivateKey]) -> None:
    clock, publisher = FakeClock(now=0), Publisher([jwk(keys[0], "k1")])
    cache = JWKSCache(publisher, clock=clock)
    cache.key_for(header("k1"), what="id_token")
    for kid in ("made-up-1", "made-up-2", "made-up-3"):
        with pytest.raises(ResponseValidationError) as info:
            cache.key_for(header(kid), what="id_token")
        assert info.value.check == "jwks.kid"
    assert publisher.fetches == 2, "one refetch for the first unknown kid, none for the flood"
    clock.advance(60)
    publisher.keys.append(jwk(keys[2], "made-up-4"))
    cache.key_for(header("made-up-4"), what="id_token")
    assert publisher.fetches == 3


def test_the_last_good_set_serves_when_a_refetch_fails(
    keys: list[rsa.RSAPrivateKey], caplog: pytest.LogCaptureFixture
) -> None:
    clock, publisher = FakeClock(now=0), Publisher([jwk(keys[0], "k1")])
    cache = JWKSCache(publisher, clock=clock)
    cache.key_for(header("k1"), what="id_token")
    publisher.up = False
    clock.advance(3600)
    assert cache.key_for(header("k1"), what="id_token") is not None
    assert "serving the last good set" in caplog.text


def test_the_first_fetch_failing_is_an_error(keys: list[rsa.RSAPrivateKey]) -> None:
    publisher = Publisher([])
    publisher.up = False
    with pytest.raises(ConnectionFailedError):
        JWKSCache(publisher).key_for(header("k1"), what="id_token")


def test_kidless_selection_narrows_by_type_use_ops_and_alg(keys: list[rsa.RSAPrivateKey]) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    published = [
        jwk(keys[0], None),
        jwk(keys[1], None, use="enc"),
        jwk(keys[2], None, key_ops=["encrypt"]),
        jwk(ec_key, None),
        jwk(keys[2], None, alg="RS256"),
    ]
    cache = JWKSCache(Publisher(published))
    assert (
        cache.key_for(header(None), what="id_token").public_numbers()
        == keys[0].public_key().public_numbers()
    )  # type: ignore[union-attr]
    assert cache.key_for(header(None, "ES256"), what="id_token") is not None


def test_several_kidless_candidates_are_an_error(keys: list[rsa.RSAPrivateKey]) -> None:
    cache = JWKSCache(Publisher([jwk(keys[0], "a"), jwk(keys[1], "b")]))
    with pytest.raises(ResponseValidationError) as info:
        cache.key_for(header(None), what="id_token")
    assert info.value.check == "jwks.ambiguous"


@pytest.mark.parametrize(
    ("extra", "alg", "reason"),
    [
        ({"key_ops": ["sign"]}, "PS256", "key_ops ['sign']"),
        ({"use": "enc"}, "PS256", "use 'enc'"),
        ({"alg": "RS256"}, "PS256", "alg 'RS256'"),
        ({}, "ES256", "RSA key, and ES256 needs EC"),
    ],
)
def test_a_published_kid_that_may_not_verify_says_why(
    keys: list[rsa.RSAPrivateKey], extra: dict[str, Any], alg: str, reason: str
) -> None:
    # node-oidc-provider republishes whatever key_ops the operator's private JWK carried;
    # PyJWT's private JWKs say ["sign"]. Refusing is right (oauth4webapi does too); saying
    # "no such key" was not.
    cache = JWKSCache(Publisher([jwk(keys[0], "op-1", **extra)]))
    with pytest.raises(ResponseValidationError, match="publishes that key") as refused:
        cache.key_for(header("op-1", alg), what="id_token")
    assert reason in str(refused.value)
    assert refused.value.check == "jwks.kid"


def test_private_and_malformed_entries_are_skipped_and_a_non_set_refused(
    keys: list[rsa.RSAPrivateKey],
) -> None:
    private = jwt.algorithms.RSAAlgorithm.to_jwk(keys[0], as_dict=True) | {"kid": "leaked"}
    cache = JWKSCache(
        Publisher(
            [private, {"kty": "RSA", "kid": "broken"}, {"kty": "oct", "k": "AAAA", "kid": "hmac"}]
        )
    )
    for kid in ("leaked", "broken", "hmac"):
        with pytest.raises(ResponseValidationError):
            cache.key_for(header(kid), what="id_token")
    with pytest.raises(ResponseValidationError) as info:
        JWKSCache(lambda: ["not", "a", "set"]).key_for(header("x"), what="id_token")
    assert info.value.check == "jwks.format"


# -- discovery -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "issuers"),
    [
        (
            "https://as.example/.well-known/openid-configuration",
            ("https://as.example", "https://as.example/"),
        ),
        (
            "https://as.example/tenant/a/.well-known/openid-configuration",
            ("https://as.example/tenant/a", "https://as.example/tenant/a/"),
        ),
        (
            "https://as.example/.well-known/oauth-authorization-server/tenant",
            ("https://as.example/tenant",),
        ),
    ],
)
def test_the_expected_issuer_comes_from_the_discovery_url(
    url: str, issuers: tuple[str, ...]
) -> None:
    assert expected_issuers(url) == issuers


def test_a_non_standard_discovery_url_needs_an_explicit_issuer() -> None:
    with pytest.raises(ConfigurationError, match=r"issuer=\.\.\."):
        expected_issuers("https://as.example/config.json")
    found = validate_metadata({"issuer": "https://as.example", "token_endpoint": "https://as.example/t"},
                              discovery_url="https://as.example/config.json", issuer="https://as.example")  # fmt: skip
    assert found.issuer == "https://as.example"


def test_metadata_reads_like_the_document_and_prefers_mtls_aliases() -> None:
    metadata = ServerMetadata(
        issuer="https://as.example",
        document={
            "token_endpoint": "https://as.example/t",
            "mtls_endpoint_aliases": {"token_endpoint": "https://mtls.as.example/t"},
        },
    )
    assert metadata["token_endpoint"] == "https://as.example/t" and "token_endpoint" in metadata
    assert metadata.endpoint("token_endpoint", mtls=True) == "https://mtls.as.example/t"
    assert metadata.endpoint("token_endpoint", mtls=False) == "https://as.example/t"
    with pytest.raises(ConfigurationError, match="pushed_authorization_request_endpoint"):
        metadata.require("pushed_authorization_request_endpoint", mtls=True)


def test_a_discovery_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ResponseValidationError) as info:
        validate_metadata(
            ["x"], discovery_url="https://as.example/.well-known/openid-configuration"
        )
    assert info.value.check == "discovery.format"


@pytest.mark.parametrize(
    "algorithms", [("RS256",), ("PS256", "none"), ("HS256",), ("PS256", "RS256")]
)
def test_the_verification_allowlist_cannot_be_widened(
    make_client: Any, algorithms: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigurationError):
        make_client(algorithms=algorithms)
