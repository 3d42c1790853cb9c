"""A strict FAPI 1.0 Advanced authorization server + resource server for the client's tests.

Built on the sandbox's server core (real HTTPS + mTLS on loopback). It checks what a
conformance-suite server checks - client authentication of every method, request objects,
PAR, PKCE, one-time codes and assertions, certificate-bound tokens, X-Brad signatures - and
it can be told to return exactly the bad response a test needs, through hooks:

- `mutate_discovery(doc)`;
- `mutate_id_token(claims, header, where) -> raw | None` (`where` is "authorization", "token"
  or "refresh"; return a complete token to replace the signed one);
- `mutate_jarm(claims, header) -> raw | None`;
- `mutate_response(params)` (the authorization response parameters);
- `mutate_token_response(body, grant)`;
- `mutate_registration_response(body, where)` (`where` is "register", "read" or "update").

Dynamic client registration (`/register`, `/register/{client_id}`) is on once a test sets
`server.registration.directory` (see `RegistrationEndpoint`).

Every request is logged (`calls(path)`), so tests can assert that the client never reached
the token or resource endpoint after a bad response.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus, urlencode

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bradesco_explore.auth._jose import half_hash
from bradesco_explore.identity import CertificateAuthority, Identity
from bradesco_explore.identity._names import distinguished_name
from bradesco_explore.sandbox._server import Reply, Request, Router, TLSServer, json_reply

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FAPI = ["PS256", "ES256"]


@dataclass
class Registration:
    """A registered client and how it must authenticate."""

    client_id: str
    method: str
    secret: str | None = None
    public_key: Any = None  # private_key_jwt, request objects
    subject: str | None = None  # tls_client_auth: the certificate subject DN
    thumbprint: str | None = None  # self_signed_tls_client_auth: x5t#S256
    legacy_key: Any = None  # Bradesco jwt-bearer: the registered certificate's public key
    redirect_uris: tuple[str, ...] = ()


@dataclass
class Issued:
    client_id: str
    scope: str
    expires_at: float
    thumbprint: str | None
    generation: int = 0
    grant: str = "client_credentials"


@dataclass
class SigningKey:
    kid: str | None
    key: Any
    alg: str = "PS256"
    published: bool = True


@dataclass
class Hooks:
    mutate_discovery: Callable[[dict[str, Any]], None] | None = None
    mutate_id_token: Callable[[dict[str, Any], dict[str, Any], str], str | None] | None = None
    mutate_jarm: Callable[[dict[str, Any], dict[str, Any]], str | None] | None = None
    mutate_response: Callable[[dict[str, str]], None] | None = None
    mutate_token_response: Callable[[dict[str, Any], str], None] | None = None
    mutate_userinfo: Callable[[dict[str, Any]], str | None] | None = None
    mutate_registration_response: Callable[[dict[str, Any], str], None] | None = None


@dataclass
class Settings:
    token_lifetime: int = 300
    par: bool = True
    iss_parameter: bool = True
    advertise_iss_parameter: bool = True
    mtls_aliases: bool = False
    rotate_refresh_tokens: bool = True
    refresh_id_token: bool = False
    bound_tokens: bool = True
    require_refreshes: int = 0  # resource answers 401 invalid_token until this many refreshes
    auto_consent: bool = True
    jwks_available: bool = True
    rotate_registration_tokens: bool = True


class FapiServer:
    """The test authorization + resource server. `url` is its issuer."""

    def __init__(
        self,
        server_identity: Identity,
        client_ca_pem: bytes,
        signing_keys: list[SigningKey],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self.keys = signing_keys
        self.hooks = Hooks()
        self.settings = Settings()
        self.clients: dict[str, Registration] = {}
        self.log: list[tuple[str, str]] = []
        self.counters: Counter[str] = Counter()
        self.problems: list[str] = []  # requests the server refused as invalid (for load tests)
        self._lock = threading.Lock()
        self._seen_jti: set[str] = set()
        self._seen_nonces: set[str] = set()
        self._par: dict[str, dict[str, Any]] = {}
        self._codes: dict[str, dict[str, Any]] = {}
        self._access: dict[str, Issued] = {}
        self._refresh: dict[str, Issued] = {}
        self.last_request_object: dict[str, Any] | None = None
        self.raw_request_objects: list[str] = []
        self.last_assertion: dict[str, Any] | None = None
        self.last_token_form: dict[str, str] | None = None
        router = Router()
        router.before.append(self._record)
        router.add("GET", "/.well-known/openid-configuration", self._discovery)
        router.add("GET", "/jwks", self._jwks)
        router.add("POST", "/par", self._par_endpoint)
        router.add("POST", "/plain/par", self._plain)
        router.add("GET", "/authorize", self._authorize)
        router.add("POST", "/token", self._token)
        router.add("POST", "/plain/token", self._plain)
        router.add("GET", "/accounts", self._accounts)
        router.add("GET", "/userinfo", self._userinfo)
        router.add("POST", "/v1/boleto/registrarBoleto", self._legacy_boleto)
        self.registration = RegistrationEndpoint(self)
        self.registration.add_routes(router)
        router.add("POST", "/plain/register", self._plain)
        self.server = TLSServer(router, server_identity, client_ca_pem, client_cert="optional")

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.server.base_url

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def discovery_url(self) -> str:
        return self.url + "/.well-known/openid-configuration"

    def start(self) -> FapiServer:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def register(self, registration: Registration) -> Registration:
        self.clients[registration.client_id] = registration
        return registration

    def calls(self, path: str) -> int:
        """How many requests reached `path`."""
        with self._lock:
            return sum(1 for _, p in self.log if p == path)

    def _record(self, request: Request) -> Reply | None:
        with self._lock:
            self.log.append((request.method, request.path))
        return None

    def _now(self) -> float:
        return self.clock()

    # -- discovery and keys -------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        base = self.url
        prefix = base + "/plain" if self.settings.mtls_aliases else base
        doc: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": prefix + "/token",
            "jwks_uri": base + "/jwks",
            "userinfo_endpoint": base + "/userinfo",
            "response_types_supported": ["code id_token", "code"],
            "response_modes_supported": ["fragment", "jwt", "query.jwt"],
            "id_token_signing_alg_values_supported": ["PS256"],
            "token_endpoint_auth_methods_supported": [
                "private_key_jwt", "client_secret_basic", "client_secret_post",
                "tls_client_auth", "self_signed_tls_client_auth",
            ],
            "tls_client_certificate_bound_access_tokens": True,
            "authorization_response_iss_parameter_supported": self.settings.advertise_iss_parameter,
        }  # fmt: skip
        if self.settings.par:
            doc["pushed_authorization_request_endpoint"] = prefix + "/par"
            doc["require_pushed_authorization_requests"] = True
        if self.settings.mtls_aliases:
            doc["mtls_endpoint_aliases"] = {
                "token_endpoint": base + "/token",
                "pushed_authorization_request_endpoint": base + "/par",
            }
        if self.registration.directory is not None:
            doc["registration_endpoint"] = prefix + "/register"
            if self.settings.mtls_aliases:
                doc["mtls_endpoint_aliases"]["registration_endpoint"] = base + "/register"
        if self.hooks.mutate_discovery:
            self.hooks.mutate_discovery(doc)
        return doc

    def _discovery(self, request: Request) -> Reply:
        return json_reply(200, self.metadata())

    def jwks(self) -> dict[str, Any]:
        keys = []
        for k in self.keys:
            if not k.published:
                continue
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(k.key.public_key(), as_dict=True)
            jwk.update({"use": "sig", "alg": k.alg})
            if k.kid:
                jwk["kid"] = k.kid
            keys.append(jwk)
        return {"keys": keys}

    def _jwks(self, request: Request) -> Reply:
        self.counters["jwks"] += 1
        if not self.settings.jwks_available:
            return json_reply(503, {"message": "down"})
        return json_reply(200, self.jwks())

    def _plain(self, request: Request) -> Reply:
        return json_reply(
            400, {"error": "invalid_request", "error_description": "use the mtls_endpoint_aliases"}
        )

    def sign(
        self,
        claims: dict[str, Any],
        header: dict[str, Any] | None = None,
        *,
        key: SigningKey | None = None,
    ) -> str:
        chosen = key or self.keys[0]
        head = {"kid": chosen.kid} if chosen.kid else {}
        head.update(header or {})
        alg = head.pop("alg", chosen.alg)
        return jwt.encode(claims, chosen.key, algorithm=alg, headers=head)

    # -- client authentication ------------------------------------------------------------------
    def _client(
        self, request: Request, form: dict[str, str], endpoint: str
    ) -> Registration | Reply:
        client_id = form.get("client_id")
        basic = request.header("Authorization")
        if basic and basic.startswith("Basic "):
            decoded = base64.b64decode(basic[6:]).decode()
            cid, _, secret = decoded.partition(":")
            client_id = unquote_plus(cid)
            reg = self.clients.get(client_id)
            if (
                reg
                and reg.method == "client_secret_basic"
                and reg.secret == unquote_plus(secret)
                and "client_secret" not in form
            ):
                return reg
            return _invalid_client("bad basic credentials")
        reg = self.clients.get(client_id or "")
        if reg is None:
            return _invalid_client("unknown client")
        check = {
            "client_secret_post": lambda: form.get("client_secret") == reg.secret,
            "private_key_jwt": lambda: self._check_assertion(form, reg),
            "tls_client_auth": lambda: (
                request.client_cert is not None
                and distinguished_name(request.client_cert.subject) == reg.subject
            ),
            "self_signed_tls_client_auth": lambda: request.cert_thumbprint == reg.thumbprint,
            "none": lambda: True,
        }[reg.method]
        if reg.method != "client_secret_post" and "client_secret" in form:
            return _invalid_client("client_secret sent for a non-secret method")
        return reg if check() else _invalid_client(f"{reg.method} failed")

    def _check_assertion(self, form: dict[str, str], reg: Registration) -> bool:
        if form.get("client_assertion_type") != ASSERTION_TYPE or "client_assertion" not in form:
            return False
        try:
            claims = jwt.decode(
                form["client_assertion"],
                reg.public_key,
                algorithms=FAPI,
                options={"verify_aud": False},
            )
        except jwt.PyJWTError:
            return False
        self.last_assertion = claims
        allowed = {self.issuer, self.url + "/token", self.url + "/plain/token"}
        aud = claims.get("aud")
        auds = [aud] if isinstance(aud, str) else aud or []
        ok = (
            claims.get("iss") == claims.get("sub") == reg.client_id
            and any(a in allowed for a in auds)
            and all(k in claims for k in ("jti", "exp", "iat"))
            and claims["exp"] - claims["iat"] <= 60
        )
        with self._lock:
            if claims.get("jti") in self._seen_jti:
                return False
            self._seen_jti.add(claims["jti"])
        return ok

    # -- PAR and authorization ------------------------------------------------------------------
    def _par_endpoint(self, request: Request) -> Reply:
        self.counters["par"] += 1
        form = request.form()
        if request.client_cert is None:
            return json_reply(
                401, {"error": "invalid_client", "error_description": "mTLS required"}
            )
        reg = self._client(request, form, "par")
        if isinstance(reg, Reply):
            return reg
        if "request_uri" in form or "request" not in form:
            return json_reply(
                400, {"error": "invalid_request", "error_description": "request object required"}
            )
        params = self._request_object(form["request"], reg)
        if isinstance(params, Reply):
            return params
        uri = "urn:ietf:params:oauth:request_uri:" + secrets.token_urlsafe(16)
        with self._lock:
            self._par[uri] = params | {"_expires": self._now() + 60}
        return json_reply(201, {"request_uri": uri, "expires_in": 60})

    def _request_object(self, raw: str, reg: Registration) -> dict[str, Any] | Reply:
        self.raw_request_objects.append(raw)
        try:
            header = jwt.get_unverified_header(raw)
            claims = jwt.decode(
                raw, reg.public_key, algorithms=FAPI, audience=self.issuer, issuer=reg.client_id
            )
        except jwt.PyJWTError as exc:
            return json_reply(
                400, {"error": "invalid_request_object", "error_description": str(exc)}
            )
        self.last_request_object = claims | {"_header": header}
        problems = [
            name
            for name, ok in (
                ("typ", header.get("typ") == "oauth-authz-req+jwt"),
                ("client_id", claims.get("client_id") == reg.client_id),
                ("redirect_uri", claims.get("redirect_uri") in reg.redirect_uris),
                ("exp", "exp" in claims and claims["exp"] - self._now() <= 3600),
                ("nbf", "nbf" in claims and claims["nbf"] <= self._now() + 5),
                (
                    "pkce",
                    claims.get("code_challenge_method") == "S256" and "code_challenge" in claims,
                ),
                ("nonce", "openid" not in claims.get("scope", "").split() or "nonce" in claims),
                ("state", "state" in claims),
                ("response_type", claims.get("response_type") in ("code id_token", "code")),
                ("no sub", "sub" not in claims),
            )
            if not ok
        ]
        if problems:
            return json_reply(
                400, {"error": "invalid_request_object", "error_description": ", ".join(problems)}
            )
        return claims

    def _authorize(self, request: Request) -> Reply:
        self.counters["authorize"] += 1
        client_id = request.arg("client_id") or ""
        reg = self.clients.get(client_id)
        if reg is None:
            return json_reply(400, {"error": "invalid_request"})
        params = self._authorization_params(request, reg)
        if isinstance(params, Reply):
            return params
        if not self.settings.auto_consent:
            return Reply(200, b"<html>consent page</html>", {"Content-Type": "text/html"})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = params | {"client_id": client_id, "thumbprint": None}
        return Reply(302, b"", {"Location": self._redirect(params, code, client_id)})

    def _authorization_params(self, request: Request, reg: Registration) -> dict[str, Any] | Reply:
        uri = request.arg("request_uri")
        if uri:
            with self._lock:
                params = self._par.pop(uri, None)
            if params is None or params["_expires"] < self._now():
                return json_reply(400, {"error": "invalid_request_uri"})
            return params
        if self.settings.par:
            return json_reply(
                400, {"error": "invalid_request", "error_description": "PAR required"}
            )
        raw = request.arg("request")
        if not raw:
            return json_reply(400, {"error": "invalid_request"})
        return self._request_object(raw, reg)

    def _redirect(self, params: dict[str, Any], code: str, client_id: str) -> str:
        redirect = params["redirect_uri"]
        if (params.get("response_mode") or "").endswith("jwt"):
            claims = {
                "iss": self.issuer,
                "aud": client_id,
                "exp": int(self._now()) + 600,
                "code": code,
                "state": params["state"],
            }
            header: dict[str, Any] = {}
            raw = self.hooks.mutate_jarm(claims, header) if self.hooks.mutate_jarm else None
            out = {"response": raw or self.sign(claims, header)}
            if self.hooks.mutate_response:
                self.hooks.mutate_response(out)
            separator = "#" if params.get("response_mode") == "fragment.jwt" else "?"
            return redirect + separator + urlencode(out)
        out = {"code": code, "state": params["state"]}
        if "id_token" in params["response_type"].split():
            out["id_token"] = self.id_token(
                client_id, params, where="authorization", code=code, state=params["state"]
            )
        if self.settings.iss_parameter:
            out["iss"] = self.issuer
        if self.hooks.mutate_response:
            self.hooks.mutate_response(out)
        return redirect + "#" + urlencode(out)

    def id_token(
        self,
        client_id: str,
        params: dict[str, Any],
        *,
        where: str,
        code: str | None = None,
        state: str | None = None,
        access_token: str | None = None,
        sub: str = "user-76109277673",
    ) -> str:
        now = int(self._now())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": client_id,
            "exp": now + 300,
            "iat": now,
            "auth_time": now,
            "acr": "urn:brasil:openbanking:loa2",
        }
        if params.get("nonce") and where != "refresh":
            claims["nonce"] = params["nonce"]
        for name, value in (("c_hash", code), ("s_hash", state), ("at_hash", access_token)):
            if value is not None:
                claims[name] = half_hash(value, "PS256")
        header: dict[str, Any] = {}
        raw = (
            self.hooks.mutate_id_token(claims, header, where)
            if self.hooks.mutate_id_token
            else None
        )
        return raw or self.sign(claims, header)

    # -- token endpoint --------------------------------------------------------------------------
    def _token(self, request: Request) -> Reply:
        form = request.form()
        self.last_token_form = form
        grant = form.get("grant_type", "")
        self.counters["token"] += 1
        self.counters[f"token:{grant}"] += 1
        if grant == JWT_BEARER:
            return self._jwt_bearer(request, form)
        reg = self._client(request, form, "token")
        if isinstance(reg, Reply):
            return reg
        handler = {
            "client_credentials": self._client_credentials,
            "authorization_code": self._authorization_code,
            "refresh_token": self._refresh_token,
        }.get(grant)
        if handler is None:
            return json_reply(400, {"error": "unsupported_grant_type"})
        return handler(request, form, reg)

    def _issue(
        self, request: Request, reg: Registration, scope: str, *, grant: str, generation: int = 0
    ) -> dict[str, Any]:
        lifetime = self.settings.token_lifetime
        thumbprint = request.cert_thumbprint if self.settings.bound_tokens else None
        if thumbprint:
            access = self.sign(
                {
                    "cnf": {"x5t#S256": thumbprint},
                    "jti": secrets.token_urlsafe(12),
                    "client_id": reg.client_id,
                }
            )
        else:
            access = "at-" + secrets.token_urlsafe(24)
        with self._lock:
            self._access[access] = Issued(
                reg.client_id, scope, self._now() + lifetime, thumbprint, generation, grant
            )
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": scope,
        }
        if grant == "authorization_code":
            refresh = "rt-" + secrets.token_urlsafe(24)
            with self._lock:
                self._refresh[refresh] = Issued(
                    reg.client_id, scope, self._now() + 86400, thumbprint, generation, grant
                )
            body["refresh_token"] = refresh
        return body

    def _client_credentials(
        self, request: Request, form: dict[str, str], reg: Registration
    ) -> Reply:
        body = self._issue(request, reg, form.get("scope", ""), grant="client_credentials")
        return self._token_reply(body, "client_credentials")

    def _authorization_code(
        self, request: Request, form: dict[str, str], reg: Registration
    ) -> Reply:
        with self._lock:
            params = self._codes.pop(form.get("code", ""), None)
        if params is None or params["client_id"] != reg.client_id:
            return json_reply(
                400, {"error": "invalid_grant", "error_description": "code unknown or used"}
            )
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            challenge != params["code_challenge"]
            or form.get("redirect_uri") != params["redirect_uri"]
        ):
            return json_reply(
                400,
                {"error": "invalid_grant", "error_description": "PKCE or redirect_uri mismatch"},
            )
        body = self._issue(request, reg, params["scope"], grant="authorization_code")
        if "openid" in params["scope"].split():
            body["id_token"] = self.id_token(
                reg.client_id, params, where="token", access_token=body["access_token"]
            )
        return self._token_reply(body, "authorization_code")

    def _refresh_token(self, request: Request, form: dict[str, str], reg: Registration) -> Reply:
        with self._lock:
            old = self._refresh.get(form.get("refresh_token", ""))
            if old is not None and self.settings.rotate_refresh_tokens:
                del self._refresh[form["refresh_token"]]
        if old is None or old.client_id != reg.client_id:
            return json_reply(
                400,
                {"error": "invalid_grant", "error_description": "refresh token unknown or rotated"},
            )
        body = self._issue(
            request, reg, old.scope, grant="authorization_code", generation=old.generation + 1
        )
        if not self.settings.rotate_refresh_tokens:
            body.pop("refresh_token")
        if self.settings.refresh_id_token:
            body["id_token"] = self.id_token(
                reg.client_id, {}, where="refresh", access_token=body["access_token"]
            )
        self.counters["refreshes"] += 1
        return self._token_reply(body, "refresh_token")

    def _jwt_bearer(self, request: Request, form: dict[str, str]) -> Reply:
        assertion = form.get("assertion", "")
        try:
            sub = jwt.decode(assertion, options={"verify_signature": False}).get("sub")
            reg = self.clients[sub]
            claims = jwt.decode(
                assertion, reg.legacy_key, algorithms=["RS256"], audience=self.url + "/token"
            )
        except (jwt.PyJWTError, KeyError) as exc:
            return json_reply(
                401, {"code": 401, "message": f"assertion refused: {type(exc).__name__}"}
            )
        self.last_assertion = claims
        with self._lock:
            replay = claims["jti"] in self._seen_jti
            self._seen_jti.add(claims["jti"])
        ok = (
            not replay
            and claims["jti"].isdigit()
            and claims.get("ver") in ("1.1", "1.2")
            and claims["exp"] - claims["iat"] <= 3600
        )
        if not ok or "client_id" in form or request.header("Authorization"):
            return json_reply(401, {"code": 401, "message": "assertion refused"})
        return self._token_reply(
            self._issue(request, reg, form.get("scope", ""), grant="jwt_bearer"), JWT_BEARER
        )

    def _token_reply(self, body: dict[str, Any], grant: str) -> Reply:
        if self.hooks.mutate_token_response:
            self.hooks.mutate_token_response(body, grant)
        return json_reply(200, body, **{"Cache-Control": "no-store"})

    # -- resources ----------------------------------------------------------------------------------
    def _bearer(self, request: Request) -> Issued | Reply:
        header = request.header("Authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        with self._lock:
            issued = self._access.get(token)
        if issued is None or issued.expires_at <= self._now():
            with self._lock:
                self.problems.append("no valid token" if issued is None else "expired token")
            return _invalid_token()
        if issued.thumbprint and issued.thumbprint != request.cert_thumbprint:
            with self._lock:
                self.problems.append("token not bound to this certificate")
            return _invalid_token()
        return issued

    def _accounts(self, request: Request) -> Reply:
        issued = self._bearer(request)
        if isinstance(issued, Reply):
            return issued
        if issued.generation < self.settings.require_refreshes:
            return _invalid_token()
        self.counters["resource_ok"] += 1
        return json_reply(200, {"data": [{"accountId": "acc-1", "brandName": "Bradesco"}]})

    def _userinfo(self, request: Request) -> Reply:
        issued = self._bearer(request)
        if isinstance(issued, Reply):
            return issued
        claims: dict[str, Any] = {"sub": "user-76109277673", "name": "Fulano"}
        if self.hooks.mutate_userinfo:
            result = self.hooks.mutate_userinfo(claims)
            if result is not None:
                return Reply(200, result.encode(), {"Content-Type": "application/jwt"})
        return json_reply(200, claims)

    def _legacy_boleto(self, request: Request) -> Reply:
        issued = self._bearer(request)
        if isinstance(issued, Reply):
            return issued
        reg = self.clients[issued.client_id]
        h = request.header
        text = "\n".join([request.method, request.path, _raw_query(request), request.body.decode(),
                          (h("Authorization") or "")[7:], h("X-Brad-Nonce") or "", h("X-Brad-Timestamp") or "", "SHA256"])  # fmt: skip
        try:
            reg.legacy_key.verify(
                base64.b64decode(h("X-Brad-Signature") or ""),
                text.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            return json_reply(401, {"code": 401, "message": "X-Brad-Signature invalid"})
        nonce = h("X-Brad-Nonce") or ""
        with self._lock:
            replay = nonce in self._seen_nonces
            self._seen_nonces.add(nonce)
        if replay or h("access-token") != reg.client_id or h("X-Brad-Algorithm") != "SHA256":
            return json_reply(401, {"code": 401, "message": "nonce replayed or headers wrong"})
        self.counters["legacy_ok"] += 1
        return json_reply(200, {"status": "registrado"})


def _raw_query(request: Request) -> str:
    return urlencode([(k, v) for k, vs in request.query.items() for v in vs])


def _invalid_client(reason: str) -> Reply:
    return json_reply(401, {"error": "invalid_client", "error_description": reason})


def _invalid_token() -> Reply:
    return json_reply(
        401, {"error": "invalid_token"}, **{"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


def new_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def start_server(
    ca: CertificateAuthority,
    server_identity: Identity,
    keys: list[SigningKey],
    *,
    extra_ca_pem: bytes = b"",
    clock: Callable[[], float] = time.time,
) -> FapiServer:
    return FapiServer(server_identity, ca.certificate_pem + extra_ca_pem, keys, clock=clock).start()


@dataclass
class FakeClock:
    """A clock tests move by hand (shared by client and server)."""

    now: float = field(default_factory=time.time)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


# -- dynamic client registration (RFC 7591 / RFC 7592, Open Finance Brasil DCR) -----------------------
STATEMENT_MAX_AGE = 300
FAPI_AUTH_METHODS = frozenset({"private_key_jwt", "tls_client_auth", "self_signed_tls_client_auth"})
SERVER_FIELDS = frozenset(
    {"registration_access_token", "registration_client_uri", "client_secret_expires_at",
     "client_id_issued_at"}
)  # fmt: skip
SHORT_NAMES = {
    "CN": "2.5.4.3", "L": "2.5.4.7", "ST": "2.5.4.8", "O": "2.5.4.10", "OU": "2.5.4.11",
    "C": "2.5.4.6", "STREET": "2.5.4.9", "DC": "0.9.2342.19200300.100.1.25",
    "UID": "0.9.2342.19200300.100.1.1",
}  # fmt: skip


@dataclass
class Directory:
    """The participants' directory: signs software statements and hosts each software's keys.

    `keystore` maps a `software_jwks_uri` to the JWKS published there: what the server reads
    when a client registers that `jwks_uri` (a real server fetches it).
    """

    key: rsa.RSAPrivateKey
    keystore: dict[str, dict[str, Any]] = field(default_factory=dict)
    kid: str = "directory-1"

    def software_statement(
        self,
        *,
        software_id: str,
        jwks_uri: str,
        redirect_uris: list[str],
        age: float = 0,
        alg: str = "PS256",
        key: Any = None,
        **extra: Any,
    ) -> str:
        """A signed SSA issued `age` seconds ago (by `key` instead of the directory's, if given)."""
        claims = {
            "iss": "Open Banking Brasil sandbox SSA issuer",
            "iat": int(time.time() - age),
            "jti": secrets.token_urlsafe(12),
            "software_id": software_id,
            "software_client_id": software_id,
            "software_jwks_uri": jwks_uri,
            "software_redirect_uris": redirect_uris,
            "software_roles": ["DADOS"],
            "org_id": "74e929d9-33b6-4d85-8ba7-c146c867a817",
            "org_name": "TPP Exemplo",
        } | extra
        return jwt.encode(claims, key or self.key, algorithm=alg, headers={"kid": self.kid})


@dataclass
class DynamicClient:
    """A client registered through `/register`: its metadata, statement and current RAT."""

    metadata: dict[str, Any]
    statement: dict[str, Any]
    access_token: str


class RegistrationEndpoint:
    """`POST /register` and `GET/PUT/DELETE /register/{client_id}`, as strict as OFB DCR.

    Registration requires mTLS, a directory-signed (PS256) software statement no older than
    5 minutes and not used before, `jwks_uri` equal to its `software_jwks_uri` (no `jwks` by
    value), `redirect_uris` within its `software_redirect_uris`, a FAPI auth method and
    consistent grant and response types. Management requires mTLS and the current
    registration access token, which every GET and PUT replaces (the old one is refused).
    """

    def __init__(self, server: FapiServer) -> None:
        self.server = server
        self.directory: Directory | None = None
        self.clients: dict[str, DynamicClient] = {}
        self.requests: list[dict[str, Any]] = []  # every registration / update body received
        self.thumbprints: list[str | None] = []  # the certificate presented with each
        self._used: set[str] = set()
        self._lock = threading.Lock()

    def add_routes(self, router: Router) -> None:
        router.add("POST", "/register", self.register)
        router.add("GET", "/register/{client_id}", self.read)
        router.add("PUT", "/register/{client_id}", self.update)
        router.add("DELETE", "/register/{client_id}", self.delete)

    # -- registration ----------------------------------------------------------------------------
    def register(self, request: Request) -> Reply:
        self.server.counters["register"] += 1
        body = self._body(request)
        if isinstance(body, Reply):
            return body
        statement = self._statement(body.get("software_statement"))
        if isinstance(statement, Reply):
            return statement
        refused = self._check(body, statement, request)
        if refused is not None:
            return refused
        with self._lock:
            if body["software_statement"] in self._used:
                return _dcr_error("invalid_software_statement", "statement already used")
            self._used.add(body["software_statement"])
        client_id = "dcr-" + secrets.token_urlsafe(8)
        self._enrol(client_id, body, statement, request)
        return self._answer(201, client_id, "register")

    def _body(self, request: Request) -> dict[str, Any] | Reply:
        if request.client_cert is None:
            return _invalid_client("registration requires mTLS")
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _dcr_error("invalid_client_metadata", "the body is not a JSON object")
        with self._lock:
            self.requests.append(body)
            self.thumbprints.append(request.cert_thumbprint)
        return body

    def _statement(self, raw: Any) -> dict[str, Any] | Reply:
        assert self.directory is not None, "set server.registration.directory first"
        if not isinstance(raw, str):
            return _dcr_error("invalid_software_statement", "software_statement is required")
        try:
            claims = jwt.decode(
                raw,
                self.directory.key.public_key(),
                algorithms=["PS256"],
                options={"require": ["iat"], "verify_aud": False},
            )
        except jwt.PyJWTError as exc:
            return _dcr_error("invalid_software_statement", f"not verified: {type(exc).__name__}")
        age = time.time() - claims["iat"]
        if not -60 <= age <= STATEMENT_MAX_AGE:
            return _dcr_error("invalid_software_statement", f"issued {int(age)} s ago")
        return dict(claims)

    def _check(
        self, body: dict[str, Any], statement: dict[str, Any], request: Request
    ) -> Reply | None:
        assert self.directory is not None
        method, uris = body.get("token_endpoint_auth_method"), body.get("redirect_uris")
        allowed_uris = set(statement.get("software_redirect_uris") or [])
        checks = [
            ("invalid_client_metadata", "jwks by value is not accepted", "jwks" not in body),
            ("invalid_client_metadata", "jwks_uri must equal software_jwks_uri",
             body.get("jwks_uri") == statement.get("software_jwks_uri")),
            ("invalid_redirect_uri", "redirect_uris must be within software_redirect_uris",
             isinstance(uris, list) and bool(uris) and set(uris) <= allowed_uris),
            ("invalid_client_metadata", "auth method not allowed", method in FAPI_AUTH_METHODS),
            ("invalid_client_metadata", "tls_client_auth_subject_dn does not match the certificate",
             method != "tls_client_auth" or _subject_matches(body, request)),
            ("invalid_client_metadata", "grant_types do not fit response_types", _consistent(body)),
            ("invalid_client_metadata", "jwks_uri could not be fetched",
             body.get("jwks_uri") in self.directory.keystore),
        ]  # fmt: skip
        for error, description, ok in checks:
            if not ok:
                return _dcr_error(error, description)
        return None

    def _enrol(
        self, client_id: str, body: dict[str, Any], statement: dict[str, Any], request: Request
    ) -> None:
        assert self.directory is not None and request.client_cert is not None
        jwks = self.directory.keystore[body["jwks_uri"]]
        method = body["token_endpoint_auth_method"]
        self.server.register(
            Registration(
                client_id,
                method,
                public_key=jwt.PyJWK(jwks["keys"][0]).key,
                subject=distinguished_name(request.client_cert.subject),
                thumbprint=request.cert_thumbprint,
                redirect_uris=tuple(body["redirect_uris"]),
            )
        )
        metadata = body | {"client_id": client_id, "client_id_issued_at": int(time.time())}
        with self._lock:
            self.clients[client_id] = DynamicClient(metadata, statement, _new_rat())

    def _answer(self, status: int, client_id: str, where: str) -> Reply:
        client = self.clients[client_id]
        body = dict(client.metadata) | {
            "registration_client_uri": f"{self.server.url}/register/{client_id}",
            "registration_access_token": client.access_token,
        }
        if self.server.hooks.mutate_registration_response:
            self.server.hooks.mutate_registration_response(body, where)
        return json_reply(status, body, **{"Cache-Control": "no-store"})

    # -- management (RFC 7592) ---------------------------------------------------------------------
    def read(self, request: Request) -> Reply:
        client = self._authorised(request)
        if isinstance(client, Reply):
            return client
        self._rotate(client)
        return self._answer(200, request.params["client_id"], "read")

    def update(self, request: Request) -> Reply:
        client = self._authorised(request)
        if isinstance(client, Reply):
            return client
        body = self._body(request)
        if isinstance(body, Reply):
            return body
        client_id = request.params["client_id"]
        if body.get("client_id") != client_id or SERVER_FIELDS & set(body):
            return _dcr_error("invalid_request", "client_id missing or server fields sent")
        statement = (
            self._statement(body["software_statement"])
            if "software_statement" in body
            else client.statement
        )
        if isinstance(statement, Reply):
            return statement
        refused = self._check(body, statement, request)
        if refused is not None:
            return refused
        issued = client.metadata["client_id_issued_at"]
        client.metadata, client.statement = body | {"client_id_issued_at": issued}, statement
        self.server.clients[client_id].redirect_uris = tuple(body["redirect_uris"])
        self._rotate(client)
        return self._answer(200, client_id, "update")

    def delete(self, request: Request) -> Reply:
        client = self._authorised(request)
        if isinstance(client, Reply):
            return client
        with self._lock:
            self.clients.pop(request.params["client_id"], None)
            self.server.clients.pop(request.params["client_id"], None)
        return Reply(204)

    def _authorised(self, request: Request) -> DynamicClient | Reply:
        self.server.counters["registration_management"] += 1
        if request.client_cert is None:
            return _invalid_client("registration management requires mTLS")
        header = request.header("Authorization") or ""
        token = header[7:] if header.startswith("Bearer ") else ""
        with self._lock:
            client = self.clients.get(request.params["client_id"])
        if client is None or not token or not secrets.compare_digest(token, client.access_token):
            return _invalid_token()
        return client

    def _rotate(self, client: DynamicClient) -> None:
        if self.server.settings.rotate_registration_tokens:
            with self._lock:
                client.access_token = _new_rat()


def _new_rat() -> str:
    return "rat-" + secrets.token_urlsafe(24)


def _dcr_error(error: str, description: str) -> Reply:
    return json_reply(400, {"error": error, "error_description": description})


def _consistent(body: dict[str, Any]) -> bool:
    """OpenID Connect Registration §2: each response type needs its grant types."""
    grants = set(body.get("grant_types") or ["authorization_code"])
    for response_type in body.get("response_types") or ["code"]:
        parts = set(response_type.split())
        if "code" in parts and "authorization_code" not in grants:
            return False
        if parts & {"id_token", "token"} and "implicit" not in grants:
            return False
    return True


def _subject_matches(body: dict[str, Any], request: Request) -> bool:
    """Only `tls_client_auth_subject_dn`, and it names the presented certificate's subject."""
    dn = body.get("tls_client_auth_subject_dn")
    others = [
        k for k in body if k.startswith("tls_client_auth_") and k != "tls_client_auth_subject_dn"
    ]
    if not isinstance(dn, str) or others or request.client_cert is None:
        return False
    presented = [(a.oid.dotted_string, str(a.value)) for a in request.client_cert.subject]
    return sorted(parse_dn(dn)) == sorted(presented)


def parse_dn(text: str) -> list[tuple[str, str]]:
    """RFC 4514 text to (dotted OID, value) pairs: short names, escapes and `#hex` values."""
    pairs = []
    for part in _split_unescaped(text):
        name, _, value = part.partition("=")
        oid = SHORT_NAMES.get(name.strip().upper(), name.strip())
        pairs.append((oid, _der_string(value[1:]) if value.startswith("#") else _unescape(value)))
    return pairs


def _split_unescaped(text: str) -> list[str]:
    parts: list[str] = []
    current, escaped = "", False
    for char in text:
        if char in ",+" and not escaped:
            parts.append(current)
            current = ""
            continue
        current += char
        escaped = char == "\\" and not escaped
    return [*parts, current]


def _unescape(value: str) -> str:
    out, i = bytearray(), 0
    while i < len(value):
        pair = value[i + 1 : i + 3]
        if value[i] == "\\" and len(pair) == 2 and all(c in string.hexdigits for c in pair):
            out, i = out + bytes.fromhex(pair), i + 3
        elif value[i] == "\\":
            out, i = out + value[i + 1].encode(), i + 2
        else:
            out, i = out + value[i].encode(), i + 1
    return out.decode()


def _der_string(hex_value: str) -> str:
    """The text of a DER-encoded directory string (UTF8, Printable, IA5 or BMP)."""
    data = bytes.fromhex(hex_value)
    tag, length, offset = data[0], data[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, offset = int.from_bytes(data[2 : 2 + count], "big"), 2 + count
    content = data[offset : offset + length]
    return content.decode("utf-16-be" if tag == 0x1E else "utf-8")
