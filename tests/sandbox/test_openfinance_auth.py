"""Open Finance authorization server (FAPI 1.0 Advanced / FAPI-BR), driven by hand with
requests + PyJWT: discovery, PAR, request objects, PKCE, codes, client authentication,
ID tokens, JARM, refresh tokens, JWKS rotation, clock skew and the consent page."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.sandbox import Sandbox

from ._wire import ASSERTION_TYPE, Pending, Wire, fapi_headers, half_hash

# -- discovery and JWKS ---------------------------------------------------------------------------


def test_discovery_advertises_fapi_br_metadata(wire: Wire) -> None:
    meta, sb = wire.meta, wire.sb
    assert (
        meta["issuer"] == sb.issuer
        and sb.discovery_url == sb.issuer + "/.well-known/openid-configuration"
    )
    aliases = meta["mtls_endpoint_aliases"]
    assert aliases["token_endpoint"].startswith(sb.mtls_url) and meta["token_endpoint"].startswith(
        sb.public_url
    )
    assert aliases["pushed_authorization_request_endpoint"].startswith(sb.mtls_url)
    assert meta["jwks_uri"].startswith(sb.public_url) and meta["authorization_endpoint"].startswith(
        sb.public_url
    )
    assert meta["request_object_signing_alg_values_supported"] == ["PS256"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "private_key_jwt",
        "tls_client_auth",
    }
    assert set(meta["response_types_supported"]) == {"code id_token", "code"}
    assert {"fragment", "jwt"} <= set(meta["response_modes_supported"])
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["tls_client_certificate_bound_access_tokens"] is True
    assert meta["authorization_response_iss_parameter_supported"] is True


@pytest.mark.parametrize("endpoint", ["token_endpoint", "pushed_authorization_request_endpoint"])
def test_the_public_token_and_par_endpoints_refuse_and_point_to_the_mtls_alias(
    wire: Wire, endpoint: str
) -> None:
    session = requests.Session()
    session.trust_env = False
    reply = session.post(
        wire.meta[endpoint],
        data={"grant_type": "client_credentials"},
        verify=str(wire.sb.ca_bundle),
    )
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"
    assert wire.meta["mtls_endpoint_aliases"][endpoint] in reply.json()["error_description"]
    with_cert = wire.http.post(
        wire.meta[endpoint], data={"grant_type": "client_credentials"} | wire.client_auth()
    )
    assert with_cert.status_code == 401  # clients must honour mtls_endpoint_aliases


def test_jwks_publishes_the_ps256_key_with_a_kid(wire: Wire) -> None:
    keys = wire.http.get(wire.meta["jwks_uri"]).json()["keys"]
    assert (
        len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "PS256" and keys[0]["kid"]
    )
    assert "d" not in keys[0]


# -- the happy path, checked claim by claim -------------------------------------------------------


def test_code_id_token_flow_answers_in_the_fragment_without_iss(wire: Wire) -> None:
    consent_id = wire.consent_id()
    pending, params, location = wire.front_channel(consent_id)
    assert location.startswith(wire.sb.redirect_uri + "#")
    assert set(params) == {"code", "id_token", "state"} and params["state"] == pending.state
    claims = wire.verify_id_token(params["id_token"])
    assert claims["nonce"] == pending.nonce and claims["acr"] == "urn:brasil:openbanking:loa2"
    assert claims["c_hash"] == half_hash(params["code"]) and claims["s_hash"] == half_hash(
        pending.state
    )
    assert claims["sub"] == wire.sb.customer.subject
    assert jwt.get_unverified_header(params["id_token"])["alg"] == "PS256"
    tokens = wire.redeem(params["code"], pending)
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 300 and body["refresh_token"]
    assert wire.verify_id_token(body["id_token"])["at_hash"] == half_hash(body["access_token"])
    consent = wire.http.get(f"{wire.api}/consents/v3/consents/{consent_id}",
                            headers={"x-fapi-interaction-id": "6b7d8a30-0c5f-4c3e-9d2f-2b1f7f2a9c11",
                                     "Authorization": f"Bearer {wire.cc_token()}"})  # fmt: skip
    assert consent.json()["data"]["status"] == "AUTHORISED"


def test_code_with_jarm_answers_a_signed_response_jwt_in_the_query(wire: Wire) -> None:
    pending, params, _ = wire.front_channel(
        wire.consent_id(), response_type="code", response_mode="jwt"
    )
    assert set(params) == {"response"}  # no bare iss: the JWT carries it
    keys = {k["kid"]: jwt.PyJWK(k) for k in wire.http.get(wire.meta["jwks_uri"]).json()["keys"]}
    response = params["response"]
    claims = jwt.decode(response, keys[jwt.get_unverified_header(response)["kid"]].key, algorithms=["PS256"],
                        audience=wire.client_id, issuer=wire.meta["issuer"])  # fmt: skip
    assert claims["state"] == pending.state and claims["exp"] > time.time()
    assert wire.redeem(claims["code"], pending).status_code == 200


def test_tls_client_auth_works_at_par_and_token(wire: Wire) -> None:
    pending = wire.new_pending(wire.consent_id())
    pushed = wire.par(wire.request_object(pending), auth={"client_id": wire.client_id})
    assert pushed.status_code == 201
    code = parse_qs(
        urlsplit(wire.authorize(pushed.json()["request_uri"]).headers["Location"]).fragment
    )["code"][0]
    reply = wire.redeem(
        code, pending, client_assertion=None, client_assertion_type=None, client_id=wire.client_id
    )
    assert reply.status_code == 200


def test_a_client_credentials_token_is_bound_and_needs_no_consent(wire: Wire) -> None:
    reply = wire.http.post(
        wire.token_url, data={"grant_type": "client_credentials"} | wire.client_auth()
    )
    assert reply.status_code == 200 and reply.json()["scope"] == "consents"
    bad_scope = wire.http.post(
        wire.token_url,
        data={"grant_type": "client_credentials", "scope": "accounts"} | wire.client_auth(),
    )
    assert bad_scope.status_code == 400 and bad_scope.json()["error"] == "invalid_scope"


# -- PAR and request-object rejections ------------------------------------------------------------


def par_error(wire: Wire, **request_claims: Any) -> dict[str, Any]:
    pending = wire.new_pending(request_claims.pop("consent_id", None))
    reply = wire.par(wire.request_object(pending, **request_claims))
    assert reply.status_code == 400, reply.text
    return dict(reply.json())


def test_par_without_a_request_object_is_refused(wire: Wire) -> None:
    reply = wire.par(None, response_type="code id_token", scope="openid")
    assert reply.status_code == 400 and "request object" in reply.json()["error_description"]


def test_alg_none_request_object_is_refused(wire: Wire) -> None:
    error = par_error(wire, alg="none")
    assert error["error"] == "invalid_request_object" and "'none'" in error["error_description"]


def test_a_request_object_with_a_bad_signature_is_refused(wire: Wire) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    error = par_error(wire, key=stranger)
    assert error["error"] == "invalid_request_object" and "signature" in error["error_description"]


def test_an_rs256_request_object_is_refused(wire: Wire) -> None:
    error = par_error(wire, alg="RS256")
    assert error["error"] == "invalid_request_object" and "PS256" in error["error_description"]


@pytest.mark.parametrize(
    ("claims", "error", "fragment"),
    [
        ({"aud": "https://someone.else/"}, "invalid_request_object", "aud"),
        ({"exp": None}, "invalid_request_object", "exp and nbf"),
        ({"nbf": int(time.time()) + 600}, "invalid_request_object", "future"),
        ({"exp": int(time.time()) + 7200}, "invalid_request_object", "lifetime"),
        ({"request_uri": "urn:x"}, "invalid_request_object", "request_uri"),
        ({"code_challenge": None}, "invalid_request", "PKCE"),
        ({"code_challenge_method": "plain"}, "invalid_request", "S256"),
        ({"nonce": None}, "invalid_request", "nonce"),
        ({"redirect_uri": "https://evil.example/cb"}, "invalid_request", "redirect_uri"),
        ({"response_type": "code"}, "invalid_request", "JARM"),
        ({"response_type": "token"}, "unsupported_response_type", "code id_token"),
        ({"scope": "openid payments"}, "invalid_scope", "payments"),
        ({"client_id": "someone-else"}, "invalid_request_object", "client_id"),
    ],
)
def test_request_object_rules(
    wire: Wire, claims: dict[str, Any], error: str, fragment: str
) -> None:
    body = par_error(wire, **claims)
    assert body["error"] == error and fragment in body["error_description"]


def test_a_consent_scope_must_name_an_awaiting_consent_of_this_client(wire: Wire) -> None:
    body = par_error(wire, consent_id="urn:bradesco:does-not-exist")
    assert body["error"] == "invalid_scope"
    used = wire.flow().consent_id
    again = par_error(wire, consent_id=used)
    assert again["error"] == "invalid_scope" and "AUTHORISED" in again["error_description"]


def test_a_reused_request_uri_is_refused_without_redirecting(wire: Wire) -> None:
    pending, _, _ = wire.front_channel(wire.consent_id())
    again = wire.authorize(pending.request_uri)
    assert again.status_code == 400 and "Location" not in again.headers
    assert (
        again.json()["error"] == "invalid_request_uri"
        and "already used" in again.json()["error_description"]
    )
    browser = wire.http.get(wire.meta["authorization_endpoint"], headers={"Accept": "text/html"},
                            params={"client_id": wire.client_id, "request_uri": pending.request_uri})  # fmt: skip
    assert (
        browser.status_code == 400
        and "invalid_request_uri" in browser.text
        and "<html" in browser.text
    )


def test_a_request_uri_expires_after_60_seconds(sandbox: Sandbox, fresh_wire: Wire) -> None:
    pending = fresh_wire.new_pending(fresh_wire.consent_id())
    pushed = fresh_wire.par(fresh_wire.request_object(pending))
    assert pushed.json()["expires_in"] == 60
    sandbox.clock_skew = 61
    reply = fresh_wire.authorize(pushed.json()["request_uri"])
    assert reply.status_code == 400 and "expired" in reply.json()["error_description"]


def test_the_authorize_client_id_must_match_the_pushed_request(wire: Wire) -> None:
    pending = wire.new_pending(wire.consent_id())
    pushed = wire.par(wire.request_object(pending))
    reply = wire.authorize(pushed.json()["request_uri"], client_id="someone-else")
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_request"


# -- token endpoint rejections --------------------------------------------------------------------


def test_a_reused_code_is_refused_and_revokes_what_it_produced(wire: Wire) -> None:
    tokens = wire.flow()
    assert wire.get("/accounts/v2/accounts", tokens.access).status_code == 200
    again = wire.redeem(tokens.front["code"], tokens.pending)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert wire.get("/accounts/v2/accounts", tokens.access).status_code == 401
    refresh = wire.http.post(
        wire.token_url,
        data={"grant_type": "refresh_token", "refresh_token": tokens.body["refresh_token"]}
        | wire.client_auth(),
    )
    assert refresh.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"code_verifier": None}, "code_verifier is missing"),
        ({"code_verifier": "x" * 50}, "PKCE"),
        ({"redirect_uri": "https://127.0.0.1:1/other"}, "redirect_uri"),
    ],
)
def test_pkce_and_redirect_uri_are_checked_at_the_token_endpoint(
    wire: Wire, overrides: dict[str, Any], fragment: str
) -> None:
    pending, params, _ = wire.front_channel(wire.consent_id())
    reply = wire.redeem(params["code"], pending, **overrides)
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_grant"
    assert fragment in reply.json()["error_description"]


def test_a_reused_client_assertion_jti_is_refused(wire: Wire) -> None:
    auth = wire.client_auth()
    assert (
        wire.http.post(wire.token_url, data={"grant_type": "client_credentials"} | auth).status_code
        == 200
    )
    again = wire.http.post(wire.token_url, data={"grant_type": "client_credentials"} | auth)
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"
    assert "jti" in again.json()["error_description"]


@pytest.mark.parametrize(
    ("claims", "fragment"),
    [
        ({"alg": "none"}, "'none'"),
        ({"alg": "RS256"}, "PS256"),
        ({"aud": "https://elsewhere.example/token"}, "aud"),
        ({"exp": int(time.time()) - 60}, "exp"),
        ({"exp": int(time.time()) + 3 * 86400}, "day"),
        ({"iat": None}, "iat"),
        ({"jti": None}, "jti"),
        ({"iss": "someone-else"}, "iss and sub"),
        ({"headers": {"kid": "unknown-kid"}}, "kid"),
    ],
)
def test_client_assertion_rules(wire: Wire, claims: dict[str, Any], fragment: str) -> None:
    data = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": wire.assertion(**claims)}  # fmt: skip
    reply = wire.http.post(wire.token_url, data=data)
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"
    assert fragment in reply.json()["error_description"]


@pytest.mark.parametrize("aud_kind", ["token", "mtls_token", "array"])
def test_client_assertion_audiences_that_are_accepted(wire: Wire, aud_kind: str) -> None:
    aud: Any = {"token": wire.meta["token_endpoint"], "mtls_token": wire.token_url,
                "array": [wire.meta["issuer"], "https://other.example"]}[aud_kind]  # fmt: skip
    reply = wire.http.post(
        wire.token_url, data={"grant_type": "client_credentials"} | wire.client_auth(aud=aud)
    )
    assert reply.status_code == 200


def test_client_secrets_are_refused(wire: Wire) -> None:
    reply = wire.http.post(
        wire.token_url,
        data={"grant_type": "client_credentials"},
        auth=(wire.client_id, wire.secret),
    )
    assert reply.status_code == 401 and "FAPI" in reply.json()["error_description"]


def test_an_unsupported_grant_is_refused(wire: Wire) -> None:
    reply = wire.http.post(wire.token_url, data={"grant_type": "password"} | wire.client_auth())
    assert reply.status_code == 400 and reply.json()["error"] == "unsupported_grant_type"


# -- refresh tokens --------------------------------------------------------------------------------


def refresh(wire: Wire, token: str) -> requests.Response:
    return wire.http.post(
        wire.token_url,
        data={"grant_type": "refresh_token", "refresh_token": token} | wire.client_auth(),
    )


def test_refresh_tokens_do_not_rotate_by_default(wire: Wire) -> None:
    tokens = wire.flow()
    first, second = (
        refresh(wire, tokens.body["refresh_token"]),
        refresh(wire, tokens.body["refresh_token"]),
    )
    assert first.status_code == second.status_code == 200
    assert "refresh_token" not in first.json() and "id_token" not in first.json()
    assert wire.get("/accounts/v2/accounts", second.json()["access_token"]).status_code == 200


def test_refresh_tokens_rotate_when_switched_on(sandbox: Sandbox, fresh_wire: Wire) -> None:
    sandbox.rotate_refresh_tokens = True
    tokens = fresh_wire.flow()
    rotated = refresh(fresh_wire, tokens.body["refresh_token"])
    assert (
        rotated.status_code == 200
        and rotated.json()["refresh_token"] != tokens.body["refresh_token"]
    )
    assert refresh(fresh_wire, tokens.body["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(fresh_wire, rotated.json()["refresh_token"]).status_code == 200


def test_refresh_after_the_consent_is_deleted_is_invalid_grant(wire: Wire) -> None:
    tokens = wire.flow()
    deleted = wire.http.delete(f"{wire.api}/consents/v3/consents/{tokens.consent_id}",
                               headers={"x-fapi-interaction-id": "0f5e1c1e-3e7a-4a7d-9c1c-7c5e0f3b9a22",
                                        "Authorization": f"Bearer {wire.cc_token()}"})  # fmt: skip
    assert deleted.status_code == 204
    assert refresh(wire, tokens.body["refresh_token"]).json()["error"] == "invalid_grant"
    assert wire.get("/accounts/v2/accounts", tokens.access).status_code == 401


# -- switches: JWKS rotation, clock skew, consent page ----------------------------------------------


def test_rotated_jwks_publishes_a_new_kid_and_signs_with_it(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    old_kid = fresh_wire.http.get(fresh_wire.meta["jwks_uri"]).json()["keys"][0]["kid"]
    new_kid = sandbox.rotate_jwks()
    assert new_kid != old_kid
    assert [k["kid"] for k in fresh_wire.http.get(fresh_wire.meta["jwks_uri"]).json()["keys"]] == [
        new_kid
    ]
    _, params, _ = fresh_wire.front_channel(fresh_wire.consent_id())
    assert jwt.get_unverified_header(params["id_token"])["kid"] == new_kid
    assert fresh_wire.verify_id_token(params["id_token"])["iss"] == sandbox.issuer


def test_a_server_clock_behind_refuses_a_fresh_request_object(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    pending = fresh_wire.new_pending(fresh_wire.consent_id())
    sandbox.clock_skew = -120
    reply = fresh_wire.par(
        fresh_wire.request_object(pending), auth=fresh_wire.client_auth(iat=int(time.time()) - 200)
    )
    assert reply.status_code == 400 and "nbf is in the future" in reply.json()["error_description"]


def test_id_tokens_use_the_skewed_server_clock(sandbox: Sandbox, fresh_wire: Wire) -> None:
    pending = fresh_wire.new_pending(fresh_wire.consent_id())
    sandbox.clock_skew = 1800
    now = int(time.time()) + 1800
    ro = fresh_wire.request_object(pending, nbf=now, exp=now + 300)
    pushed = fresh_wire.par(ro, auth=fresh_wire.client_auth(iat=now, exp=now + 60))
    assert pushed.status_code == 201, pushed.text
    fragment = urlsplit(
        fresh_wire.authorize(pushed.json()["request_uri"]).headers["Location"]
    ).fragment
    claims = jwt.decode(parse_qs(fragment)["id_token"][0], options={"verify_signature": False})
    assert claims["iat"] >= now - 5


def test_the_consent_page_approves_with_a_click(sandbox: Sandbox, fresh_wire: Wire) -> None:
    sandbox.consent = "page"
    pending = fresh_wire.new_pending(fresh_wire.consent_id())
    pushed = fresh_wire.par(fresh_wire.request_object(pending))
    page = fresh_wire.authorize(pushed.json()["request_uri"])
    assert page.status_code == 200 and "ACCOUNTS_READ" in page.text and "Approve" in page.text
    interaction = re.search(r'name="interaction" value="([^"]+)"', page.text)
    assert interaction is not None
    action = fresh_wire.public + "/open-banking/auth/consent"
    approved = fresh_wire.http.post(
        action,
        data={"interaction": interaction.group(1), "decision": "approve"},
        allow_redirects=False,
    )
    assert approved.status_code == 302 and "code=" in approved.headers["Location"]
    replay = fresh_wire.http.post(
        action,
        data={"interaction": interaction.group(1), "decision": "approve"},
        allow_redirects=False,
    )
    assert replay.status_code == 400


def test_denying_on_the_consent_page_rejects_the_consent_and_sends_iss(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    sandbox.consent = "page"
    consent_id = fresh_wire.consent_id()
    pending = fresh_wire.new_pending(consent_id)
    pushed = fresh_wire.par(fresh_wire.request_object(pending))
    page = fresh_wire.authorize(pushed.json()["request_uri"])
    interaction = re.search(r'name="interaction" value="([^"]+)"', page.text)
    assert interaction is not None
    denied = fresh_wire.http.post(fresh_wire.public + "/open-banking/auth/consent",
                                  data={"interaction": interaction.group(1), "decision": "deny"}, allow_redirects=False)  # fmt: skip
    params = {k: v[0] for k, v in parse_qs(urlsplit(denied.headers["Location"]).fragment).items()}
    assert params["error"] == "access_denied" and params["state"] == pending.state
    assert params["iss"] == sandbox.issuer  # RFC 9207: no ID token carries it here
    consent = fresh_wire.http.get(f"{fresh_wire.api}/consents/v3/consents/{consent_id}",
                                  headers={"x-fapi-interaction-id": "5d1c8c36-8f1a-4b8e-b1a0-3c8a1d9c2b44",
                                           "Authorization": f"Bearer {fresh_wire.cc_token()}"}).json()  # fmt: skip
    assert consent["data"]["status"] == "REJECTED"
    assert consent["data"]["rejection"] == {
        "rejectedBy": "USER",
        "reason": {"code": "CUSTOMER_MANUALLY_REJECTED"},
    }


def test_a_consent_for_another_cpf_is_access_denied(wire: Wire) -> None:
    consent_id = wire.consent_id(cpf="11144477735")
    pending = wire.new_pending(consent_id)
    pushed = wire.par(wire.request_object(pending))
    location = wire.authorize(pushed.json()["request_uri"]).headers["Location"]
    assert parse_qs(urlsplit(location).fragment)["error"] == ["access_denied"]


def test_the_callback_page_shows_the_url_to_copy(wire: Wire) -> None:
    page = wire.http.get(wire.sb.redirect_uri)
    assert page.status_code == 200 and "window.location.href" in page.text
    assert page.headers["Content-Type"].startswith("text/html")


# -- one consent, one authorisation ----------------------------------------------------------------


def fragment_of(reply: requests.Response) -> dict[str, str]:
    assert reply.status_code == 302, reply.text
    return {k: v[0] for k, v in parse_qs(urlsplit(reply.headers["Location"]).fragment).items()}


def consent_status(wire: Wire, consent_id: str) -> dict[str, Any]:
    reply = wire.http.get(f"{wire.api}/consents/v3/consents/{consent_id}",
                          headers=fapi_headers(wire.cc_token()))  # fmt: skip
    return dict(reply.json()["data"])


def push_twice(wire: Wire, consent_id: str, times: int = 2) -> list[tuple[Pending, str]]:
    """Pushed requests naming the same (still awaiting) consent: (pending, request_uri)."""
    pushed = []
    for _ in range(times):
        pending = wire.new_pending(consent_id)
        reply = wire.par(wire.request_object(pending))
        assert reply.status_code == 201, reply.text
        pushed.append((pending, str(reply.json()["request_uri"])))
    return pushed


def test_a_consent_is_authorised_once_even_when_two_requests_name_it(wire: Wire) -> None:
    consent_id = wire.consent_id()
    (_, first_uri), (second, second_uri) = push_twice(wire, consent_id)
    assert "code" in fragment_of(wire.authorize(first_uri))
    again = fragment_of(wire.authorize(second_uri))
    assert again["error"] == "access_denied" and "code" not in again and "id_token" not in again
    assert again["state"] == second.state and again["iss"] == wire.sb.issuer
    assert "AUTHORISED" in again["error_description"]
    assert consent_status(wire, consent_id)["status"] == "AUTHORISED"


def test_two_consent_pages_for_one_consent_approve_once_and_a_late_deny_revokes_nothing(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    sandbox.consent = "page"
    consent_id = fresh_wire.consent_id()
    interactions = []
    for _, uri in push_twice(fresh_wire, consent_id, times=3):  # three pages open at once
        page = fresh_wire.authorize(uri)
        assert page.status_code == 200, page.text
        found = re.search(r'name="interaction" value="([^"]+)"', page.text)
        assert found is not None
        interactions.append(found.group(1))
    action = fresh_wire.public + "/open-banking/auth/consent"

    def decide(interaction: str, decision: str) -> requests.Response:
        return fresh_wire.http.post(action, data={"interaction": interaction, "decision": decision},
                                    allow_redirects=False)  # fmt: skip

    assert "code" in fragment_of(decide(interactions[0], "approve"))
    assert fragment_of(decide(interactions[1], "approve"))["error"] == "access_denied"
    assert fragment_of(decide(interactions[2], "deny"))["error"] == "access_denied"
    assert consent_status(fresh_wire, consent_id)["status"] == "AUTHORISED"


def test_the_authorize_endpoint_refuses_a_consent_that_is_no_longer_awaiting(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    sandbox.consent = "page"
    consent_id = fresh_wire.consent_id()
    (_, first_uri), (second, second_uri) = push_twice(fresh_wire, consent_id)
    page = fresh_wire.authorize(first_uri)
    found = re.search(r'name="interaction" value="([^"]+)"', page.text)
    assert found is not None
    fresh_wire.http.post(fresh_wire.public + "/open-banking/auth/consent",
                         data={"interaction": found.group(1), "decision": "approve"}, allow_redirects=False)  # fmt: skip
    late = fragment_of(
        fresh_wire.authorize(second_uri)
    )  # no consent page for an AUTHORISED consent
    assert late["error"] == "access_denied" and late["state"] == second.state


def test_a_wrong_client_id_at_authorize_does_not_use_up_the_request_uri(wire: Wire) -> None:
    pending = wire.new_pending(wire.consent_id())
    uri = wire.par(wire.request_object(pending)).json()["request_uri"]
    wrong = wire.authorize(uri, client_id="someone-else")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_request"
    assert "code" in fragment_of(wire.authorize(uri))


@pytest.mark.parametrize("scope", ["openid accounts", "openid resources", "credit-cards-accounts"])
def test_data_scopes_without_a_consent_scope_are_refused_at_par(wire: Wire, scope: str) -> None:
    kwargs: dict[str, Any] = {"scope": scope}
    if "openid" not in scope:
        kwargs |= {"response_type": "code", "response_mode": "jwt"}
    body = par_error(wire, **kwargs)
    assert body["error"] == "invalid_scope" and "consent:" in body["error_description"]


def test_openid_alone_needs_no_consent(wire: Wire) -> None:
    _, params, _ = wire.front_channel(None, scope="openid")
    assert "code" in params and "id_token" in params
