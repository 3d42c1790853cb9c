"""The authorization server's state: pushed requests, codes, refresh tokens, consents, settings.

Every one-time value lives here and is consumed under one lock, so two racing requests can
never both redeem the same `request_uri`, code or interaction.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from .._context import SandboxContext
from ._consents import ConsentStore
from ._endpoints import Endpoints
from ._keys import SigningKeys

PAR_LIFETIME = 60
CODE_LIFETIME = 600
REFRESH_LIFETIME = 365 * 86400
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"


@dataclass(frozen=True)
class AuthorizationRequest:
    """A verified request object: what the client asked the customer to approve."""

    client_id: str
    redirect_uri: str
    response_type: str  # "code id_token" | "code"
    response_mode: str  # "fragment" | "jwt"
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str
    consent_id: str | None

    @property
    def wants_id_token(self) -> bool:
        """Whether the front channel carries an ID token (`code id_token`)."""
        return self.response_type == "code id_token"


@dataclass
class PushedRequest:
    """A PAR entry, usable once before `expires_at`."""

    request: AuthorizationRequest
    expires_at: float
    used: bool = False


@dataclass
class IssuedCode:
    """An authorization code and what redeeming it produced (for reuse revocation)."""

    request: AuthorizationRequest
    expires_at: float
    auth_time: int
    used: bool = False
    access_tokens: list[str] = field(default_factory=list)
    refresh_tokens: list[str] = field(default_factory=list)


@dataclass
class RefreshGrant:
    """A refresh token: the client, scopes and consent it renews."""

    client_id: str
    scopes: tuple[str, ...]
    consent_id: str | None
    auth_time: int
    expires_at: float
    revoked: bool = False


class Provider:
    """Everything the Open Finance handlers share."""

    def __init__(
        self,
        context: SandboxContext,
        endpoints: Endpoints,
        *,
        consent_mode: str = "auto",
        rotate_refresh_tokens: bool = False,
    ) -> None:
        self.context = context
        self.endpoints = endpoints
        self.keys = SigningKeys(context.ledger)
        self.consents = ConsentStore(context.clock)
        self.consent_mode = consent_mode
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.lock = threading.Lock()
        self.pushed: dict[str, PushedRequest] = {}
        self.codes: dict[str, IssuedCode] = {}
        self.refresh_tokens: dict[str, RefreshGrant] = {}
        self.interactions: dict[str, AuthorizationRequest] = {}

    def secret(self, prefix: str = "") -> str:
        """A new random one-time value, remembered in the ledger."""
        value = prefix + secrets.token_urlsafe(32)
        self.context.ledger.add(value)
        return value

    def push(self, request: AuthorizationRequest) -> str:
        """Store a pushed request; returns its `request_uri`."""
        uri = self.secret(REQUEST_URI_PREFIX)
        with self.lock:
            self.pushed[uri] = PushedRequest(request, self.context.clock.now() + PAR_LIFETIME)
        return uri

    def take_pushed(self, uri: str, client_id: str) -> tuple[AuthorizationRequest | None, str, str]:
        """Consume a `request_uri` pushed by `client_id`: (request, "", "") or (None, error, why).

        The client is compared before anything is consumed: a request naming the wrong
        `client_id` leaves the `request_uri` usable by the client that pushed it.
        """
        with self.lock:
            entry = self.pushed.get(uri)
            if entry is None:
                return None, "invalid_request_uri", "the request_uri is unknown to this server"
            if entry.request.client_id != client_id:
                return None, "invalid_request", "client_id does not match the pushed request"
            if entry.used:
                return (
                    None,
                    "invalid_request_uri",
                    "the request_uri was already used: push the request again (PAR)",
                )
            if self.context.clock.now() > entry.expires_at:
                return (
                    None,
                    "invalid_request_uri",
                    "the request_uri expired (60 s): push the request again (PAR)",
                )
            entry.used = True
            return entry.request, "", ""

    def start_interaction(self, request: AuthorizationRequest) -> str:
        """Remember a request waiting on the consent page; returns the interaction id."""
        interaction = secrets.token_urlsafe(16)
        with self.lock:
            self.interactions[interaction] = request
        return interaction

    def finish_interaction(self, interaction: str) -> AuthorizationRequest | None:
        """The request behind a consent page, once."""
        with self.lock:
            return self.interactions.pop(interaction, None)

    def issue_code(self, request: AuthorizationRequest, auth_time: int) -> str:
        """A new one-time authorization code."""
        code = self.secret()
        with self.lock:
            self.codes[code] = IssuedCode(
                request, self.context.clock.now() + CODE_LIFETIME, auth_time
            )
        return code

    def issue_refresh(
        self, client_id: str, scopes: tuple[str, ...], consent_id: str | None, auth_time: int
    ) -> str:
        """A new refresh token (it lives as long as the consent, or a year)."""
        value = self.secret()
        expires = self.context.clock.now() + REFRESH_LIFETIME
        consent = self.consents.get(consent_id) if consent_id else None
        if consent is not None and consent.expiration is not None:
            expires = consent.expiration.timestamp()
        with self.lock:
            self.refresh_tokens[value] = RefreshGrant(
                client_id, scopes, consent_id, auth_time, expires
            )
        return value

    def revoke_consent_grants(self, consent_id: str) -> None:
        """Revoke every access and refresh token of a consent."""
        self.context.tokens.revoke_where(lambda t: t.consent_id == consent_id)
        with self.lock:
            for grant in self.refresh_tokens.values():
                if grant.consent_id == consent_id:
                    grant.revoked = True
