"""The token endpoint (mTLS alias) and userinfo.

Grants:
- `authorization_code`: the code works once (a second use is `invalid_grant` and revokes
  every token the first use produced, RFC 6749 section 4.1.2); `redirect_uri` must equal the
  request object's; `code_verifier` must hash (S256) to the `code_challenge`; the consent
  must still be AUTHORISED. Answers a bound access token, a refresh token and an ID token.
- `refresh_token`: no rotation by default (Open Finance Brasil rule: the response carries no
  new refresh token); `Sandbox(rotate_refresh_tokens=True)` rotates and invalidates the old
  one. The consent must still be AUTHORISED. No ID token.
- `client_credentials`: scope `consents` (the default).
Access tokens are opaque, bound to the presented certificate, and live `token_lifetime` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Any

from .._context import form_of, token_reply
from .._refusal import Refusal, guarded, oauth_error
from .._registry import Client
from .._server import Reply, Request, Router, json_reply
from .._tokens import AccessToken, opaque_token
from ._client_auth import authenticate_client
from ._consents import AUTHORISED
from ._endpoints import AUTH
from ._envelope import FAMILY, ofb_route
from ._id_tokens import id_token
from ._provider import IssuedCode, Provider, RefreshGrant

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
CLIENT_CREDENTIALS_SCOPES = ("consents",)


def register(mtls: Router, provider: Provider) -> None:
    """Add the token endpoint and userinfo to the mTLS router."""
    endpoint = TokenEndpoint(provider)
    mtls.add("POST", f"{AUTH}/token", guarded(endpoint.token, oauth_error))
    mtls.add("GET", f"{AUTH}/userinfo", ofb_route(endpoint.userinfo))


def invalid_grant(detail: str) -> Refusal:
    """400 `invalid_grant`."""
    return Refusal(400, "invalid_grant", detail)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest())
        .rstrip(b"=")
        .decode()
    )


class TokenEndpoint:
    """The grants of the Open Finance authorization server."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def token(self, request: Request) -> Reply:
        """Dispatch on `grant_type` after authenticating the client."""
        form = form_of(request)
        grant = form.get("grant_type") or ""
        self.provider.context.counters.requested(FAMILY, grant or "?")
        client, thumbprint, _ = authenticate_client(self.provider, request, form)
        grants = {
            "authorization_code": self._code,
            "refresh_token": self._refresh,
            "client_credentials": self._client_credentials,
        }
        if grant not in grants:
            raise Refusal(
                400,
                "unsupported_grant_type",
                f"grant_type '{grant[:60]}' is not supported: use one of {', '.join(grants)}.",
            )
        reply = grants[grant](form, client, thumbprint)
        self.provider.context.counters.issued(FAMILY, grant)
        return reply

    # -- authorization_code ------------------------------------------------------------------
    def _code(self, form: dict[str, str], client: Client, thumbprint: str) -> Reply:
        issued = self._redeem(form.get("code") or "", client)
        authorization = issued.request
        if form.get("redirect_uri") != authorization.redirect_uri:
            raise invalid_grant("redirect_uri does not match the one in the authorization request.")
        verifier = form.get("code_verifier")
        self.provider.context.ledger.add(verifier or "")
        if not verifier:
            raise invalid_grant("code_verifier is missing (PKCE).")
        if not _VERIFIER.match(verifier) or not hmac.compare_digest(
            s256(verifier), authorization.code_challenge
        ):
            raise invalid_grant(
                "PKCE verification failed: code_verifier does not match the code_challenge."
            )
        self._require_authorised(authorization.consent_id)
        access = self._access(
            client, thumbprint, "authorization_code", authorization.scopes, authorization.consent_id
        )
        refresh = self.provider.issue_refresh(
            client.client_id, authorization.scopes, authorization.consent_id, issued.auth_time
        )
        issued.access_tokens.append(access.value)
        issued.refresh_tokens.append(refresh)
        extra: dict[str, Any] = {"refresh_token": refresh}
        if "openid" in authorization.scopes:
            extra["id_token"] = id_token(self.provider, client_id=client.client_id, auth_time=issued.auth_time,
                                         nonce=authorization.nonce, access_token=access.value)  # fmt: skip
        return token_reply(access, extra=extra)

    def _redeem(self, code: str, client: Client) -> IssuedCode:
        provider = self.provider
        with provider.lock:
            issued = provider.codes.get(code)
            if issued is None:
                raise invalid_grant("the authorization code is unknown.")
            if issued.request.client_id != client.client_id:
                raise invalid_grant("the authorization code was issued to another client.")
            if issued.used:
                self._revoke_code_grants(issued)
                raise invalid_grant(
                    "the authorization code was already used; the tokens it produced are now revoked."
                )
            issued.used = True
        if provider.context.clock.now() > issued.expires_at:
            raise invalid_grant("the authorization code expired (10 minutes).")
        return issued

    def _revoke_code_grants(self, issued: IssuedCode) -> None:
        values = set(issued.access_tokens)
        self.provider.context.tokens.revoke_where(lambda t: t.value in values)
        for value in issued.refresh_tokens:
            grant = self.provider.refresh_tokens.get(value)
            if grant is not None:
                grant.revoked = True

    # -- refresh_token -----------------------------------------------------------------------
    def _refresh(self, form: dict[str, str], client: Client, thumbprint: str) -> Reply:
        value = form.get("refresh_token") or ""
        grant = self._refresh_grant(value, client)
        scopes = grant.scopes
        if form.get("scope"):
            asked = tuple(form["scope"].split())
            if not set(asked) <= set(grant.scopes):
                raise Refusal(
                    400,
                    "invalid_scope",
                    "a refresh cannot add scopes the authorization did not grant.",
                )
            scopes = asked
        self._require_authorised(grant.consent_id)
        access = self._access(client, thumbprint, "authorization_code", scopes, grant.consent_id)
        extra: dict[str, Any] = {}
        if self.provider.rotate_refresh_tokens:
            grant.revoked = True
            extra["refresh_token"] = self.provider.issue_refresh(
                client.client_id, grant.scopes, grant.consent_id, grant.auth_time
            )
        return token_reply(access, extra=extra)

    def _refresh_grant(self, value: str, client: Client) -> RefreshGrant:
        with self.provider.lock:
            grant = self.provider.refresh_tokens.get(value)
        if grant is None or grant.client_id != client.client_id:
            raise invalid_grant("the refresh token is unknown for this client.")
        if grant.revoked:
            raise invalid_grant(
                "the refresh token was revoked (rotated, consent revoked or code reused)."
            )
        if self.provider.context.clock.now() > grant.expires_at:
            raise invalid_grant("the refresh token expired.")
        return grant

    # -- client_credentials ------------------------------------------------------------------
    def _client_credentials(self, form: dict[str, str], client: Client, thumbprint: str) -> Reply:
        asked = tuple((form.get("scope") or "consents").split())
        unknown = [s for s in asked if s not in CLIENT_CREDENTIALS_SCOPES]
        if unknown:
            raise Refusal(
                400,
                "invalid_scope",
                f"client_credentials offers only {', '.join(CLIENT_CREDENTIALS_SCOPES)} (asked: {' '.join(unknown)[:100]}).",
            )
        return token_reply(self._access(client, thumbprint, "client_credentials", asked, None))

    # -- shared ----------------------------------------------------------------------------------
    def _access(
        self,
        client: Client,
        thumbprint: str,
        grant: str,
        scopes: tuple[str, ...],
        consent_id: str | None,
    ) -> AccessToken:
        return self.provider.context.tokens.issue(
            opaque_token(), family=FAMILY, grant=grant, client_id=client.client_id, scopes=scopes,
            thumbprint=thumbprint, lifetime=self.provider.context.token_lifetime, consent_id=consent_id,
        )  # fmt: skip

    def _require_authorised(self, consent_id: str | None) -> None:
        if consent_id is None:
            return
        consent = self.provider.consents.get(consent_id)
        if consent is None or consent.status != AUTHORISED:
            status = consent.status if consent else "unknown"
            raise invalid_grant(
                f"consent {consent_id} is {status}: tokens are issued only for AUTHORISED consents."
            )

    # -- userinfo --------------------------------------------------------------------------------
    def userinfo(self, request: Request) -> Reply:
        """The customer's `sub` for a token with the openid scope."""
        try:
            token = self.provider.context.tokens.authenticate(request, FAMILY)
        except Refusal as refusal:
            raise Refusal(
                refusal.status, "UNAUTHORIZED", refusal.detail, headers=refusal.headers
            ) from None
        if "openid" not in token.scopes:
            raise Refusal(403, "FORBIDDEN", "userinfo needs a token with the openid scope.")
        return json_reply(200, {"sub": self.provider.context.data.customer.subject})
