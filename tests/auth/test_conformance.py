"""The FAPI 1.0 Advanced client test plan, against our strict test server.

Negative cases (plan items 1-18 and 37-43): the server returns one bad response; the client
must refuse it with a specific `ResponseValidationError.check` and never call the token or
resource endpoint afterwards. Positive controls (20-25, 27, 43): the client must not
over-reject what the specifications allow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.auth import Client, Environment
from bradesco_explore.errors import ConfigurationError, OAuthError, ResponseValidationError
from bradesco_explore.identity import Identity

from ._as import FapiServer, SigningKey
from ._tokens_forge import encrypted, tampered, unsigned

IdTokenHook = Callable[[dict[str, Any], dict[str, Any], str], "str | None"]
WEEK = 7 * 24 * 3600


def run_to_redirect(client: Client, **authorize: Any) -> tuple[Any, str]:
    pending = client.authorize(scopes=authorize.pop("scopes", ["openid", "accounts"]), **authorize)
    return pending, client.follow(pending)


def assert_stopped_before_token(fapi: FapiServer) -> None:
    assert fapi.calls("/token") == 0, "the code must not be redeemed after a bad response"
    assert fapi.calls("/accounts") == 0


def front(mutate: Callable[[dict[str, Any], dict[str, Any]], Any]) -> IdTokenHook:
    """A hook applying `mutate(claims, header)` to the authorization endpoint's ID token only."""

    def hook(claims: dict[str, Any], header: dict[str, Any], where: str) -> str | None:
        if where != "authorization":
            return None
        result = mutate(claims, header)
        return result if isinstance(result, str) else None

    return hook


def _drop(name: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def drop(claims: dict[str, Any], header: dict[str, Any]) -> None:
        claims.pop(name)

    return drop


def _set(
    name: str, value: Callable[[dict[str, Any]], Any]
) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    return lambda claims, header: claims.__setitem__(name, value(claims))


# (plan item, mutation of the front-channel ID token, expected check)
CLAIM_CASES = [
    ("1 invalid iss", _set("iss", lambda c: c["iss"] + "/evil"), "id_token.iss"),
    ("2 missing iss", _drop("iss"), "id_token.iss"),
    ("4 invalid aud", _set("aud", lambda c: "some-other-client"), "id_token.aud"),
    ("5 missing aud", _drop("aud"), "id_token.aud"),
    ("6 untrusted second aud", _set("aud", lambda c: [c["aud"], c["aud"] + "1"]), "id_token.aud"),
    ("7 expired exp (now - 6 min)", _set("exp", lambda c: int(time.time()) - 360), "id_token.exp"),
    ("8 missing exp", _drop("exp"), "id_token.exp"),
    ("9 iat a week in the past", _set("iat", lambda c: c["iat"] - WEEK), "id_token.iat"),
    ("10 invalid nonce", _set("nonce", lambda c: "not-the-nonce-we-sent"), "id_token.nonce"),
    ("11 missing nonce", _drop("nonce"), "id_token.nonce"),
    ("12 invalid s_hash", _set("s_hash", lambda c: "AAAAAAAAAAAAAAAAAAAAAA"), "id_token.s_hash"),
    ("13 missing s_hash", _drop("s_hash"), "id_token.s_hash"),
    ("14 invalid c_hash", _set("c_hash", lambda c: "AAAAAAAAAAAAAAAAAAAAAA"), "id_token.c_hash"),
    ("40 missing sub", _drop("sub"), "id_token.sub"),
    ("40 missing iat", _drop("iat"), "id_token.iat"),
    ("iat in the future", _set("iat", lambda c: c["iat"] + 3600), "id_token.iat"),
    ("azp of another client", _set("azp", lambda c: "someone-else"), "id_token.azp"),
]


@pytest.mark.parametrize(("item", "mutate", "check"), CLAIM_CASES, ids=[c[0] for c in CLAIM_CASES])
def test_bad_id_token_claims_are_refused_before_the_code_is_redeemed(
    fapi: FapiServer, make_client: Callable[..., Client], item: str, mutate: Any, check: str
) -> None:
    fapi.hooks.mutate_id_token = front(mutate)
    client = make_client()
    pending, redirect = run_to_redirect(client)
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect)
    assert info.value.check == check
    assert_stopped_before_token(fapi)
    assert client.cache.keys() == []


def _signature_cases(
    fapi: FapiServer, spare: list[rsa.RSAPrivateKey], client_key: rsa.RSAPrivateKey
) -> dict[str, tuple[IdTokenHook, str]]:
    alt = SigningKey("alt-rs256", spare[2], "RS256", published=False)
    stranger = SigningKey("as-1", spare[1])  # claims to be as-1, signed by someone else
    return {
        "15 invalid signature": (
            front(lambda c, h: tampered(fapi.sign(c, h))),
            "id_token.signature",
        ),
        "15 signed by another key with the server's kid": (
            front(lambda c, h: fapi.sign(c, h, key=stranger)),
            "id_token.signature",
        ),
        "16 alg none": (front(lambda c, h: unsigned(c)), "id_token.alg"),
        "17 RS256 with an alternate key": (
            front(lambda c, h: fapi.sign(c, {"alg": "RS256"}, key=alt)),
            "id_token.alg",
        ),
        "18 encrypted with RSA1_5": (
            front(
                lambda c, h: encrypted(
                    fapi.sign(c, h), client_key.public_key(), alg="RSA1_5", enc="A128CBC-HS256"
                )
            ),
            "id_token.encryption",
        ),
        "HS256 with the server's public key as secret": (
            front(lambda c, h: _hs256(c)),
            "id_token.alg",
        ),
        "unknown kid": (
            front(lambda c, h: fapi.sign(c, {"kid": "nobody"}, key=SigningKey("nobody", spare[1]))),
            "jwks.kid",
        ),
    }


def _hs256(claims: dict[str, Any]) -> str:
    import jwt

    return jwt.encode(claims, "a-shared-secret-of-enough-length-for-hs256!", algorithm="HS256")


SIGNATURE_CASES = [
    "15 invalid signature",
    "15 signed by another key with the server's kid",
    "16 alg none",
    "17 RS256 with an alternate key",
    "18 encrypted with RSA1_5",
    "HS256 with the server's public key as secret",
    "unknown kid",
]


@pytest.mark.filterwarnings("ignore:JWE algorithm:UserWarning")
@pytest.mark.parametrize("case", SIGNATURE_CASES)
def test_bad_id_token_signatures_are_refused_before_the_code_is_redeemed(
    fapi: FapiServer,
    make_client: Callable[..., Client],
    spare_keys: list[rsa.RSAPrivateKey],
    client_key: rsa.RSAPrivateKey,
    case: str,
) -> None:
    hook, check = _signature_cases(fapi, spare_keys, client_key)[case]
    fapi.hooks.mutate_id_token = hook
    client = make_client()
    pending, redirect = run_to_redirect(client)
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect)
    assert info.value.check == check
    assert_stopped_before_token(fapi)


def test_3_discovery_issuer_mismatch_stops_everything(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity, make_client: Callable[..., Client]
) -> None:
    fapi.hooks.mutate_discovery = lambda doc: doc.__setitem__("issuer", "https://impostor.example")
    with pytest.raises(ResponseValidationError) as info:
        Environment.discover(fapi.discovery_url, ca_bundle=ca_bundle, identity=client_identity)
    assert info.value.check == "discovery.issuer"
    assert "https://impostor.example" in str(info.value) and fapi.issuer in str(info.value)
    lazy = make_client(fetch=False)
    with pytest.raises(ResponseValidationError):
        lazy.authorize(scopes=["openid", "accounts"])
    assert fapi.calls("/par") == fapi.calls("/authorize") == fapi.calls("/jwks") == 0
    assert_stopped_before_token(fapi)


def test_3_a_trailing_slash_is_not_forgiven_when_the_issuer_is_pinned(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity
) -> None:
    fapi.hooks.mutate_discovery = lambda doc: doc.__setitem__("issuer", fapi.issuer + "/")
    with pytest.raises(ResponseValidationError, match="exactly"):
        Environment.discover(
            fapi.discovery_url, ca_bundle=ca_bundle, identity=client_identity, issuer=fapi.issuer
        )


def test_discovery_with_a_plain_http_endpoint_is_refused(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity
) -> None:
    fapi.hooks.mutate_discovery = lambda doc: doc.__setitem__(
        "token_endpoint", "http://as.example/token"
    )
    with pytest.raises(ResponseValidationError) as info:
        Environment.discover(fapi.discovery_url, ca_bundle=ca_bundle, identity=client_identity)
    assert info.value.check == "discovery.endpoint"


def test_40_kid_absent_with_several_keys_is_refused(
    fapi: FapiServer, make_client: Callable[..., Client], spare_keys: list[rsa.RSAPrivateKey]
) -> None:
    fapi.keys.append(SigningKey("as-2", spare_keys[0]))
    fapi.hooks.mutate_id_token = front(
        lambda c, h: fapi.sign(c, {}, key=SigningKey(None, fapi.keys[0].key))
    )
    client = make_client()
    pending, redirect = run_to_redirect(client)
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect)
    assert info.value.check == "jwks.ambiguous"
    assert_stopped_before_token(fapi)


def test_40_kid_absent_with_one_matching_key_is_accepted(
    fapi: FapiServer, make_client: Callable[..., Client], as_key: rsa.RSAPrivateKey
) -> None:
    fapi.keys[:] = [SigningKey(None, as_key)]
    client = make_client()
    pending, redirect = run_to_redirect(client)
    token = client.finish(pending, redirect)
    assert token.id_token_claims is not None and token.id_token_claims["iss"] == fapi.issuer


# -- authorization response: state and iss ---------------------------------------------------------
@pytest.mark.parametrize(
    ("item", "mutate", "check"),
    [
        ("37 invalid state", lambda p: p.__setitem__("state", "forged-state"), "state"),
        ("37 missing state", lambda p: p.pop("state"), "state"),
        ("38 invalid iss", lambda p: p.__setitem__("iss", "https://attacker.example"), "iss"),
        ("38 iss with a trailing slash", lambda p: p.__setitem__("iss", p["iss"] + "/"), "iss"),
    ],
)
def test_bad_authorization_responses_are_refused(
    fapi: FapiServer, make_client: Callable[..., Client], item: str, mutate: Any, check: str
) -> None:
    fapi.hooks.mutate_response = mutate
    client = make_client()
    pending, redirect = run_to_redirect(client)
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect)
    assert info.value.check == check
    assert_stopped_before_token(fapi)


def _as_error(params: dict[str, str], *, keep_iss: bool) -> None:
    state, iss = params["state"], params.get("iss")
    params.clear()
    params.update({"error": "access_denied", "error_description": "user said no", "state": state})
    if keep_iss and iss:
        params["iss"] = iss


def test_38_error_response_without_iss_is_refused_when_the_server_promises_iss(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.hooks.mutate_response = lambda p: _as_error(p, keep_iss=False)
    client = make_client()
    pending, redirect = run_to_redirect(client)
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect)
    assert info.value.check == "iss"
    assert_stopped_before_token(fapi)


def test_error_response_becomes_an_oauth_error(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.hooks.mutate_response = lambda p: _as_error(p, keep_iss=True)
    client = make_client()
    pending, redirect = run_to_redirect(client)
    with pytest.raises(OAuthError) as info:
        client.finish(pending, redirect)
    assert info.value.error == "access_denied"
    assert info.value.error_description == "user said no"
    assert_stopped_before_token(fapi)


def test_a_url_for_another_redirect_uri_is_refused(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    pending, redirect = run_to_redirect(client)
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect.replace("app.example", "evil.example"))
    assert info.value.check == "authorization_response.redirect_uri"
    assert_stopped_before_token(fapi)


def test_an_id_token_missing_from_a_hybrid_response_is_refused(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.hooks.mutate_response = lambda p: p.pop("id_token")
    client = make_client()
    pending, redirect = run_to_redirect(client)
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect)
    assert info.value.check == "id_token.missing"
    assert_stopped_before_token(fapi)


def _remove(claims: dict[str, Any], name: str) -> None:
    del claims[name]


# -- JARM ---------------------------------------------------------------------------------------------
JARM_CASES = [
    ("39 bad signature", lambda s, c, h: tampered(s.sign(c, h)), "jarm.signature"),
    ("39 alg none", lambda s, c, h: unsigned(c), "jarm.alg"),
    ("39 expired", lambda s, c, h: c.__setitem__("exp", int(time.time()) - 600), "jarm.exp"),
    ("39 missing exp", lambda s, c, h: _remove(c, "exp"), "jarm.exp"),
    ("39 missing iss", lambda s, c, h: _remove(c, "iss"), "jarm.iss"),
    ("39 wrong iss", lambda s, c, h: c.__setitem__("iss", "https://attacker.example"), "jarm.iss"),
    ("39 missing aud", lambda s, c, h: _remove(c, "aud"), "jarm.aud"),
    ("39 wrong aud", lambda s, c, h: c.__setitem__("aud", "another-client"), "jarm.aud"),
    ("39 wrong state inside", lambda s, c, h: c.__setitem__("state", "forged"), "state"),
]


@pytest.mark.parametrize(("item", "mutate", "check"), JARM_CASES, ids=[c[0] for c in JARM_CASES])
def test_bad_jarm_responses_are_refused(
    fapi: FapiServer, make_client: Callable[..., Client], item: str, mutate: Any, check: str
) -> None:
    def hook(claims: dict[str, Any], header: dict[str, Any]) -> str | None:
        result = mutate(fapi, claims, header)
        return result if isinstance(result, str) else None

    fapi.hooks.mutate_jarm = hook
    client = make_client()
    pending, redirect = run_to_redirect(client, response_mode="jwt")
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect)
    assert info.value.check == check
    assert_stopped_before_token(fapi)


def test_jarm_flow_with_a_bad_token_endpoint_id_token_never_reaches_resources(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    def hook(claims: dict[str, Any], header: dict[str, Any], where: str) -> None:
        if where == "token":
            claims["nonce"] = "replayed-nonce"

    fapi.hooks.mutate_id_token = hook
    client = make_client()
    pending, redirect = run_to_redirect(client, response_mode="jwt")
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect)
    assert info.value.check == "id_token.nonce"
    assert fapi.calls("/token") == 1
    assert client.cache.keys() == []
    with pytest.raises(ConfigurationError, match="No user token"):
        client.get("/accounts")
    assert fapi.calls("/accounts") == 0


def test_jarm_missing_response_parameter_is_refused(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    pending, redirect = run_to_redirect(client, response_mode="jwt")
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect.split("?")[0] + "?code=abc&state=" + pending.state.reveal())
    assert info.value.check == "jarm.missing"
    assert_stopped_before_token(fapi)


# -- 41, 42: rotation and refresh consistency --------------------------------------------------------
def test_41_signing_key_rotation_is_followed(
    fapi: FapiServer, make_client: Callable[..., Client], spare_keys: list[rsa.RSAPrivateKey]
) -> None:
    client = make_client()
    client.finish(*run_to_redirect(client))
    fapi.keys[:] = [SigningKey("as-rotated", spare_keys[0])]
    token = client.finish(*run_to_redirect(client))
    assert token.id_token_claims is not None
    assert client.stats["jwks_requests"] == 2, "one fetch, then one refetch for the unknown kid"


@pytest.mark.parametrize("claim", ["sub", "iss"])
def test_42_refresh_id_token_for_another_subject_or_issuer_is_refused(
    fapi: FapiServer, make_client: Callable[..., Client], claim: str
) -> None:
    client = make_client()
    token = client.finish(*run_to_redirect(client))
    fapi.settings.refresh_id_token = True

    def hook(claims: dict[str, Any], header: dict[str, Any], where: str) -> None:
        if where == "refresh":
            claims[claim] = "someone-else" if claim == "sub" else fapi.issuer + "/other"

    fapi.hooks.mutate_id_token = hook
    with pytest.raises(ResponseValidationError) as info:
        client.refresh(token)
    assert info.value.check == f"id_token.{claim}"
    assert client.cache.get(token.cache_key).same_as(token), "the refused response was not stored"  # type: ignore[arg-type, union-attr]


# -- positive controls ------------------------------------------------------------------------------------
def test_20_happy_path_discovery_par_token_resource(
    fapi: FapiServer, make_client: Callable[..., Client], client_identity: Identity
) -> None:
    client = make_client()
    pending, redirect = run_to_redirect(client, consent="urn:bancoex:C1DD33123")
    assert (
        fapi.calls("/par") == 1 and "request_uri=" in pending.url and "request=" not in pending.url
    )
    token = client.finish(pending, redirect)
    assert token.refresh_token is not None
    assert token.id_token_claims and token.id_token_claims["sub"] == "user-76109277673"
    assert "consent:urn:bancoex:C1DD33123" in token.scope
    assert token.cnf == client_identity.x5t_s256
    assert client.get("/accounts").json()["data"][0]["accountId"] == "acc-1"
    sent = fapi.last_request_object
    assert (
        sent is not None
        and sent["_header"]["alg"] == "PS256"
        and sent["_header"]["kid"] == "client-1"
    )
    assert sent["code_challenge_method"] == "S256" and sent["response_type"] == "code id_token"
    assert sent["exp"] - sent["nbf"] <= 3600 and sent["aud"] == fapi.issuer
    assert fapi.last_assertion is not None and fapi.last_assertion["aud"] == fapi.issuer


def test_21_no_scope_and_no_expires_in_are_accepted(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    def strip(body: dict[str, Any], grant: str) -> None:
        body.pop("scope")
        body.pop("expires_in")

    fapi.hooks.mutate_token_response = strip
    client = make_client()
    token = client.finish(*run_to_redirect(client))
    assert token.scope == ("openid", "accounts")
    assert token.expires_at is None
    assert "expiry unknown" in repr(token)
    assert client.get("/accounts").ok


def test_22_aud_as_a_one_element_array_is_accepted(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.hooks.mutate_id_token = lambda claims, header, where: claims.__setitem__(
        "aud", [claims["aud"]]
    )  # type: ignore[func-returns-value]
    client = make_client()
    assert client.finish(*run_to_redirect(client)).id_token_claims is not None


def test_23_missing_at_hash_is_accepted(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.hooks.mutate_id_token = lambda claims, header, where: claims.pop("at_hash", None) and None  # type: ignore[func-returns-value]
    client = make_client()
    assert client.finish(*run_to_redirect(client)).id_token_claims is not None


def test_wrong_at_hash_at_the_token_endpoint_is_refused(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    def hook(claims: dict[str, Any], header: dict[str, Any], where: str) -> None:
        if where == "token":
            claims["at_hash"] = "AAAAAAAAAAAAAAAAAAAAAA"

    fapi.hooks.mutate_id_token = hook
    client = make_client()
    with pytest.raises(ResponseValidationError) as info:
        client.finish(*run_to_redirect(client))
    assert info.value.check == "id_token.at_hash"
    assert client.cache.keys() == []


def test_24_encrypted_id_tokens_are_decrypted(
    fapi: FapiServer, make_client: Callable[..., Client], client_key: rsa.RSAPrivateKey
) -> None:
    fapi.hooks.mutate_id_token = lambda claims, header, where: encrypted(
        fapi.sign(claims, header), client_key.public_key()
    )
    client = make_client()
    token = client.finish(*run_to_redirect(client))
    assert token.id_token_claims is not None and token.id_token_claims["iss"] == fapi.issuer


def test_24_jarm_flow_happy_path(fapi: FapiServer, make_client: Callable[..., Client]) -> None:
    client = make_client()
    pending, redirect = run_to_redirect(client, response_mode="jwt")
    assert "response=" in redirect and "#" not in redirect
    token = client.finish(pending, redirect)
    assert token.id_token_claims is not None
    assert (
        fapi.last_request_object is not None and fapi.last_request_object["response_type"] == "code"
    )
    assert client.get("/accounts").ok


def test_25_signed_resource_response_with_aud_as_array_is_accepted(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    now = int(time.time())
    body = fapi.sign(
        {
            "aud": ["fapi-client"],
            "iss": fapi.issuer,
            "iat": now,
            "jti": "a1",
            "data": {"consentId": "urn:x:1"},
        }
    )
    claims = client.verify_signed_payload(body)
    assert claims["data"]["consentId"] == "urn:x:1"
    with pytest.raises(ResponseValidationError) as info:
        client.verify_signed_payload(
            fapi.sign({"aud": ["another-org"], "iss": fapi.issuer, "iat": now})
        )
    assert info.value.check == "signed_payload.aud"


def test_27_refresh_twice_on_invalid_token_then_succeed(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    first = client.finish(*run_to_redirect(client))
    fapi.settings.require_refreshes = 2
    response = client.get("/accounts")
    assert response.ok
    assert fapi.counters["refreshes"] == 2 and client.stats["reactive_refreshes"] == 2
    assert fapi.calls("/accounts") == 3
    current = client.cache.get(first.cache_key)  # type: ignore[arg-type]
    assert current is not None and current.refresh_token != first.refresh_token
    assert current.id_token_claims == first.id_token_claims, (
        "identity kept across refreshes without id_token"
    )


def test_27_reactive_refresh_is_bounded(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(max_reactive_refreshes=2)
    client.finish(*run_to_redirect(client))
    fapi.settings.require_refreshes = 99
    response = client.get("/accounts", raise_for_status=False)
    assert response.status_code == 401
    assert fapi.calls("/accounts") == 3 and fapi.counters["refreshes"] == 2


@pytest.mark.parametrize("token_type", ["bearer", "BEARER", "Bearer"])
def test_43_token_type_in_any_case_is_accepted(
    fapi: FapiServer, make_client: Callable[..., Client], token_type: str
) -> None:
    fapi.hooks.mutate_token_response = lambda body, grant: body.__setitem__(
        "token_type", token_type
    )
    client = make_client()
    assert client.finish(*run_to_redirect(client)).token_type == "Bearer"


def test_a_non_bearer_token_type_is_refused(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.hooks.mutate_token_response = lambda body, grant: body.__setitem__("token_type", "DPoP")
    client = make_client()
    with pytest.raises(ResponseValidationError) as info:
        client.finish(*run_to_redirect(client))
    assert info.value.check == "token_response.token_type"


def test_mtls_client_authentication_in_the_authorization_flow(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    client = make_client(client_id="mtls-client", auth="tls_client_auth")
    token = client.finish(*run_to_redirect(client))
    assert fapi.last_token_form is not None and "client_assertion" not in fapi.last_token_form
    assert client.get("/accounts", token=token).ok


def test_mtls_endpoint_aliases_are_used(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.settings.mtls_aliases = True
    client = make_client()
    token = client.finish(*run_to_redirect(client))
    assert fapi.calls("/plain/token") == fapi.calls("/plain/par") == 0
    assert fapi.calls("/token") == fapi.calls("/par") == 1
    assert token.access_token


def test_request_object_by_value_when_the_server_has_no_par(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.settings.par = False
    client = make_client()
    pending, redirect = run_to_redirect(client)
    assert "request=" in pending.url and pending.request_uri is None
    assert client.finish(pending, redirect).id_token_claims is not None


def test_max_age_requires_a_recent_auth_time(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.hooks.mutate_id_token = front(lambda c, h: c.__setitem__("auth_time", c["iat"] - 3000))
    client = make_client()
    pending, redirect = run_to_redirect(client, max_age=600)
    assert fapi.last_request_object is not None and fapi.last_request_object["max_age"] == 600
    with pytest.raises(ResponseValidationError) as info:
        client.finish(pending, redirect)
    assert info.value.check == "id_token.auth_time"
    assert_stopped_before_token(fapi)
    fapi.hooks.mutate_id_token = None
    assert client.finish(*run_to_redirect(client, max_age=600)).id_token_claims is not None


def test_42_userinfo_for_another_subject_is_refused(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    token = client.finish(*run_to_redirect(client))
    assert client.userinfo(token)["name"] == "Fulano"
    fapi.hooks.mutate_userinfo = lambda claims: claims.__setitem__("sub", "someone-else")  # type: ignore[func-returns-value]
    with pytest.raises(ResponseValidationError) as info:
        client.userinfo(token)
    assert info.value.check == "userinfo.sub"


def test_signed_userinfo_is_verified(fapi: FapiServer, make_client: Callable[..., Client]) -> None:
    client = make_client()
    token = client.finish(*run_to_redirect(client))
    fapi.hooks.mutate_userinfo = lambda claims: fapi.sign(
        claims | {"iss": fapi.issuer, "aud": "fapi-client"}
    )
    assert client.userinfo(token)["sub"] == "user-76109277673"
    fapi.hooks.mutate_userinfo = lambda claims: tampered(fapi.sign(claims))
    with pytest.raises(ResponseValidationError) as info:
        client.userinfo(token)
    assert info.value.check == "userinfo.signature"
