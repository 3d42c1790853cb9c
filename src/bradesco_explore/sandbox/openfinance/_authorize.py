"""The front channel: discovery, JWKS, PAR, the authorization endpoint, the consent page, /callback.

PAR (mTLS alias only) takes client authentication plus a signed request object and answers
201 `{request_uri, expires_in: 60}`; the `request_uri` works once, for 60 seconds. The
authorization endpoint takes only `client_id` and `request_uri`. In consent mode "auto" it
approves at once for the fixed test customer and redirects (302) to the redirect URI; in
"page" mode it shows an Approve/Deny page whose form posts to `/open-banking/auth/consent`.

The response: `code id_token` goes in the fragment (`code`, `id_token`, `state`); `code` with
JARM goes in the query as `response=<JWT>`. Per RFC 9207 the `iss` parameter is added only
where the issuer is not already carried by an ID token or a JARM JWT, that is on error
responses in the fragment (as oidc-provider does). Errors that cannot safely redirect (unknown,
used or expired `request_uri`, wrong `client_id`) get a 400 page: HTML for browsers, OAuth JSON
otherwise. A wrong `client_id` does not use up the `request_uri`.

A consent is authorised once: PAR accepts several requests naming one AWAITING_AUTHORISATION
consent, but once one of them is approved the others get an `access_denied` error redirect (in
"page" mode too, and a late Deny on a second page leaves the AUTHORISED consent alone).
"""

from __future__ import annotations

from urllib.parse import urlencode

from .._context import form_of
from .._documents import Customer
from .._refusal import Refusal, guarded, oauth_error
from .._server import Handler, Reply, Request, Router, json_reply
from ._client_auth import authenticate_client
from ._consents import AWAITING
from ._endpoints import AUTH, CALLBACK_PATH, DISCOVERY_PATH, discovery_document
from ._id_tokens import id_token, jarm_response
from ._pages import callback_page, consent_page, error_page
from ._provider import PAR_LIFETIME, AuthorizationRequest, Provider
from ._request_object import verify_request_object


def register(public: Router, mtls: Router, provider: Provider) -> None:
    """Add the front-channel endpoints (public) and PAR (mTLS alias)."""
    front = FrontChannel(provider)
    public.add("GET", DISCOVERY_PATH, front.discovery)
    public.add("GET", f"{AUTH}/jwks", front.jwks)
    public.add("GET", f"{AUTH}/authorize", front.authorize)
    public.add("POST", f"{AUTH}/consent", front.decide)
    public.add("GET", CALLBACK_PATH, front.callback)
    for name in ("par", "token", "userinfo"):
        public.add("POST", f"{AUTH}/{name}", guarded(front.mtls_only(name), oauth_error))
    public.add("GET", f"{AUTH}/userinfo", guarded(front.mtls_only("userinfo"), oauth_error))
    mtls.add("POST", f"{AUTH}/par", guarded(front.par, oauth_error))


class FrontChannel:
    """Handlers of the browser-facing endpoints and PAR."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def discovery(self, request: Request) -> Reply:
        """The OpenID Provider metadata."""
        return json_reply(200, discovery_document(self.provider.endpoints))

    def jwks(self, request: Request) -> Reply:
        """The server's public signing keys."""
        return json_reply(200, self.provider.keys.jwks(), **{"Cache-Control": "max-age=300"})

    def mtls_only(self, name: str) -> Handler:
        """A public endpoint that always answers `invalid_client`: the real one is the mTLS alias."""
        alias = self.provider.endpoints.auth(name, mtls=True)

        def refuse(request: Request) -> Reply:
            raise Refusal(
                401,
                "invalid_client",
                f"this endpoint requires mutual TLS: use mtls_endpoint_aliases ({alias}).",
            )

        return refuse

    def par(self, request: Request) -> Reply:
        """Pushed authorization request: 201 with a one-time, 60-second `request_uri`."""
        form = form_of(request)
        client, _, _ = authenticate_client(self.provider, request, form)
        if "request_uri" in form:
            raise Refusal(
                400, "invalid_request", "request_uri must not be sent to the PAR endpoint."
            )
        if not form.get("request"):
            raise Refusal(
                400,
                "invalid_request",
                "a signed request object (request=...) is required (FAPI-BR).",
            )
        authorization = verify_request_object(self.provider, client, form["request"])
        uri = self.provider.push(authorization)
        return json_reply(
            201, {"request_uri": uri, "expires_in": PAR_LIFETIME}, **{"Cache-Control": "no-store"}
        )

    def authorize(self, request: Request) -> Reply:
        """Authorization endpoint: `client_id` + `request_uri` from PAR."""
        client_id, uri = request.arg("client_id"), request.arg("request_uri")
        if not client_id or not uri:
            return _error_page(
                request, "invalid_request", "client_id and request_uri (from PAR) are required."
            )
        authorization, error, problem = self.provider.take_pushed(uri, client_id)
        if authorization is None:
            return _error_page(request, error, problem + ".")
        not_awaiting = self._consent_not_awaiting(authorization)
        if not_awaiting is not None:
            return self._error_redirect(authorization, "access_denied", not_awaiting)
        if self.provider.consent_mode == "page":
            return self._show_consent(authorization)
        return self._approve(authorization)

    def decide(self, request: Request) -> Reply:
        """The consent page's Approve/Deny button."""
        form = request.form()
        authorization = self.provider.finish_interaction(form.get("interaction", ""))
        if authorization is None:
            return _error_page(
                request, "invalid_request", "this consent page was already answered or is unknown."
            )
        if form.get("decision") == "approve":
            return self._approve(authorization)
        return self._deny(
            authorization, "CUSTOMER_MANUALLY_REJECTED", "the customer denied the request"
        )

    def callback(self, request: Request) -> Reply:
        """The registered redirect URI: a page that shows the URL to copy."""
        return Reply(
            200,
            callback_page(),
            {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
        )

    # -- outcomes ------------------------------------------------------------------------------
    def _show_consent(self, authorization: AuthorizationRequest) -> Reply:
        interaction = self.provider.start_interaction(authorization)
        consent = self.provider.consents.get(authorization.consent_id)
        html = consent_page(
            authorization,
            consent,
            self.provider.context.data.customer,
            interaction,
            f"{AUTH}/consent",
        )
        return Reply(
            200, html, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
        )

    def _consent_not_awaiting(self, authorization: AuthorizationRequest) -> str | None:
        """Why the request's consent can no longer be authorised, or None (also None: no consent).

        A consent is authorised once: a second pushed request naming it (PAR accepted both
        while it was awaiting) gets `access_denied`, never a second code.
        """
        if authorization.consent_id is None:
            return None
        consent = self.provider.consents.get(authorization.consent_id)
        status = consent.status if consent is not None else "unknown"
        if status == AWAITING:
            return None
        return (
            f"consent {authorization.consent_id} is {status}, not {AWAITING}: "
            "a consent is authorised once; create a new consent"
        )

    def _approve(self, authorization: AuthorizationRequest) -> Reply:
        customer: Customer = self.provider.context.data.customer
        clock = self.provider.context.clock
        with self.provider.consents.lock:  # check and authorise in one step: two approvals race
            not_awaiting = self._consent_not_awaiting(authorization)
            if not_awaiting is not None:
                return self._error_redirect(authorization, "access_denied", not_awaiting)
            consent = self.provider.consents.get(authorization.consent_id)
            if consent is not None and consent.cpf != customer.cpf:
                consent.reject("ASPSP", "INTERNAL_SECURITY_REASON", clock.utcnow())
                return self._error_redirect(
                    authorization,
                    "access_denied",
                    "the signed-in customer is not the consent's loggedUser",
                )
            if consent is not None:
                consent.authorise(clock.utcnow())
        auth_time = int(clock.now())
        code = self.provider.issue_code(authorization, auth_time)
        params = {"code": code} | ({"state": authorization.state} if authorization.state else {})
        if authorization.wants_id_token:
            params["id_token"] = id_token(self.provider, client_id=authorization.client_id, auth_time=auth_time,
                                          nonce=authorization.nonce, code=code, state=authorization.state)  # fmt: skip
        return self._redirect(authorization, params)

    def _deny(self, authorization: AuthorizationRequest, reason: str, description: str) -> Reply:
        with self.provider.consents.lock:  # a late Deny on a second page revokes nothing
            consent = self.provider.consents.get(authorization.consent_id)
            if consent is not None and consent.status == AWAITING:
                consent.reject("USER", reason, self.provider.context.clock.utcnow())
        return self._error_redirect(authorization, "access_denied", description)

    def _error_redirect(
        self, authorization: AuthorizationRequest, error: str, description: str
    ) -> Reply:
        params = {"error": error, "error_description": description}
        params |= {"state": authorization.state} if authorization.state else {}
        if authorization.response_mode != "jwt":
            params["iss"] = (
                self.provider.endpoints.issuer
            )  # RFC 9207: no ID token or JARM carries it
        return self._redirect(authorization, params)

    def _redirect(self, authorization: AuthorizationRequest, params: dict[str, str]) -> Reply:
        uri = authorization.redirect_uri
        if authorization.response_mode == "jwt":
            response = jarm_response(self.provider, authorization.client_id, params)
            location = f"{uri}{'&' if '?' in uri else '?'}{urlencode({'response': response})}"
        else:
            location = f"{uri}#{urlencode(params)}"
        return Reply(302, b"", {"Location": location, "Cache-Control": "no-store"})


def _error_page(request: Request, error: str, description: str) -> Reply:
    if "text/html" in (request.header("Accept") or ""):
        return Reply(
            400, error_page(error, description), {"Content-Type": "text/html; charset=utf-8"}
        )
    return json_reply(
        400, {"error": error, "error_description": description}, **{"Cache-Control": "no-store"}
    )
