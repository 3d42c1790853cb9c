"""Client authentication at the PAR and token endpoints: `private_key_jwt` and `tls_client_auth`.

`private_key_jwt` is what FAPI-BR (the unified Open Finance Brasil profile, reference section
5.1) allows. `tls_client_auth` (RFC 8705: the registered certificate alone authenticates
the client, which sends only `client_id`) is offered as well, as the FAPI 1.0 Advanced option
it is and the OFB profile allowed before 2024: beyond FAPI-BR, for clients written against
other FAPI 1.0 servers. Both run over mTLS, and the presented certificate must be registered
for the client (FAPI-BR requires a certificate on every endpoint; tokens are bound to it).
Client secrets are refused: FAPI allows neither `client_secret_basic` nor `client_secret_post`.

A `private_key_jwt` assertion must be PS256 (`alg: none` and RS256 are refused), signed with a
registered key (its `kid`, when present, must be registered), with `iss` = `sub` = client_id,
`aud` naming the issuer, the token endpoint, the PAR endpoint or their mTLS aliases (a string
or an array), `exp` in the future and at most one day ahead (60 s is fine), `iat` present and
not in the future, `nbf` (if present) not in the future, and a `jti` never seen before.
"""

from __future__ import annotations

from typing import Any

import jwt

from .._refusal import Refusal
from .._registry import Client, invalid_client, require_registered_certificate
from .._server import Request
from .._state import LEEWAY
from ._provider import Provider

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_AHEAD = 86400


def authenticate_client(
    provider: Provider, request: Request, form: dict[str, str]
) -> tuple[Client, str, str]:
    """(client, certificate thumbprint, method) for this request, or 401 `invalid_client`."""
    if form.get("client_secret") or (request.header("Authorization") or "").lower().startswith(
        "basic "
    ):
        raise invalid_client(
            "client secrets are not accepted here (FAPI): use private_key_jwt or tls_client_auth."
        )
    if "client_assertion" in form:
        client = _private_key_jwt(provider, form)
        method = "private_key_jwt"
    elif form.get("client_id"):
        client = provider.context.registry.require(form["client_id"])
        method = "tls_client_auth"
    else:
        raise invalid_client(
            "no client authentication: send client_assertion (private_key_jwt) or client_id (tls_client_auth)."
        )
    return client, require_registered_certificate(client, request), method


def _private_key_jwt(provider: Provider, form: dict[str, str]) -> Client:
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise invalid_client(f"client_assertion_type must be '{ASSERTION_TYPE}'.")
    assertion = form.get("client_assertion") or ""
    provider.context.ledger.add(assertion)
    header, claims = peek(assertion, "client assertion", invalid_client)
    _require_ps256(header, "client assertion", invalid_client)
    client = provider.context.registry.require(str(claims.get("sub") or ""))
    if form.get("client_id") not in (None, client.client_id):
        raise invalid_client("client_id does not match the assertion's sub.")
    verified = verify_signature(assertion, header, client, "client assertion", invalid_client)
    _check_assertion_claims(provider, client, verified)
    return client


def _check_assertion_claims(provider: Provider, client: Client, claims: dict[str, Any]) -> None:
    now = provider.context.clock.now()
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise invalid_client("client assertion iss and sub must both be the client_id.")
    audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
    if not set(map(str, audiences or [])) & provider.endpoints.token_audiences():
        raise invalid_client(
            f"client assertion aud must name the issuer ({provider.endpoints.issuer}) or the token/PAR endpoint."
        )
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
    if not isinstance(exp, int | float) or exp < now - LEEWAY:
        raise invalid_client("client assertion exp is missing or in the past.")
    if exp > now + MAX_ASSERTION_AHEAD:
        raise invalid_client("client assertion exp is more than a day ahead.")
    if not isinstance(iat, int | float) or iat > now + LEEWAY:
        raise invalid_client("client assertion iat is missing or in the future (check the clock).")
    if nbf is not None and (not isinstance(nbf, int | float) or nbf > now + LEEWAY):
        raise invalid_client("client assertion nbf is in the future (check the clock).")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise invalid_client("client assertion jti is missing.")
    if not provider.context.once.claim(
        f"client-assertion:{client.client_id}", jti, until=float(exp)
    ):
        raise invalid_client(
            "client assertion jti was already used: sign a fresh assertion for every request."
        )


# -- JWS helpers shared with request objects ------------------------------------------------------
def peek(token: str, what: str, refuse: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims without verification (to find the client and the key)."""
    try:
        return jwt.get_unverified_header(token), jwt.decode(
            token, options={"verify_signature": False}
        )
    except jwt.PyJWTError:
        raise refuse(f"the {what} is not a well-formed signed JWT.") from None


def _require_ps256(header: dict[str, Any], what: str, refuse: Any) -> None:
    alg = header.get("alg")
    if str(alg).lower() == "none":
        raise refuse(f"the {what} uses alg 'none': unsigned JWTs are always refused.")
    if alg != "PS256":
        raise refuse(f"the {what} uses alg '{alg}': only PS256 is accepted.")


def verify_signature(
    token: str, header: dict[str, Any], client: Client, what: str, refuse: Any
) -> dict[str, Any]:
    """The claims, once the PS256 signature verifies with a registered key of `client`."""
    _require_ps256(header, what, refuse)
    kid = header.get("kid")
    if kid is not None and kid not in client.signing_keys:
        raise refuse(f"the {what} kid '{str(kid)[:60]}' is not a key registered for this client.")
    keys = [client.signing_keys[kid]] if kid is not None else list(client.signing_keys.values())
    for key in keys:
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=["PS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
            )  # fmt: skip
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise refuse(f"the {what} could not be verified ({type(exc).__name__}).") from None
        return claims
    raise refuse(f"the {what} signature does not verify with the client's registered key.")


def request_object_refusal(detail: str) -> Refusal:
    """400 `invalid_request_object`."""
    return Refusal(400, "invalid_request_object", detail)
