"""Request objects (JAR, RFC 9101) as FAPI 1.0 Advanced and FAPI-BR require them.

PS256 only (`alg: none` and bad signatures give `invalid_request_object`); `iss` and
`client_id` = the authenticated client; `aud` = the issuer (string, or an array holding it);
`exp` and `nbf` required, `nbf` not in the future nor more than 60 minutes old, `exp` after
now and at most 60 minutes after `nbf`; no nested `request`/`request_uri`; a registered
`redirect_uri`; `response_type` `code id_token` (fragment) or `code` with `response_mode=jwt`
(JARM); `openid` scope with a `nonce` for `code id_token`, a `state` otherwise; PKCE with
`code_challenge_method=S256`; at most one `consent:{consentId}` scope naming an
AWAITING_AUTHORISATION consent of this client, and that scope whenever a data scope
(`accounts`, `credit-cards-accounts`, `resources`) is asked for (OFB: data APIs take
`openid consent:{consentId} <family>`); `openid` alone needs no consent.
"""

from __future__ import annotations

import re
from typing import Any

from .._refusal import Refusal
from .._registry import Client
from .._state import LEEWAY
from ._client_auth import peek, request_object_refusal, verify_signature
from ._consents import AWAITING
from ._endpoints import DATA_SCOPES, SCOPES
from ._provider import AuthorizationRequest, Provider

MAX_WINDOW = 3600
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def verify_request_object(provider: Provider, client: Client, token: str) -> AuthorizationRequest:
    """The authorization request inside a signed request object, or a 400 refusal saying why."""
    provider.context.ledger.add(token)
    header, _ = peek(token, "request object", request_object_refusal)
    claims = verify_signature(token, header, client, "request object", request_object_refusal)
    provider.context.ledger.add(
        *(v for k, v in claims.items() if k in ("state", "nonce") and isinstance(v, str))
    )
    _check_envelope(provider, client, claims)
    response_type, response_mode = _response_shape(claims)
    scopes = _scopes(claims, response_type)
    return AuthorizationRequest(
        client_id=client.client_id,
        redirect_uri=_redirect_uri(client, claims),
        response_type=response_type,
        response_mode=response_mode,
        scopes=scopes,
        state=_optional_str(claims, "state"),
        nonce=_nonce(claims, scopes),
        code_challenge=_pkce(claims),
        consent_id=_consent(provider, client, scopes),
    )


def _check_envelope(provider: Provider, client: Client, claims: dict[str, Any]) -> None:
    now = provider.context.clock.now()
    if claims.get("iss") != client.client_id:
        raise request_object_refusal("request object iss must be the client_id.")
    if claims.get("client_id") != client.client_id:
        raise request_object_refusal(
            "request object client_id must be the authenticated client's id."
        )
    audience = claims.get("aud")
    if provider.endpoints.issuer not in (audience if isinstance(audience, list) else [audience]):
        raise request_object_refusal(
            f"request object aud must be the issuer '{provider.endpoints.issuer}'."
        )
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float) or not isinstance(nbf, int | float):
        raise request_object_refusal("request object needs both exp and nbf.")
    if exp < now - LEEWAY:
        raise request_object_refusal("request object expired (exp is in the past).")
    if nbf > now + LEEWAY:
        raise request_object_refusal("request object nbf is in the future (check the clock).")
    if nbf < now - MAX_WINDOW or exp - nbf > MAX_WINDOW:
        raise request_object_refusal(
            "request object lifetime too long: nbf at most 60 min old, exp at most 60 min after nbf."
        )
    if "request" in claims or "request_uri" in claims:
        raise request_object_refusal("request object must not contain request or request_uri.")


def _response_shape(claims: dict[str, Any]) -> tuple[str, str]:
    kinds = frozenset(str(claims.get("response_type", "")).split())
    mode = claims.get("response_mode")
    if kinds == {"code", "id_token"}:
        if mode not in (None, "fragment"):
            raise Refusal(
                400,
                "invalid_request",
                "response_type 'code id_token' is answered in the fragment; drop response_mode.",
            )
        return "code id_token", "fragment"
    if kinds == {"code"}:
        if mode not in ("jwt", "query.jwt"):
            raise Refusal(
                400,
                "invalid_request",
                "response_type 'code' needs response_mode=jwt (JARM) under FAPI.",
            )
        return "code", "jwt"
    raise Refusal(
        400,
        "unsupported_response_type",
        "response_type must be 'code id_token' or 'code' (with JARM).",
    )


def _scopes(claims: dict[str, Any], response_type: str) -> tuple[str, ...]:
    scopes = tuple(str(claims.get("scope", "")).split())
    unknown = [s for s in scopes if s not in SCOPES and not s.startswith("consent:")]
    if unknown:
        raise Refusal(400, "invalid_scope", f"scope(s) not offered: {' '.join(unknown)[:200]}.")
    if response_type == "code id_token" and "openid" not in scopes:
        raise Refusal(400, "invalid_scope", "response_type 'code id_token' needs the openid scope.")
    return scopes


def _redirect_uri(client: Client, claims: dict[str, Any]) -> str:
    uri = claims.get("redirect_uri")
    if not isinstance(uri, str) or uri not in client.redirect_uris:
        raise Refusal(
            400,
            "invalid_request",
            "redirect_uri is missing or not registered for this client (exact match).",
        )
    return uri


def _optional_str(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return str(value) if value not in (None, "") else None


def _nonce(claims: dict[str, Any], scopes: tuple[str, ...]) -> str | None:
    nonce = _optional_str(claims, "nonce")
    if "openid" in scopes and nonce is None:
        raise Refusal(
            400, "invalid_request", "nonce is required when the openid scope is requested."
        )
    if "openid" not in scopes and _optional_str(claims, "state") is None:
        raise Refusal(
            400, "invalid_request", "state is required when the openid scope is not requested."
        )
    return nonce


def _pkce(claims: dict[str, Any]) -> str:
    challenge, method = claims.get("code_challenge"), claims.get("code_challenge_method")
    if not challenge:
        raise Refusal(
            400,
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256.",
        )
    if method != "S256":
        raise Refusal(
            400, "invalid_request", f"code_challenge_method '{method}' is refused: only S256."
        )
    if not isinstance(challenge, str) or not _CHALLENGE.match(challenge):
        raise Refusal(
            400,
            "invalid_request",
            "code_challenge must be the 43-character base64url SHA-256 of the verifier.",
        )
    return challenge


def _consent(provider: Provider, client: Client, scopes: tuple[str, ...]) -> str | None:
    named = [s.split(":", 1)[1] for s in scopes if s.startswith("consent:")]
    if len(named) > 1:
        raise Refusal(400, "invalid_scope", "only one consent:{consentId} scope per request.")
    if not named:
        data = [s for s in scopes if s in DATA_SCOPES]
        if data:
            raise Refusal(
                400,
                "invalid_scope",
                f"data scope(s) {' '.join(data)} need a consent: create one (POST /consents) and "
                "add consent:{consentId} to the scope.",
            )
        return None
    consent = provider.consents.get(named[0])
    if consent is None or consent.client_id != client.client_id:
        raise Refusal(
            400, "invalid_scope", f"consent {named[0][:80]} does not exist for this client."
        )
    if consent.status != AWAITING:
        raise Refusal(
            400,
            "invalid_scope",
            f"consent {consent.consent_id} is {consent.status}; create a new consent.",
        )
    return consent.consent_id
