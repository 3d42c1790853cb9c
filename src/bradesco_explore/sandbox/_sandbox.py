"""`Sandbox`: a local Bradesco that behaves like the real one, over real HTTPS and mutual TLS.

Two listeners on 127.0.0.1, free ports by default: a *public* port (client certificate
optional: Open Finance discovery, JWKS, the authorization endpoint, the consent page,
`/callback`) and an *mTLS* port (client certificate required at the handshake: every token
endpoint, PAR and every resource API). A throwaway CA issues the server certificate and the
registered client identity; one client registration is valid for every family. Everything
lives in a private 0700 directory that `stop()` removes.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import time
import weakref
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from cryptography.hazmat.primitives.asymmetric import rsa

from .._files import private_directory, write_file
from .._html import card, esc, facts_table
from .._secret import Secret, get_logger
from ..auth._credentials import Credentials
from ..auth._environment import Environment, Family
from ..errors import ConfigurationError
from ..identity import CertificateAuthority, Identity
from . import _legacy, _pix, _portal
from ._boletos import BoletoBook
from ._context import SandboxContext
from ._dataset import DEFAULT_AS_OF, Dataset
from ._documents import Beneficiary, Customer
from ._refusal import oauth_fault
from ._registry import Client, ClientRegistry
from ._server import Faults, Reply, Request, Router, TLSServer
from ._state import Clock, Counters, OneTimeValues, SandboxStats, SecretLedger
from ._tokens import TokenStore
from .openfinance import SCOPES as OPEN_FINANCE_SCOPES
from .openfinance import Endpoints, OpenFinance
from .openfinance._keys import jwk_thumbprint, private_pem

log = get_logger("bradesco_explore.sandbox")

CONSENT_MODES = ("auto", "page")


@dataclass(frozen=True)
class _Settings:
    seed: int
    transactions: int
    token_lifetime: float
    consent: str
    as_of: dt.date
    rotate_refresh_tokens: bool
    redirect_uris: tuple[str, ...]
    public_port: int
    mtls_port: int


class Sandbox:
    """The local Bradesco sandbox: Portal, Legacy, Pix and Open Finance over HTTPS + mTLS.

    >>> with Sandbox(seed=7) as sb:                                          # doctest: +SKIP
    ...     sb.environment.family("pix").token_url
    'https://127.0.0.1:41023/auth/server/oauth/token'

    Arguments: `seed` and `transactions` fix the synthetic data (same values, same JSON);
    `token_lifetime` is every access token's lifetime in seconds (Bradesco's own are 3600;
    Open Finance allows 300-900); `consent` is "auto" (the authorization endpoint approves at
    once for the test customer) or "page" (an Approve/Deny page); `as_of` is the data's
    business date; `rotate_refresh_tokens` switches Open Finance refresh-token rotation on
    (off by default, the OFB rule); `redirect_uris` registers more redirect URIs besides
    the sandbox's `/callback` page; `public_port`/`mtls_port` pin the ports (0 = free port).
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        transactions: int = 3000,
        token_lifetime: float = 300,
        consent: str = "auto",
        as_of: dt.date = DEFAULT_AS_OF,
        rotate_refresh_tokens: bool = False,
        redirect_uris: Sequence[str] = (),
        public_port: int = 0,
        mtls_port: int = 0,
    ) -> None:
        if consent not in CONSENT_MODES:
            raise ConfigurationError(f"consent must be 'auto' or 'page', not {consent!r}.")
        if token_lifetime <= 0:
            raise ConfigurationError(
                f"token_lifetime must be positive seconds, not {token_lifetime!r}."
            )
        if transactions < 0:
            raise ConfigurationError(f"transactions must be 0 or more, not {transactions!r}.")
        self._settings = _Settings(seed, transactions, float(token_lifetime), consent, as_of,
                                   rotate_refresh_tokens, tuple(redirect_uris), public_port, mtls_port)  # fmt: skip
        self._running = False
        self._stopped = False
        self.startup_seconds: float | None = None
        """Seconds `start()` took (keys, certificates, files, listeners)."""

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> Sandbox:
        """Generate the CA, identities and keys, bind both listeners and serve; returns self."""
        if self._running or self._stopped:
            raise ConfigurationError("this Sandbox was already started; create a new Sandbox().")
        began = time.perf_counter()
        self._directory = private_directory("bx-sandbox-")
        # The folder holds throwaway keys: remove it when this object goes away or the
        # interpreter exits (a notebook kernel shut down without ws.close()), not only on stop().
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._directory), True)
        try:
            self._build()
            self._write_files()
            self._public.start()
            self._mtls.start()
        except BaseException:
            shutil.rmtree(self._directory, ignore_errors=True)
            raise
        self._running = True
        self.startup_seconds = time.perf_counter() - began
        log.info(
            "sandbox started: public %s, mTLS %s (%.2f s)",
            self.public_url,
            self.mtls_url,
            self.startup_seconds,
        )
        return self

    def stop(self) -> None:
        """Stop both listeners, close every connection and delete the private directory."""
        if not self._running:
            return
        self._running, self._stopped = False, True
        for server in (self._public, self._mtls):
            server.stop()
        self._cleanup()
        log.info("sandbox stopped")

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def as_of(self) -> dt.date:
        """The business date the synthetic data is anchored to (it covers the year up to it)."""
        return self._settings.as_of

    @property
    def running(self) -> bool:
        """Whether the sandbox is serving."""
        return self._running

    # -- construction ----------------------------------------------------------------------------
    def _build(self) -> None:
        self._ledger, self._clock = SecretLedger(), Clock()
        server_identity = self._make_identities()
        self._context = self._make_context()
        self._make_servers(server_identity)
        self._register_client()
        self._register_families()

    def _make_identities(self) -> Identity:
        """The CA, the registered client identity and signing key; returns the server identity."""
        self._ca = CertificateAuthority("bradesco-explore sandbox CA")
        server_identity = self._ca.issue_server()
        self._identity = self._ca.issue_client("bradesco-explore sandbox client")
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._client_secret = secrets.token_urlsafe(32)
        self._client_id = f"bx-sandbox-{secrets.token_hex(6)}"
        keys = (
            self._signing_key,
            self._identity._private_key(),
            server_identity._private_key(),
            self._ca.key,
        )
        self._ledger.add(self._client_secret, *(private_pem(k) for k in keys))
        return server_identity

    def _make_context(self) -> SandboxContext:
        settings = self._settings
        bank_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._ledger.add(private_pem(bank_key))
        self._data = Dataset(settings.seed, settings.transactions, settings.as_of)
        self._counters = Counters()
        return SandboxContext(
            self._clock, ClientRegistry(), TokenStore(self._clock, self._ledger), OneTimeValues(self._clock),
            self._ledger, self._counters, self._data, bank_key, jwk_thumbprint(bank_key.public_key()),
            settings.token_lifetime,
        )  # fmt: skip

    def _make_servers(self, server_identity: Identity) -> None:
        self._faults = Faults()
        self._public_router, self._mtls_router = Router(), Router()
        ca_pem, settings = self._ca.certificate_pem, self._settings
        self._public = TLSServer(self._public_router, server_identity, ca_pem, port=settings.public_port,
                                 client_cert="optional", faults=self._faults, clock=self._clock.now)  # fmt: skip
        self._mtls = TLSServer(self._mtls_router, server_identity, ca_pem, port=settings.mtls_port,
                               client_cert="required", faults=self._faults, clock=self._clock.now)  # fmt: skip
        self._endpoints = Endpoints(self._public.base_url, self._mtls.base_url)
        self._context.public_base, self._context.mtls_base = (
            self._public.base_url,
            self._mtls.base_url,
        )

    def _register_client(self) -> None:
        signing_public = self._signing_key.public_key()
        self._signing_kid = jwk_thumbprint(signing_public)
        client = Client(self._client_id, self._client_secret, {self._signing_kid: signing_public},
                        redirect_uris=[self._endpoints.redirect_uri, *self._settings.redirect_uris])  # fmt: skip
        self._context.registry.add(client)
        self._context.registry.register_certificate(self._client_id, self._identity.certificate)

    def _register_families(self) -> None:
        book = BoletoBook(self._data)
        _portal.register(self._mtls_router, self._context, book)
        _legacy.register(self._mtls_router, self._context, book)
        _pix.register(self._mtls_router, self._context)
        self._open_finance = OpenFinance(self._context, self._endpoints, consent_mode=self._settings.consent,
                                         rotate_refresh_tokens=self._settings.rotate_refresh_tokens)  # fmt: skip
        self._open_finance.register(self._public_router, self._mtls_router)
        for router in (self._public_router, self._mtls_router):
            router.fault_renderer = _render_fault

    def _write_files(self) -> None:
        folder = self._directory
        self._ca.write_bundle(folder / "ca.pem")
        write_file(folder / "client.pem", self._identity.certificate_pem, private=False)
        write_file(
            folder / "client.key", private_pem(self._identity._private_key()).encode(), private=True
        )
        write_file(folder / "signing.key", private_pem(self._signing_key).encode(), private=True)
        self.write_env_file(folder / ".env")

    # -- what clients need ----------------------------------------------------------------------
    def _require_running(self) -> None:
        if not self._running:
            raise ConfigurationError(
                "the sandbox is not running: call start() or use `with Sandbox() as sb:`."
            )

    @property
    def public_url(self) -> str:
        """Base URL of the public port (discovery, authorization endpoint, consent page)."""
        return self._public.base_url

    @property
    def mtls_url(self) -> str:
        """Base URL of the mTLS port (tokens, PAR, every resource API)."""
        return self._mtls.base_url

    @property
    def issuer(self) -> str:
        """The Open Finance issuer (exact string)."""
        return self._endpoints.issuer

    @property
    def discovery_url(self) -> str:
        """The Open Finance `.well-known/openid-configuration` URL."""
        return self._endpoints.discovery

    @property
    def redirect_uri(self) -> str:
        """The registered redirect URI: the sandbox's `/callback` page."""
        return self._endpoints.redirect_uri

    @property
    def environment(self) -> Environment:
        """An `Environment` with the families portal, legacy, pix (default) and openfinance."""
        self._require_running()
        mtls, endpoints = self.mtls_url, self._endpoints
        families = {
            "portal": Family("portal", mtls, token_url=mtls + _portal.TOKEN_PATH, auth_method="client_secret_post",
                             description="Cobranca (boleto hibrido) and saldo/extrato: client_credentials over mTLS"),
            "legacy": Family("legacy", mtls, token_url=mtls + _legacy.TOKEN_PATHS[0], grant="jwt_bearer", auth_method="none",
                             description="Open APIs: JWT-bearer assertion (RS256) and X-Brad-Signature"),
            "pix": Family("pix", mtls, token_url=mtls + _pix.TOKEN_PATHS[1], auth_method="client_secret_basic",
                          scopes=_pix.SCOPES, default_scopes=("cob.read",),
                          description="Pix (Bacen API Pix v2): client_credentials with Basic over mTLS"),
            "openfinance": Family("openfinance", endpoints.api_base, grant="authorization_code", auth_method="private_key_jwt",
                                  discovery_url=endpoints.discovery, issuer=endpoints.issuer, scopes=OPEN_FINANCE_SCOPES,
                                  default_scopes=("openid", "accounts"),
                                  description="Open Finance Brasil: FAPI 1.0 Advanced (PAR, JAR, PKCE, private_key_jwt)"),
        }  # fmt: skip
        metadata = {"sandbox": True, "public_url": self.public_url, "mtls_url": mtls,
                    "redirect_uri": self.redirect_uri, "issuer": endpoints.issuer}  # fmt: skip
        return Environment(
            "local sandbox",
            families,
            ca_bundle=self.ca_bundle,
            default_family="pix",
            metadata=metadata,
        )

    @property
    def identity(self) -> Identity:
        """The registered client identity (RSA 2048, clientAuth, issued by the sandbox CA)."""
        self._require_running()
        return self._identity

    @property
    def credentials(self) -> Credentials:
        """The client registration: id, secret, and the private_key_jwt/JAR signing key and kid."""
        self._require_running()
        return Credentials(self._client_id, client_secret=Secret(self._client_secret),
                           signing_key=self._signing_key, signing_kid=self._signing_kid)  # fmt: skip

    @property
    def ca(self) -> CertificateAuthority:
        """The sandbox CA (tests issue unregistered or second certificates with it)."""
        self._require_running()
        return self._ca

    @property
    def ca_bundle(self) -> Path:
        """The CA certificate PEM that verifies the sandbox's server certificate."""
        return self.directory / "ca.pem"

    @property
    def directory(self) -> Path:
        """The private 0700 directory: ca.pem, client.pem, client.key, signing.key, .env."""
        self._require_running()
        return self._directory

    @property
    def faults(self) -> Faults:
        """Fault injection: latency, status_429/503/529 (+retry_after, only=path prefix), drop."""
        self._require_running()
        return self._faults

    @property
    def customer(self) -> Customer:
        """The fixed Open Finance test customer (name, CPF, CNPJ)."""
        return self._data.customer if self._running else Dataset().customer

    @property
    def beneficiary(self) -> Beneficiary:
        """The boleto/Pix company of Bradesco's sandbox (CNPJ, account, Pix key)."""
        return self._data.beneficiary if self._running else Dataset().beneficiary

    # -- switches for tests and notebooks -------------------------------------------------------------
    @property
    def clock_skew(self) -> float:
        """Seconds the server clock runs ahead of real time (negative: behind)."""
        return self._clock.skew if self._running else 0.0

    @clock_skew.setter
    def clock_skew(self, seconds: float) -> None:
        self._require_running()
        self._clock.skew = float(seconds)

    @property
    def consent(self) -> str:
        """ "auto" (approve at once) or "page" (Approve/Deny page)."""
        return self._open_finance.provider.consent_mode if self._running else self._settings.consent

    @consent.setter
    def consent(self, mode: str) -> None:
        if mode not in CONSENT_MODES:
            raise ConfigurationError(f"consent must be 'auto' or 'page', not {mode!r}.")
        self._require_running()
        self._open_finance.provider.consent_mode = mode

    @property
    def rotate_refresh_tokens(self) -> bool:
        """Whether Open Finance refresh tokens rotate on use (off by default, as in OFB)."""
        return (
            self._open_finance.provider.rotate_refresh_tokens
            if self._running
            else self._settings.rotate_refresh_tokens
        )

    @rotate_refresh_tokens.setter
    def rotate_refresh_tokens(self, value: bool) -> None:
        self._require_running()
        self._open_finance.provider.rotate_refresh_tokens = bool(value)

    def expire_tokens(self) -> int:
        """Expire every access token issued so far (they answer 401 invalid_token); returns how many."""
        self._require_running()
        return self._context.tokens.expire_all()

    def rotate_jwks(self) -> str:
        """Publish a new Open Finance signing key (new kid) and drop the old; returns the new kid."""
        self._require_running()
        return self._open_finance.provider.keys.rotate()

    def register_identity(self, identity: Identity) -> str:
        """Register another client certificate for the client; returns its `x5t#S256`."""
        self._require_running()
        return self._context.registry.register_certificate(self._client_id, identity.certificate)

    @property
    def stats(self) -> SandboxStats:
        """A snapshot of the counters: token requests per (family, grant), calls per endpoint."""
        self._require_running()
        with self._counters.lock:
            requests, issued = (
                Counter(self._counters.token_requests),
                Counter(self._counters.tokens_issued),
            )
        calls = Counter(self._public_router.hits) + Counter(self._mtls_router.hits)
        return SandboxStats(requests, issued, calls)

    def reset_stats(self) -> None:
        """Zero every counter."""
        self._require_running()
        self._counters.clear()
        for router in (self._public_router, self._mtls_router):
            router.hits.clear()

    def known_secrets(self) -> list[str]:
        """Every secret string the sandbox issued, holds or was sent (for leak tests): client
        secret, access/refresh/ID tokens, codes, PAR request_uris, JARM responses, client
        assertions, request objects with their state and nonce, PKCE verifiers, private keys
        (PEM). Still answers after `stop()`, so a leak test can ask once everything is done."""
        if not hasattr(self, "_ledger"):
            self._require_running()
        return self._ledger.values()

    # -- files ---------------------------------------------------------------------------------
    def env_variables(self) -> dict[str, str]:
        """The `BRADESCO_*` settings a client needs for this sandbox (includes the secret)."""
        self._require_running()
        return self._env_variables()

    def _env_variables(self) -> dict[str, str]:
        folder = self._directory
        return {
            "BRADESCO_ENVIRONMENT": "local-sandbox",
            "BRADESCO_CLIENT_ID": self._client_id,
            "BRADESCO_CLIENT_SECRET": self._client_secret,
            "BRADESCO_SIGNING_KEY": str(folder / "signing.key"),
            "BRADESCO_SIGNING_KID": self._signing_kid,
            "BRADESCO_CERT": str(folder / "client.pem"),
            "BRADESCO_KEY": str(folder / "client.key"),
            "BRADESCO_CA_BUNDLE": str(folder / "ca.pem"),
            "BRADESCO_REDIRECT_URI": self.redirect_uri,
            "BRADESCO_PORTAL_URL": self.mtls_url,
            "BRADESCO_LEGACY_URL": self.mtls_url,
            "BRADESCO_PIX_URL": self.mtls_url,
            "BRADESCO_OPENFINANCE_URL": self._endpoints.api_base,
            "BRADESCO_DISCOVERY_URL": self.discovery_url,
            "BRADESCO_ISSUER": self.issuer,
        }

    def write_env_file(self, path: str | Path) -> Path:
        """Write the `BRADESCO_*` variables for this sandbox to `path` (0600); returns it."""
        if self._stopped or not hasattr(self, "_directory"):
            raise ConfigurationError(
                "the sandbox is not running: call start() or use `with Sandbox() as sb:`."
            )
        lines = ["# bradesco-explore local sandbox: throwaway credentials, valid while it runs"]
        lines += [f"{key}={value}" for key, value in self._env_variables().items()]
        return write_file(path, ("\n".join(lines) + "\n").encode(), private=True)

    # -- display ---------------------------------------------------------------------------------
    def summary(self) -> dict[str, str]:
        """Where everything is (no secrets): URLs and file paths."""
        self._require_running()
        folder = self._directory
        return {"public URL": self.public_url, "mTLS URL": self.mtls_url, "issuer": self.issuer,
                "discovery": self.discovery_url, "redirect URI": self.redirect_uri,
                "CA bundle": str(folder / "ca.pem"), "client certificate": str(folder / "client.pem"),
                "client key": str(folder / "client.key"), "signing key": str(folder / "signing.key"),
                ".env": str(folder / ".env"), "client_id": self._client_id}  # fmt: skip

    def __repr__(self) -> str:
        if not self._running:
            return f"Sandbox({'stopped' if self._stopped else 'not started'}, seed={self._settings.seed})"
        return (
            f"Sandbox(public={self.public_url}, mtls={self.mtls_url}, seed={self._settings.seed})"
        )

    def _repr_html_(self) -> str:
        if not self._running:
            return card("Bradesco sandbox", f"<p>{esc(repr(self))}</p>")
        return card("Bradesco sandbox (running)", facts_table(self.summary().items()), level="info")


# Which family owns a path, first match wins: the one mechanism by which every answer the
# server makes itself (404, 405, 500, injected faults), on either port, gets that family's
# envelope. Token endpoints, discovery and the front channel speak OAuth.
_FAULT_RENDERERS = (
    ("/open-banking/auth", oauth_fault),
    ("/open-banking/.well-known", oauth_fault),
    ("/open-banking", OpenFinance.render_fault),
    ("/v2/", _pix.render_fault),
    ("/v1/boleto", _legacy.render_fault),
    ("/auth/server/v1", _legacy.render_token_fault),
    ("/boleto", _portal.render_fault),
    ("/v1/fornecimento", _portal.render_fault),
    ("/", oauth_fault),
)


def _render_fault(request: Request, reply: Reply) -> Reply:
    """A server-made answer in the envelope of the family that owns the path."""
    for prefix, render in _FAULT_RENDERERS:
        if request.path.startswith(prefix):
            return render(request, reply)
    return reply
