"""What a careful client sends, built by hand with `requests` + PyJWT (never our own client).

`Wire` holds an mTLS session with the registered certificate and helpers for each family's
token request, the legacy signatures and the whole Open Finance flow. Every helper takes
overrides so a test can break exactly one thing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from bradesco_explore.identity import Identity
from bradesco_explore.sandbox import Sandbox

ALL_ACCOUNT_PERMISSIONS = [
    "ACCOUNTS_READ", "ACCOUNTS_BALANCES_READ", "ACCOUNTS_TRANSACTIONS_READ",
    "ACCOUNTS_OVERDRAFT_LIMITS_READ", "CREDIT_CARDS_ACCOUNTS_READ", "CREDIT_CARDS_ACCOUNTS_BILLS_READ",
    "CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ", "CREDIT_CARDS_ACCOUNTS_LIMITS_READ",
    "CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ", "RESOURCES_READ",
]  # fmt: skip
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode()).digest())


def half_hash(value: str) -> str:
    return b64url(hashlib.sha256(value.encode()).digest()[:16])


def fapi_headers(token: str | None = None, **extra: str) -> dict[str, str]:
    headers = {"x-fapi-interaction-id": str(uuid.uuid4())}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers | extra


def identity_files(identity: Identity, folder: Path) -> tuple[str, str]:
    """Write an identity's certificate and key (0600) for `requests`' `cert=`."""
    cert, key = folder / f"{identity.x5t_s256[:8]}.pem", folder / f"{identity.x5t_s256[:8]}.key"
    cert.write_bytes(identity.certificate_pem)
    key.touch(mode=0o600)
    key.write_bytes(
        identity._private_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert), str(key)


@dataclass
class Pending:
    """One authorization request in flight."""

    verifier: str
    state: str
    nonce: str
    request_uri: str = ""
    consent_id: str | None = None


@dataclass
class Tokens:
    """The token endpoint's answer for a finished flow."""

    body: dict[str, Any]
    consent_id: str | None
    pending: Pending
    front: dict[str, str] = field(default_factory=dict)

    @property
    def access(self) -> str:
        return str(self.body["access_token"])


class Wire:
    """Hand-built requests against one sandbox."""

    def __init__(self, sandbox: Sandbox, cert: tuple[str, str] | None = None) -> None:
        self.sb = sandbox
        folder = sandbox.directory
        self.http = requests.Session()
        self.http.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify=
        self.http.verify = str(sandbox.ca_bundle)
        self.http.cert = cert or (str(folder / "client.pem"), str(folder / "client.key"))
        self.creds = sandbox.credentials
        self.client_id = self.creds.client_id
        self.secret = self.creds.client_secret.reveal() if self.creds.client_secret else ""
        self.mtls = sandbox.mtls_url
        self.public = sandbox.public_url
        self.meta = self.http.get(sandbox.discovery_url).json()
        self.token_url = self.meta["mtls_endpoint_aliases"]["token_endpoint"]
        self.par_url = self.meta["mtls_endpoint_aliases"]["pushed_authorization_request_endpoint"]
        self.api = sandbox.environment.family("openfinance").base_url + "/open-banking"

    def with_cert(self, cert: tuple[str, str]) -> Wire:
        return Wire(self.sb, cert)

    # -- Pix and portal ----------------------------------------------------------------------------
    def pix_token(self, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"} | ({"scope": scope} if scope else {})
        reply = self.http.post(
            f"{self.mtls}/auth/server/oauth/token", data=data, auth=(self.client_id, self.secret)
        )
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    def portal_token(self) -> str:
        reply = self.http.post(f"{self.mtls}/auth/server-mtls/v2/token", data={
            "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.secret})  # fmt: skip
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    # -- Legacy ------------------------------------------------------------------------------------
    def legacy_assertion(self, *, alg: str = "RS256", key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"aud": f"{self.mtls}/auth/server/v1.1/token", "sub": self.client_id, "iat": now,
                "exp": now + 3600, "jti": str(time.time_ns() // 1000), "ver": "1.1"} | claims  # fmt: skip
        if alg == "none":
            return jwt.encode(body, None, algorithm="none")
        return jwt.encode(body, key or self.sb.identity._private_key(), algorithm=alg)

    def legacy_token(
        self, assertion: str | None = None, version: str = "v1.1"
    ) -> requests.Response:
        return self.http.post(f"{self.mtls}/auth/server/{version}/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion or self.legacy_assertion()})  # fmt: skip

    def signed_call(self, path: str, body: dict[str, Any], token: str, *, nonce: str | None = None,
                    timestamp: str | None = None, encode: Any = None, tamper: bool = False,
                    query: str = "") -> requests.Response:  # fmt: skip
        raw = json.dumps(body, separators=(",", ":"))
        nonce = nonce or str(time.time_ns() // 1000)
        timestamp = timestamp or dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")
        text = "\n".join(["POST", path, query, raw, token, nonce, timestamp, "SHA256"])
        signature = self.sb.identity._private_key().sign(
            text.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        encoded = (encode or (lambda b: base64.b64encode(b).decode()))(signature)
        if tamper:
            encoded = ("A" if encoded[0] != "A" else "B") + encoded[1:]
        url = f"{self.mtls}{path}" + (f"?{query}" if query else "")
        return self.http.post(url, data=raw, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json", "X-Brad-Nonce": nonce,
            "X-Brad-Timestamp": timestamp, "X-Brad-Algorithm": "SHA256", "X-Brad-Signature": encoded,
            "access-token": self.client_id})  # fmt: skip

    # -- Open Finance --------------------------------------------------------------------------------
    def assertion(self, *, alg: str = "PS256", key: Any = None, headers: dict[str, Any] | None = None,
                  **claims: Any) -> str:  # fmt: skip
        now = int(time.time())
        body = {"iss": self.client_id, "sub": self.client_id, "aud": self.meta["issuer"], "iat": now,
                "exp": now + 60, "jti": str(uuid.uuid4())} | claims  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        if alg == "none":
            return jwt.encode(body, None, algorithm="none")
        return jwt.encode(body, key or self.creds.signing_key, algorithm=alg,
                          headers={"kid": self.creds.signing_kid} | (headers or {}))  # fmt: skip

    def client_auth(self, **assertion_claims: Any) -> dict[str, str]:
        return {
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(**assertion_claims),
        }

    def cc_token(self, scope: str = "consents") -> str:
        reply = self.http.post(
            self.token_url,
            data={"grant_type": "client_credentials", "scope": scope} | self.client_auth(),
        )
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    def create_consent(self, permissions: list[str] | None = None, *, token: str | None = None,
                       cpf: str | None = None, **data: Any) -> requests.Response:  # fmt: skip
        body = {"data": {"loggedUser": {"document": {"identification": cpf or self.sb.customer.cpf, "rel": "CPF"}},
                         "permissions": permissions or ALL_ACCOUNT_PERMISSIONS} | data}  # fmt: skip
        return self.http.post(
            f"{self.api}/consents/v3/consents",
            json=body,
            headers=fapi_headers(token or self.cc_token()),
        )

    def consent_id(self, permissions: list[str] | None = None, **kwargs: Any) -> str:
        reply = self.create_consent(permissions, **kwargs)
        assert reply.status_code == 201, reply.text
        return str(reply.json()["data"]["consentId"])

    def request_object(self, pending: Pending, *, scope: str | None = None, alg: str = "PS256", key: Any = None,
                       headers: dict[str, Any] | None = None, response_type: str = "code id_token",
                       **claims: Any) -> str:  # fmt: skip
        now = int(time.time())
        consent = f" consent:{pending.consent_id}" if pending.consent_id else ""
        body = {"iss": self.client_id, "aud": self.meta["issuer"], "client_id": self.client_id,
                "response_type": response_type, "redirect_uri": self.sb.redirect_uri,
                "scope": scope or f"openid accounts credit-cards-accounts resources{consent}",
                "state": pending.state, "nonce": pending.nonce, "code_challenge": s256(pending.verifier),
                "code_challenge_method": "S256", "nbf": now, "exp": now + 300, "iat": now,
                "jti": str(uuid.uuid4())} | claims  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
        if alg == "none":
            return jwt.encode(body, None, algorithm="none")
        return jwt.encode(body, key or self.creds.signing_key, algorithm=alg,
                          headers={"kid": self.creds.signing_kid} | (headers or {}))  # fmt: skip

    def new_pending(self, consent_id: str | None = None) -> Pending:
        return Pending(
            secrets.token_urlsafe(48),
            secrets.token_urlsafe(16),
            secrets.token_urlsafe(16),
            consent_id=consent_id,
        )

    def par(self, request_object: str | None, *, auth: dict[str, str] | None = None, url: str | None = None,
            **form: str) -> requests.Response:  # fmt: skip
        data = (auth if auth is not None else self.client_auth()) | form
        if request_object is not None:
            data["request"] = request_object
        return self.http.post(url or self.par_url, data=data)

    def authorize(self, request_uri: str, client_id: str | None = None) -> requests.Response:
        return self.http.get(self.meta["authorization_endpoint"], allow_redirects=False,
                             params={"client_id": client_id or self.client_id, "request_uri": request_uri})  # fmt: skip

    def front_channel(
        self, consent_id: str | None = None, **request_claims: Any
    ) -> tuple[Pending, dict[str, str], str]:
        """PAR then authorize: (pending, response parameters, Location)."""
        pending = self.new_pending(consent_id)
        pushed = self.par(self.request_object(pending, **request_claims))
        assert pushed.status_code == 201, pushed.text
        pending.request_uri = pushed.json()["request_uri"]
        answer = self.authorize(pending.request_uri)
        assert answer.status_code == 302, answer.text
        location = answer.headers["Location"]
        parts = urlsplit(location)
        params = {k: v[0] for k, v in parse_qs(parts.fragment or parts.query).items()}
        return pending, params, location

    def redeem(self, code: str, pending: Pending, **overrides: Any) -> requests.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.sb.redirect_uri,
                "code_verifier": pending.verifier} | self.client_auth()  # fmt: skip
        data = {k: v for k, v in (data | overrides).items() if v is not None}
        return self.http.post(self.token_url, data=data)

    def flow(self, permissions: list[str] | None = None, **request_claims: Any) -> Tokens:
        """Consent, PAR, authorize (auto consent), token: everything a data call needs."""
        consent_id = self.consent_id(permissions)
        pending, params, _ = self.front_channel(consent_id, **request_claims)
        reply = self.redeem(params["code"], pending)
        assert reply.status_code == 200, reply.text
        return Tokens(reply.json(), consent_id, pending, params)

    def get(self, path: str, token: str, **kwargs: Any) -> requests.Response:
        headers = fapi_headers(token) | kwargs.pop("headers", {})
        return self.http.get(f"{self.api}{path}", headers=headers, **kwargs)

    def verify_id_token(self, token: str, **options: Any) -> dict[str, Any]:
        jwks = self.http.get(self.meta["jwks_uri"]).json()
        kid = jwt.get_unverified_header(token)["kid"]
        key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid))
        return dict(jwt.decode(token, key.key, algorithms=["PS256"], audience=self.client_id,
                               issuer=self.meta["issuer"], **options))  # fmt: skip
