"""`Client`: every OAuth 2.0 / FAPI flow this toolkit speaks, over one mTLS session.

It needs only configuration - an `Environment` family (discovery URL or token URL, grant,
auth method), credentials, an identity and a redirect URI - to talk to any compliant server;
nothing in it knows the sandbox.

>>> client = Client(env, identity=ident, credentials=creds)                     # doctest: +SKIP
>>> client.get("/v2/cob", params={"inicio": "...", "fim": "..."}).json()        # doctest: +SKIP
>>> pending = client.authorize(scopes=["openid", "accounts"], consent=consent)   # doctest: +SKIP
>>> tokens = client.finish(pending, pasted_redirect_url)                         # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from .._html import card, facts_table
from .._secret import Secret, get_logger
from ..config import setting
from ..errors import ConfigurationError, ResponseValidationError, ServerRejectedError
from ..identity import Identity
from ..transport import NO_RETRY, ExchangeLog, RequestSigner, Response, Session
from ._authorization_request import (
    REQUEST_OBJECT_LIFETIME,
    authorization_scopes,
    authorization_url,
    code_challenge,
    new_verifier,
    optional_params,
    push_request,
    random_value,
    request_object,
    response_type_for,
)
from ._bradesco import NonceSource, brad_signer, jwt_bearer_assertion
from ._callback import (
    check_issuer_parameter,
    check_state,
    raise_for_error,
    read_redirect,
    verify_jarm,
)
from ._client_auth import AudienceStrategy, ClientAuthentication
from ._credentials import Credentials, KeySource, merge_credentials, signing_key_from
from ._discovery import ServerMetadata, fetch_metadata, validate_metadata
from ._environment import Environment, Family
from ._grants import JWT_BEARER, TokenEndpoint, TokenResponse
from ._idtoken import IdTokenCheck, check_payload_claims, validate_id_token, verify_signed
from ._jose import FAPI_ALGORITHMS, check_fapi_algorithms, default_algorithm
from ._jwks import JWKSCache
from ._listener import listen_for_redirect
from ._pending import PendingAuthorization
from ._tokens import CacheKey, Token, TokenCache, cache_key

log = get_logger("bradesco_explore.auth")

__all__ = ["Client"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_INVALID_TOKEN = re.compile(r'error\s*=\s*"?invalid_token"?', re.IGNORECASE)


class Client:
    """An OAuth 2.0 / FAPI 1.0 Advanced client for one family of an environment.

    - `family`: which API family (default: the environment's default);
    - `identity`: the client certificate for mTLS (required for mTLS auth methods, bound
      tokens and Bradesco's legacy grant);
    - `credentials` or the shortcuts `client_id`, `client_secret`, `signing_key`, `signing_kid`
      (default: `Credentials.from_env()`);
    - `auth`: the client authentication method (default: the family's);
    - `decryption_key`: for encrypted ID tokens / JARM (default: the signing key);
    - `redirect_uri`: for authorization flows (default: `BRADESCO_REDIRECT_URI`, then the
      environment's `metadata["redirect_uri"]`);
    - `refresh_margin`: seconds before expiry to refresh (capped at half the lifetime);
    - `cache_file` (a 0600 JSON file shared across kernels) or `cache` (a `TokenCache`);
    - `session`: an existing `transport.Session` (default: one for `identity`);
    - `assertion_audience`: `aud` of private_key_jwt assertions ("issuer", "token_endpoint",
      "both" or a URL); `algorithms`: ID token / JARM allowlist (default PS256, ES256);
    - `leeway`: clock skew allowed in seconds (< 360); `id_token_max_age`: oldest `iat`;
    - `par`: force (True) or forbid (False) pushed authorization requests (default: when
      the server has a PAR endpoint); `max_reactive_refreshes`: 401 invalid_token rounds.
    """

    def __init__(
        self,
        environment: Environment,
        family: str | None = None,
        *,
        identity: Identity | None = None,
        credentials: Credentials | None = None,
        auth: str | None = None,
        client_id: str | None = None,
        client_secret: str | Secret | None = None,
        signing_key: KeySource | None = None,
        signing_kid: str | None = None,
        decryption_key: KeySource | None = None,
        redirect_uri: str | None = None,
        refresh_margin: float = 60.0,
        cache_file: str | os.PathLike[str] | None = None,
        cache: TokenCache | None = None,
        session: Session | None = None,
        assertion_audience: AudienceStrategy = "issuer",
        algorithms: Collection[str] | None = None,
        leeway: float = 60.0,
        id_token_max_age: float = 3600.0,
        par: bool | None = None,
        max_reactive_refreshes: int = 2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 <= leeway < 360:
            raise ConfigurationError(
                "leeway must be between 0 and 360 seconds (FAPI tests use 6 min)."
            )
        self.environment = environment
        self.family: Family = environment.family(family)
        self.session = session or Session(identity, ca_bundle=environment.ca_bundle)
        self.identity = identity or self.session.identity
        self.credentials = merge_credentials(
            credentials, client_id, client_secret, signing_key, signing_kid
        )
        self.auth_method = auth or self.family.auth_method
        self.clock = clock
        self.cache = cache or TokenCache(cache_file, clock=clock)
        self.redirect_uri = (
            redirect_uri
            or setting("redirect_uri")
            or _text(environment.metadata.get("redirect_uri"))
        )
        self.refresh_margin = refresh_margin
        self.algorithms = check_fapi_algorithms(algorithms or FAPI_ALGORITHMS)
        self.leeway = leeway
        self.id_token_max_age = id_token_max_age
        self.par = par
        self.max_reactive_refreshes = max(0, max_reactive_refreshes)
        self._decryption_key = signing_key_from(decryption_key) or self.credentials.signing_key
        self._authentication = ClientAuthentication(
            self.auth_method,
            self.credentials,
            has_certificate=self.identity is not None,
            audience=assertion_audience,
            clock=clock,
        )
        self._check_grant()
        self._lock = threading.Lock()
        self._stats: Counter[str] = Counter()
        self._metadata: ServerMetadata | None = None
        self._jwks: dict[str, JWKSCache] = {}
        self._user_key: CacheKey | None = None
        self._nonces = NonceSource()

    # -- facts --------------------------------------------------------------------------------------
    @property
    def log(self) -> ExchangeLog:
        """Every HTTP exchange of this client's session (redacted)."""
        return self.session.log

    @property
    def stats(self) -> dict[str, int]:
        """Counters: token_requests, refreshes, reactive_refreshes, resource_requests, ..."""
        with self._lock:
            return dict(self._stats)

    def _count(self, name: str) -> None:
        with self._lock:
            self._stats[name] += 1

    def _check_grant(self) -> None:
        if self.family.grant == "jwt_bearer" and (
            self.identity is None or not self.identity.has_key
        ):
            raise ConfigurationError(
                f"Family '{self.family.name}' uses Bradesco's JWT-bearer grant, signed with the "
                "registered certificate's key: pass identity=Identity.load(...)."
            )

    # -- discovery ----------------------------------------------------------------------------------
    def metadata(self, *, refresh: bool = False) -> ServerMetadata:
        """The authorization server's metadata (discovered once, then cached)."""
        with self._lock:
            cached = None if refresh else self._metadata
        if cached is not None:
            return cached
        metadata = self._load_metadata()
        with self._lock:
            self._metadata = metadata
        return metadata

    def _load_metadata(self) -> ServerMetadata:
        family = self.family
        if family.metadata and family.discovery_url:
            return validate_metadata(
                dict(family.metadata), discovery_url=family.discovery_url, issuer=family.issuer
            )
        if family.discovery_url:
            self._count("discovery_requests")
            return fetch_metadata(self.session, family.discovery_url, issuer=family.issuer)
        return ServerMetadata(
            issuer=family.issuer,
            document={"token_endpoint": family.token_url},
            source=f"family '{family.name}'",
        )

    @property
    def _mtls(self) -> bool:
        return self.identity is not None

    def _issuer(self) -> str:
        return self.metadata().require_issuer()

    def _token_url(self) -> str:
        return self.metadata().require("token_endpoint", mtls=self._mtls)

    def _cache_issuer(self) -> str:
        metadata = self.metadata()
        return metadata.issuer or self._token_url()

    def _key(self, grant: str, scopes: Collection[str]) -> CacheKey:
        return cache_key(self._cache_issuer(), self.credentials.client_id, grant, tuple(scopes))

    def _endpoint(self, *, include_client_id: bool = True) -> TokenEndpoint:
        return TokenEndpoint(
            session=self.session,
            url=self._token_url(),
            authentication=self._authentication,
            issuer=self.metadata().issuer,
            clock=self.clock,
            include_client_id=include_client_id,
        )

    def _key_lookup(self, jwks_uri: str | None = None) -> Callable[[Mapping[str, Any], str], Any]:
        uri = jwks_uri or self.metadata().require("jwks_uri", mtls=False)
        with self._lock:
            jwks = self._jwks.get(uri)
            if jwks is None:
                jwks = self._jwks[uri] = JWKSCache(
                    lambda: self._get_json(uri, "jwks_requests"), clock=self.clock, source=uri
                )
        return lambda header, what: jwks.key_for(header, what=what)

    def _get_json(self, url: str, counter: str) -> Any:
        self._count(counter)
        response = self.session.request("GET", url, headers={"Accept": "application/json"})
        return response.raise_for_status().json()

    # -- tokens for the client itself ---------------------------------------------------------------
    def token(
        self,
        scopes: Collection[str] | None = None,
        *,
        grant: str | None = None,
        force: bool = False,
    ) -> Token:
        """A usable access token for `scopes` (default: the family's), from the cache if fresh.

        `grant` defaults to the family's: client credentials, Bradesco's JWT bearer, or - for
        authorization-code families - the user's token from `finish`, refreshed as needed.
        Open Finance clients also ask `grant="client_credentials"` (e.g. for `consents`).
        `force=True` fetches a new one even if the cached token looks fresh.
        """
        key = self._default_key(scopes, grant)
        reject = self.cache.get(key) if force else None
        token, _ = self.cache.obtain(
            key, self._fetcher(key), margin=self.refresh_margin, reject=reject
        )
        return token

    def _default_key(self, scopes: Collection[str] | None, grant: str | None = None) -> CacheKey:
        chosen_grant = grant or self.family.grant
        if chosen_grant == "authorization_code":
            return self._user_token_key(scopes)
        if chosen_grant not in ("client_credentials", "jwt_bearer"):
            raise ConfigurationError(
                f"grant {chosen_grant!r} is not one of client_credentials, jwt_bearer, authorization_code."
            )
        chosen = tuple(scopes) if scopes is not None else self.family.default_scopes
        return self._key(chosen_grant, chosen)

    def _fetcher(self, key: CacheKey) -> Callable[[Token | None], Token]:
        grant, scopes = key[2], key[3]
        if grant == "authorization_code":
            return lambda current: self._refresh_grant(current, key)
        if grant == "jwt_bearer":
            return lambda _current: self._jwt_bearer_grant(scopes, key)
        return lambda _current: self._client_credentials_grant(scopes, key)

    def _client_credentials_grant(self, scopes: tuple[str, ...], key: CacheKey) -> Token:
        form = {"grant_type": "client_credentials"}
        if scopes:
            form["scope"] = " ".join(scopes)
        return self._grant(form, grant="client_credentials", scopes=scopes, key=key)

    def _jwt_bearer_grant(self, scopes: tuple[str, ...], key: CacheKey) -> Token:
        assert self.identity is not None
        identity, token_url = self.identity, self._token_url()

        def form() -> dict[str, str]:
            now = self.clock()
            assertion = jwt_bearer_assertion(
                client_id=self.credentials.client_id,
                token_url=token_url,
                key=identity._private_key(),
                now=now,
                jti=self._nonces.next(now),
            )
            fields = {"grant_type": JWT_BEARER, "assertion": assertion}
            return fields | ({"scope": " ".join(scopes)} if scopes else {})

        return self._grant(form, grant="jwt_bearer", scopes=scopes, key=key)

    def _grant(
        self,
        form: Mapping[str, str] | Callable[[], Mapping[str, str]],
        *,
        grant: str,
        scopes: tuple[str, ...],
        key: CacheKey,
    ) -> Token:
        include_id = not (grant == "jwt_bearer" and self.auth_method == "none")
        self._count("token_requests")
        result = self._endpoint(include_client_id=include_id).request(
            form, grant=grant, requested_scope=scopes
        )
        log.info("token issued: %r", result.token)
        return replace(result.token, cache_key=key)

    # -- calling APIs -------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        token: Token | None = None,
        scopes: Collection[str] | None = None,
        raise_for_status: bool = True,
    ) -> Response:
        """Call `path` (joined to the family's base URL) with a valid bearer token.

        The token comes from the cache (or `token`'s lineage), refreshed ahead of expiry. On
        `401` with `WWW-Authenticate: ... error="invalid_token"` the token is renewed and the
        call repeated, at most `max_reactive_refreshes` times. The legacy family signs every
        call with `X-Brad-*` headers.
        """
        url = self.family.url(path)
        key = self._request_key(token, scopes)
        current = self._current_token(key, token)
        for attempt in range(self.max_reactive_refreshes + 1):
            self._count("resource_requests")
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=headers,
                auth=self._signer(current),
            )
            if attempt == self.max_reactive_refreshes or not _invalid_token(response):
                break
            self._count("reactive_refreshes")
            current, _ = self.cache.obtain(
                key, self._fetcher(key), margin=self.refresh_margin, reject=current
            )
        return response.raise_for_status() if raise_for_status else response

    def get(self, path: str, **kwargs: Any) -> Response:
        """`request("GET", path, ...)`."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Response:
        """`request("POST", path, ...)`."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Response:
        """`request("PUT", path, ...)`."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Response:
        """`request("PATCH", path, ...)`."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Response:
        """`request("DELETE", path, ...)`."""
        return self.request("DELETE", path, **kwargs)

    def _request_key(self, token: Token | None, scopes: Collection[str] | None) -> CacheKey:
        if token is None:
            return self._default_key(scopes)
        return token.cache_key or self._key(token.grant, token.scope)

    def _current_token(self, key: CacheKey, given: Token | None) -> Token:
        if given is not None and self.cache.get(key) is None:
            self.cache.put(key, replace(given, cache_key=key))
        token, _ = self.cache.obtain(key, self._fetcher(key), margin=self.refresh_margin)
        return token

    def _signer(self, token: Token) -> RequestSigner:
        if self.family.grant == "jwt_bearer":
            assert self.identity is not None
            return brad_signer(
                token.access_token.reveal,
                client_id=self.credentials.client_id,
                key=self.identity._private_key(),
                clock=self.clock,
                nonces=self._nonces,
            )

        def bearer(prepared: requests.PreparedRequest) -> None:
            prepared.headers["Authorization"] = token.authorization()

        return bearer

    # -- authorization code flow --------------------------------------------------------------------
    def authorize(
        self,
        scopes: Collection[str] | None = None,
        *,
        consent: str | None = None,
        response_mode: str | None = None,
        claims: Mapping[str, Any] | None = None,
        redirect_uri: str | None = None,
        prompt: str | None = None,
        acr_values: Collection[str] | None = None,
        max_age: int | None = None,
    ) -> PendingAuthorization:
        """Start an authorization: PAR + signed request object (PS256) + PKCE S256 + state + nonce.

        `consent` adds the Open Finance `consent:<id>` scope. `response_mode="jwt"` asks for a
        JARM response (`response_type=code`); otherwise `code id_token` (needs `openid`).
        Open `pending.url` in a browser, then call `finish(pending, redirect_url)`.
        """
        metadata, now = self.metadata(), self.clock()
        issuer, redirect = metadata.require_issuer(), self._redirect_uri(redirect_uri)
        scope = authorization_scopes(scopes or self.family.default_scopes, consent)
        response_type, mode = response_type_for(scope, response_mode)
        state, nonce, verifier = random_value(), random_value(), new_verifier()
        params: dict[str, Any] = {
            "response_type": response_type,
            "redirect_uri": redirect,
            "scope": " ".join(scope),
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        params |= optional_params(mode, claims, prompt, acr_values, max_age)
        signed = self._request_object(params, issuer, now)
        url, request_uri, lifetime = self._authorization_target(metadata, signed, params)
        self._count("authorizations")
        return PendingAuthorization(
            url=url, issuer=issuer, client_id=self.credentials.client_id, redirect_uri=redirect,
            state=Secret(state), nonce=Secret(nonce), code_verifier=Secret(verifier), scopes=scope,
            response_type=response_type, response_mode=mode, request_uri=request_uri,
            created_at=_utc(now), expires_at=_utc(now + lifetime), family=self.family.name,
            max_age=max_age,
        )  # fmt: skip

    def _redirect_uri(self, given: str | None) -> str:
        redirect = given or self.redirect_uri
        if not redirect:
            raise ConfigurationError(
                "An authorization needs the redirect URI registered for this client: pass "
                "redirect_uri=... or set BRADESCO_REDIRECT_URI."
            )
        return redirect

    def _request_object(self, params: Mapping[str, Any], issuer: str, now: float) -> str:
        key = self.credentials.require_signing_key("A signed request object (JAR)")
        return request_object(
            params,
            client_id=self.credentials.client_id,
            issuer=issuer,
            key=key,
            kid=self.credentials.signing_kid,
            algorithm=default_algorithm(key),
            now=now,
        )

    def _authorization_target(
        self, metadata: ServerMetadata, signed: str, params: Mapping[str, Any]
    ) -> tuple[str, str | None, int]:
        endpoint = metadata.require("authorization_endpoint", mtls=False)
        client_id = self.credentials.client_id
        if not self._uses_par(metadata):
            query = {"client_id": client_id, "response_type": str(params["response_type"]),
                     "scope": str(params["scope"]), "request": signed}  # fmt: skip
            return authorization_url(endpoint, query), None, REQUEST_OBJECT_LIFETIME
        self._count("par_requests")
        pushed = push_request(
            self.session,
            metadata.require("pushed_authorization_request_endpoint", mtls=self._mtls),
            signed,
            authentication=self._authentication,
            issuer=metadata.require_issuer(),
            token_endpoint=self._token_url(),
        )
        url = authorization_url(
            endpoint, {"client_id": client_id, "request_uri": pushed.request_uri}
        )
        return url, pushed.request_uri, pushed.expires_in

    def _uses_par(self, metadata: ServerMetadata) -> bool:
        available = (
            metadata.endpoint("pushed_authorization_request_endpoint", mtls=False) is not None
        )
        if self.par is False and metadata.flag("require_pushed_authorization_requests"):
            raise ConfigurationError(
                "The server requires pushed authorization requests; do not pass par=False."
            )
        if self.par is True and not available:
            raise ConfigurationError("par=True, but the server advertises no PAR endpoint.")
        return available if self.par is None else self.par

    def follow(self, pending: PendingAuthorization, *, max_redirects: int = 10) -> str:
        """Open `pending.url` as a browser would and follow redirects to the redirect URI.

        Works with servers that consent automatically (test servers, sandboxes); returns the
        redirect URL to pass to `finish`. The redirect URI itself is never requested.
        """
        url = pending.url
        for _ in range(max_redirects):
            response = self.session.request("GET", url, retry=NO_RETRY)
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not location:
                raise ServerRejectedError(
                    f"{response.url} answered {response.status_code} instead of redirecting; a "
                    "person must consent there. Open pending.url in a browser and paste the "
                    "redirect URL into client.finish.",
                    status=response.status_code,
                    url=response.url,
                    interaction_id=response.interaction_id,
                )
            url = urljoin(url, location)
            if _same_endpoint(url, pending.redirect_uri):
                return url
        raise ServerRejectedError(
            f"More than {max_redirects} redirects without reaching {pending.redirect_uri}."
        )

    def listen_for_redirect(
        self, pending: PendingAuthorization, *, timeout: float = 300.0, open_browser: bool = False
    ) -> str:
        """Wait on the loopback redirect URI for the browser; return the redirect URL.

        Only where the browser and the kernel share a host, and only for an
        `http://127.0.0.1:PORT/...` redirect URI registered with the server.
        """
        if open_browser:
            import webbrowser

            webbrowser.open(pending.url)
        return listen_for_redirect(pending.redirect_uri, timeout=timeout)

    def finish(self, pending: PendingAuthorization, redirect_url: str) -> Token:
        """Check the authorization response, then redeem the code; return the user's token.

        Everything is checked before the code is redeemed: the redirect URI, `state`, the
        issuer (`iss` parameter, ID token or JARM), an `error`, and - for `code id_token` - the
        ID token with its `nonce`, `c_hash` and `s_hash`. Any failure raises and nothing is
        sent to the token endpoint.
        """
        self._check_pending(pending)
        params = read_redirect(redirect_url, redirect_uri=pending.redirect_uri)
        params = self._verified_response(params, pending)
        raise_for_error(params)
        code = params.get("code")
        if not code:
            raise ResponseValidationError("The authorization response has no code.", check="code")
        Secret(code)  # registers the code with the log redactor
        front = (
            self._front_channel_claims(params, pending, code) if pending.expects_id_token else None
        )
        token = self._redeem(code, pending, front)
        return self._store_user_token(token, pending.scopes)

    def _check_pending(self, pending: PendingAuthorization) -> None:
        if pending.client_id != self.credentials.client_id or pending.issuer != self._issuer():
            raise ConfigurationError(
                f"This pending authorization belongs to client {pending.client_id!r} at "
                f"{pending.issuer!r}; finish it with that client."
            )

    def _verified_response(
        self, params: dict[str, str], pending: PendingAuthorization
    ) -> dict[str, str]:
        issuer = self._issuer()
        if pending.uses_jarm:
            params = self._jarm_params(params)
        check_state(params, pending.state.reveal())
        if not pending.uses_jarm:
            signed_issuer = "id_token" in params
            required = self.metadata().flag("authorization_response_iss_parameter_supported")
            check_issuer_parameter(params, issuer=issuer, required=required and not signed_issuer)
        return params

    def _jarm_params(self, params: Mapping[str, str]) -> dict[str, str]:
        response = params.get("response")
        if not response:
            raise ResponseValidationError(
                "A JARM response was expected (response=<JWT>), but the redirect carries none.",
                check="jarm.missing",
            )
        return verify_jarm(
            response,
            issuer=self._issuer(),
            client_id=self.credentials.client_id,
            algorithms=self.algorithms,
            keys=self._key_lookup(),
            decryption_key=self._decryption_key,
            now=self.clock(),
            leeway=self.leeway,
        )

    def _id_token_check(
        self, pending: PendingAuthorization | None, **specific: Any
    ) -> IdTokenCheck:
        return IdTokenCheck(
            issuer=self._issuer(),
            client_id=self.credentials.client_id,
            algorithms=self.algorithms,
            nonce=pending.nonce.reveal() if pending else None,
            auth_max_age=pending.max_age if pending else None,
            leeway=self.leeway,
            max_age=self.id_token_max_age,
            **specific,
        )

    def _validate_id_token(self, raw: str, check: IdTokenCheck) -> dict[str, Any]:
        return validate_id_token(
            raw,
            check,
            keys=self._key_lookup(),
            decryption_key=self._decryption_key,
            now=self.clock(),
        )

    def _front_channel_claims(
        self, params: Mapping[str, str], pending: PendingAuthorization, code: str
    ) -> dict[str, Any]:
        raw = params.get("id_token")
        if not raw:
            raise ResponseValidationError(
                "The authorization response has no id_token, but response_type 'code id_token' "
                "requires one.",
                check="id_token.missing",
            )
        check = self._id_token_check(pending, code=code, state=pending.state.reveal())
        return self._validate_id_token(raw, check)

    def _redeem(
        self, code: str, pending: PendingAuthorization, front: Mapping[str, Any] | None
    ) -> Token:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": pending.redirect_uri,
                "code_verifier": pending.code_verifier.reveal()}  # fmt: skip
        self._count("token_requests")
        result = self._endpoint().request(
            form, grant="authorization_code", requested_scope=pending.scopes
        )
        claims = self._back_channel_claims(result, pending, front)
        return _with_id_token(result, claims)

    def _back_channel_claims(
        self, result: TokenResponse, pending: PendingAuthorization, front: Mapping[str, Any] | None
    ) -> Mapping[str, Any] | None:
        if result.id_token is None:
            if front is None and "openid" in pending.scopes:
                raise ResponseValidationError(
                    "The token response has no id_token although openid was requested.",
                    check="id_token.missing",
                )
            return front
        check = self._id_token_check(
            pending, access_token=result.token.access_token.reveal(), previous=front
        )
        return self._validate_id_token(result.id_token, check)

    def _store_user_token(self, token: Token, scopes: tuple[str, ...]) -> Token:
        key = self._key("authorization_code", scopes)
        token = replace(token, cache_key=key)
        self.cache.put(key, token)
        with self._lock:
            self._user_key = key
        log.info("authorization finished: %r", token)
        return token

    # -- userinfo -------------------------------------------------------------------------------------
    def userinfo(self, token: Token | None = None) -> dict[str, Any]:
        """The user's claims from the UserInfo endpoint (over mTLS, with the user's token).

        A signed (`application/jwt`) answer is verified like an ID token's signature. Its `sub`
        must be exactly the ID token's (OpenID Connect Core §5.3.2); otherwise nothing from
        it is returned.
        """
        url = self.metadata().require("userinfo_endpoint", mtls=self._mtls)
        key = self._request_key(token, None)
        current = self._current_token(key, token)
        expected = (current.id_token_claims or {}).get("sub")
        if expected is None:
            raise ConfigurationError(
                "UserInfo is checked against the ID token's sub, and this token has no ID "
                "token: authorise with the openid scope."
            )
        response = self.request("GET", url, token=current)
        claims = self._userinfo_claims(response)
        if claims.get("sub") != expected:
            raise ResponseValidationError(
                "The UserInfo response is about another user (its sub differs from the ID "
                "token's); its claims are not used.",
                check="userinfo.sub",
            )
        return claims

    def _userinfo_claims(self, response: Response) -> dict[str, Any]:
        if response.headers.get("content-type", "").split(";")[0].strip() == "application/jwt":
            claims, _ = verify_signed(
                response.text.strip(),
                what="userinfo",
                algorithms=self.algorithms,
                keys=self._key_lookup(),
                decryption_key=self._decryption_key,
            )
            _check_signed_userinfo(
                claims, issuer=self._issuer(), client_id=self.credentials.client_id
            )
            return claims
        body = response.json()
        if not isinstance(body, dict):
            raise ResponseValidationError(
                "The UserInfo response is not a JSON object.", check="userinfo.format"
            )
        return body

    # -- signed resource payloads ------------------------------------------------------------------
    def verify_signed_payload(
        self,
        payload: str | Response,
        *,
        audience: str | None = None,
        issuer: str | None = None,
        jwks_uri: str | None = None,
        max_age: float = 300.0,
    ) -> dict[str, Any]:
        """Verify a signed resource payload (`application/jwt`, e.g. Open Finance consents).

        The signature must verify with a key from `jwks_uri` (default: the server's JWKS) and
        an allowed algorithm; `aud` (a string or an array) must hold `audience` (default: the
        client id - in Open Finance, your organisation id); `iss` must equal `issuer` when
        given; `iat` must be present and recent. Returns the claims.
        """
        raw = payload.text.strip() if isinstance(payload, Response) else payload.strip()
        claims, _ = verify_signed(
            raw,
            what="signed_payload",
            algorithms=self.algorithms,
            keys=self._key_lookup(jwks_uri),
            decryption_key=self._decryption_key,
        )
        check_payload_claims(
            claims,
            audience=audience or self.credentials.client_id,
            issuer=issuer,
            now=self.clock(),
            leeway=self.leeway,
            max_age=max_age,
        )
        return claims

    # -- refresh -------------------------------------------------------------------------------------
    def refresh(self, token: Token) -> Token:
        """Use `token`'s refresh token now; the rotated refresh token is stored atomically.

        If another thread already refreshed this token, its result is returned instead of
        spending the (rotated, now invalid) refresh token again.
        """
        key = token.cache_key or self._key(token.grant, token.scope)
        if self.cache.get(key) is None:
            self.cache.put(key, replace(token, cache_key=key))
        fresh, _ = self.cache.obtain(
            key, self._fetcher(key), margin=self.refresh_margin, reject=token
        )
        return fresh

    def _user_token_key(self, scopes: Collection[str] | None) -> CacheKey:
        if scopes is not None:
            return self._key("authorization_code", tuple(scopes))
        with self._lock:
            key = self._user_key
        if key is not None:
            return key
        prefix = (self._cache_issuer(), self.credentials.client_id, "authorization_code")
        stored = [k for k in self.cache.keys() if k[:3] == prefix]  # noqa: SIM118
        if len(stored) == 1:
            return stored[0]
        raise ConfigurationError(
            "No user token yet for this client: run pending = client.authorize(...) and "
            "client.finish(pending, redirect_url) first"
            + (" (several are cached: pass scopes=... to pick one)." if stored else ".")
        )

    def _refresh_grant(self, current: Token | None, key: CacheKey) -> Token:
        if current is None or current.refresh_token is None:
            raise ConfigurationError(
                "The user's token expired and there is no refresh token: authorise again with "
                "client.authorize(...)."
            )
        form = {"grant_type": "refresh_token", "refresh_token": current.refresh_token.reveal()}
        self._count("token_requests")
        self._count("refreshes")
        result = self._endpoint().request(
            form, grant="authorization_code", requested_scope=current.scope
        )
        claims = current.id_token_claims
        if result.id_token is not None:
            check = self._id_token_check(
                None, access_token=result.token.access_token.reveal(), previous=claims
            )
            claims = self._validate_id_token(result.id_token, check)
        refreshed = _with_id_token(result, claims)
        rotated = refreshed.refresh_token or current.refresh_token  # no new one: keep the old
        return replace(refreshed, cache_key=key, refresh_token=rotated)

    # -- lifecycle and display ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the session's pooled connections."""
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Client({self.environment.name!r}, family={self.family.name!r}, "
            f"client_id={self.credentials.client_id!r}, auth={self.auth_method!r}, grant={self.family.grant!r})"
        )

    def _repr_html_(self) -> str:
        rows = [
            ("environment", self.environment.name),
            ("family", self.family.name),
            ("grant", self.family.grant),
            ("client id", self.credentials.client_id),
            ("client authentication", self.auth_method),
            ("certificate", self.identity.subject if self.identity else "none"),
            ("cached tokens", len(self.cache)),
        ]
        return card("OAuth client", facts_table(rows))


# -- module helpers ------------------------------------------------------------------------------------
def _check_signed_userinfo(claims: Mapping[str, Any], *, issuer: str, client_id: str) -> None:
    """OpenID Connect Core §5.3.2: `iss` and `aud`, when present, name this issuer and client."""
    aud = claims.get("aud", client_id)
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if claims.get("iss", issuer) != issuer or client_id not in audiences:
        raise ResponseValidationError(
            "The signed UserInfo response names another issuer or audience (iss/aud).",
            check="userinfo.iss",
        )


def _with_id_token(result: TokenResponse, claims: Mapping[str, Any] | None) -> Token:
    raw = Secret(result.id_token) if result.id_token else None
    return replace(result.token, id_token_claims=dict(claims) if claims else None, id_token=raw)


def _invalid_token(response: Response) -> bool:
    if response.status_code != 401:
        return False
    return bool(_INVALID_TOKEN.search(response.headers.get("WWW-Authenticate", "")))


def _same_endpoint(url: str, redirect_uri: str) -> bool:
    a, b = urlsplit(url), urlsplit(redirect_uri)
    return (a.scheme, a.netloc, a.path) == (b.scheme, b.netloc, b.path)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)
