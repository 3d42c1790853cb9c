"""`Workspace`: one call that gives a notebook, the CLI or the dashboard everything for a target.

A target says which bank to talk to; switching a notebook from the local sandbox to Bradesco's
sandbox changes only the target string (or the `BRADESCO_ENVIRONMENT` variable):

- `"local"` (the default): a fresh in-process `Sandbox`, stopped by `close()`;
- `"local-sandbox"`: the sandbox that `bradesco-explore lab` or `bradesco-explore sandbox`
  already runs, found through the `BRADESCO_*` variables it exported (or its `.env` file);
- `"bradesco-sandbox"`, `"production"`: Bradesco's hosts, with the certificate and credentials
  from `BRADESCO_CERT` / `BRADESCO_KEY` / `BRADESCO_CERT_PASSWORD` / `BRADESCO_CLIENT_ID` /
  `BRADESCO_CLIENT_SECRET` / `BRADESCO_SIGNING_KEY` / `BRADESCO_CA_BUNDLE` (environment or `.env`);
- any `https://.../.well-known/openid-configuration` URL: that FAPI server.

>>> ws = Workspace.open("local")                      # doctest: +SKIP
>>> pix = ws.client("pix")
>>> ws.close()
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from ._html import card, esc, facts_table
from .auth import Client, Credentials, Environment
from .config import secret_setting, setting
from .errors import ConfigurationError
from .identity import Identity
from .sandbox._dataset import DEFAULT_AS_OF, Dataset
from .sandbox._documents import BENEFICIARY, CUSTOMER, Beneficiary, Customer

if TYPE_CHECKING:
    from .sandbox import Sandbox

_BENEFICIARY_SETTINGS = ("cnpj", "branch", "account", "negotiation", "pix_key")

__all__ = ["TARGETS", "Workspace"]

TARGETS = ("local", "local-sandbox", "bradesco-sandbox", "production")

# Targets whose Pix data sits in the window of Bradesco's sandbox (which the local one copies).
_PIX_SANDBOX_TARGETS = ("local", "local-sandbox", "bradesco-sandbox")
_RECENT_PIX_DAYS = 3
_SWITCHES = (
    "its certificate authority, counters, clock, token expiry, key rotation, refresh-token "
    "rotation, files and secrets ledger"
)


@dataclass(eq=False, repr=False)
class Workspace:
    """An environment, the identity and credentials that go with it, and its clients.

    `sandbox` is the in-process `Sandbox` for the `"local"` target (None otherwise); code
    that needs it uses `local_sandbox`, which says what to do when there is none.
    """

    target: str
    environment: Environment
    identity: Identity | None
    credentials: Credentials
    sandbox: Sandbox | None = None
    _clients: dict[str, Client] = field(default_factory=dict)
    _opened: list[Client] = field(default_factory=list)

    @classmethod
    def open(cls, target: str | None = None, **sandbox_options: Any) -> Workspace:
        """Open `target` (default: `BRADESCO_ENVIRONMENT`, else "local").

        `sandbox_options` (seed, transactions, token_lifetime, consent, ...) go to the local
        `Sandbox`.
        """
        name = (target or setting("environment") or "local").strip()
        if name == "local":
            return cls._local(sandbox_options)
        if sandbox_options:
            raise ConfigurationError(
                f"Sandbox options only apply to the 'local' target, not {name!r}."
            )
        if name == "local-sandbox":
            return cls._running_sandbox()
        return cls._remote(name)

    @classmethod
    def _local(cls, options: dict[str, Any]) -> Workspace:
        from .sandbox import Sandbox

        sandbox = Sandbox(**options).start()
        return cls("local", sandbox.environment, sandbox.identity, sandbox.credentials, sandbox)

    @classmethod
    def _running_sandbox(cls) -> Workspace:
        urls = {name: setting(f"{name}_url") for name in ("portal", "legacy", "pix", "openfinance")}
        missing = [f"BRADESCO_{k.upper()}_URL" for k, v in urls.items() if not v]
        if missing:
            raise ConfigurationError(
                "Target 'local-sandbox' attaches to a running `bradesco-explore sandbox` (or `lab`), but "
                f"{', '.join(missing)} are not set. Start one, or load its .env, or use target 'local'."
            )
        environment = Environment.bradesco_paths(
            "local sandbox (running)",
            portal=str(urls["portal"]), legacy=str(urls["legacy"]), pix=str(urls["pix"]),
            open_finance=str(urls["openfinance"]), discovery_url=setting("discovery_url"),
            issuer=setting("issuer"), ca_bundle=setting("ca_bundle"),
        )  # fmt: skip
        return cls(
            "local-sandbox",
            environment,
            _identity_from_settings(required=True),
            Credentials.from_env(),
        )

    @classmethod
    def _remote(cls, name: str) -> Workspace:
        if name not in TARGETS and not name.startswith("https://"):
            raise ConfigurationError(
                f"Unknown target {name!r}: use one of {', '.join(TARGETS)} or a discovery URL (https://...)."
            )
        ca_bundle = setting("ca_bundle")
        identity = _identity_from_settings(required=True)
        if name == "bradesco-sandbox":
            environment = Environment.bradesco_sandbox(ca_bundle=ca_bundle)
        elif name == "production":
            environment = Environment.production(ca_bundle=ca_bundle)
        else:
            environment = Environment.discover(name, ca_bundle=ca_bundle, identity=identity)
        return cls(name, environment, identity, Credentials.from_env())

    # -- clients ----------------------------------------------------------------------------------
    def client(self, family: str | None = None, **options: Any) -> Client:
        """A `Client` for `family` (default: the environment's), closed with the workspace.

        Without `options`, asking twice for a family returns the same client, so its token
        cache and kept-alive connections are reused; with options (any `Client` argument) a
        new client is made each time.
        """
        name = self.environment.family(family).name
        if options:
            return self._make(name, options)
        if name not in self._clients:
            self._clients[name] = self._make(name, {})
        return self._clients[name]

    def _make(self, family: str, options: dict[str, Any]) -> Client:
        if self.sandbox is not None:
            options.setdefault("redirect_uri", self.sandbox.redirect_uri)
        options.setdefault("identity", self.identity)
        options.setdefault("credentials", self.credentials)
        made = Client(self.environment, family, **options)
        self._opened.append(made)
        return made

    # -- the local sandbox's switches ---------------------------------------------------------------
    @property
    def local_sandbox(self) -> Sandbox:
        """The in-process `Sandbox` (target "local"), for the steps that use its switches.

        Forging certificates, counting token requests, moving the clock, expiring tokens,
        rotating keys and listing the secrets issued only exist in the local sandbox; at any
        other target this raises `ConfigurationError` saying so, instead of failing on None.

        >>> ws.local_sandbox.reset_stats()          # doctest: +SKIP
        """
        if self.sandbox is None:
            raise ConfigurationError(
                f"This step uses the local sandbox's switches ({_SWITCHES}); it has no "
                f"equivalent at {self.target!r}. Run this notebook with BRADESCO_ENVIRONMENT=local "
                "(the default), where the workspace starts its own sandbox."
            )
        return self.sandbox

    def leaked_secrets(self, texts: Iterable[str]) -> list[str]:
        """Which kinds of secret appear in `texts` (never the secrets themselves); [] if none.

        Checked against every secret the local sandbox issued, holds or was sent (client
        secret, tokens, codes, request URIs, assertions, private keys), raw, URL-encoded or
        HTML-escaped. Needs the local sandbox, as `local_sandbox` does.

        >>> ws.leaked_secrets(captured_log_lines)   # doctest: +SKIP
        []
        """
        known = self.local_sandbox.known_secrets()
        secret = self.credentials.client_secret
        client_secret = secret.reveal() if secret is not None else None
        shown = list(texts)
        found = {
            _secret_kind(value, client_secret)
            for value in known
            if any(form in text for form in _spellings(value) for text in shown)
        }
        return sorted(found)

    # -- the data's period ---------------------------------------------------------------------------
    @property
    def pix_window(self) -> tuple[dt.datetime, dt.datetime]:
        """The period (UTC, whole days) whose Pix charges and received Pix the target has.

        For the sandboxes - the local one and Bradesco's, whose window the local one copies -
        the days of the received Pix in its synthetic data (2 and 3 October 2024) and the day
        before, when the charges they paid may have been created; elsewhere today and the three
        days before.

        >>> pix.list_charges(client, *ws.pix_window)   # doctest: +SKIP
        """
        if self.target in _PIX_SANDBOX_TARGETS:
            as_of = self.sandbox.as_of if self.sandbox is not None else DEFAULT_AS_OF
            first, last = _pix_data_days(as_of)
            first -= dt.timedelta(days=1)
        else:
            last = dt.datetime.now(dt.UTC).date()
            first = last - dt.timedelta(days=_RECENT_PIX_DAYS)
        return _midnight(first), _midnight(last + dt.timedelta(days=1))

    # -- the people in the data ---------------------------------------------------------------------
    @property
    def customer(self) -> Customer:
        """The person whose Open Finance data the notebooks read.

        The sandbox's fixed test customer; for Bradesco's hosts, `BRADESCO_CUSTOMER_CPF` and
        `BRADESCO_CUSTOMER_NAME` (a test customer of that bank who can approve consents).
        """
        if self.sandbox is not None:
            return self.sandbox.customer
        if self.target == "local-sandbox":
            return CUSTOMER
        cpf = setting("customer_cpf")
        if not cpf:
            raise ConfigurationError(
                f"Target {self.target!r} has no test customer configured: set BRADESCO_CUSTOMER_CPF "
                "(and BRADESCO_CUSTOMER_NAME) to the CPF of a customer who can approve consents."
            )
        return Customer(name=setting("customer_name") or "", cpf=cpf, cnpj=setting("customer_cnpj") or "",
                        company_name="", email="", subject="")  # fmt: skip

    @property
    def beneficiary(self) -> Beneficiary:
        """The company that issues boletos and receives Pix.

        The sandbox's - Bradesco's documented test company - also for the `bradesco-sandbox`
        target; in production, from the `BRADESCO_BENEFICIARY_*` settings.
        """
        if self.sandbox is not None:
            return self.sandbox.beneficiary
        if self.target in ("local-sandbox", "bradesco-sandbox"):
            return BENEFICIARY
        fields = {name: setting(f"beneficiary_{name}") for name in _BENEFICIARY_SETTINGS}
        missing = [f"BRADESCO_BENEFICIARY_{k.upper()}" for k, v in fields.items() if not v]
        if missing:
            raise ConfigurationError(
                f"Target {self.target!r} needs {', '.join(missing)} to name the beneficiary."
            )
        return Beneficiary(name=setting("beneficiary_name") or "", city="", state="", postal_code="",
                           account_digit="", **{k: str(v) for k, v in fields.items()})  # fmt: skip

    def close(self) -> None:
        """Close every client and stop the in-process sandbox."""
        for client in self._opened:
            with contextlib.suppress(Exception):
                client.close()
        self._opened.clear()
        self._clients.clear()
        if self.sandbox is not None:
            self.sandbox.stop()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- display ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        who = self.identity.subject if self.identity else "no client certificate"
        return f"Workspace({self.target!r}, {self.environment.name!r}, identity={who!r}, {self.credentials!r})"

    def _repr_html_(self) -> str:
        facts = facts_table([
            ("target", self.target),
            ("environment", self.environment.name),
            ("families", ", ".join(self.environment.families)),
            ("client certificate", self.identity.subject if self.identity else "none"),
            ("client id", self.credentials.client_id),
        ])  # fmt: skip
        return card(f"Workspace: {esc(self.target)}", facts)


@lru_cache(maxsize=4)
def _pix_data_days(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last UTC day of the received Pix in the sandbox's data."""
    moments = [receipt["horario"] for receipt in Dataset(as_of=as_of).pix_receipts]
    days = sorted(dt.date.fromisoformat(moment[:10]) for moment in moments)
    return days[0], days[-1]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def _spellings(value: str) -> set[str]:
    """`value` as an output can show it: raw, URL-encoded, HTML-escaped."""
    return {value, quote(value, safe=""), quote_plus(value), html.escape(value)}


def _secret_kind(value: str, client_secret: str | None) -> str:
    """What a sandbox secret is, told from its shape (the value itself is never returned)."""
    if value == client_secret:
        return "the client secret"
    if "PRIVATE KEY-----" in value:
        return "a private key"
    if value.startswith("urn:ietf:params:oauth:request_uri:"):
        return "a pushed request URI"
    if value.startswith("eyJ") and value.count(".") in (2, 4):
        return "a signed token or assertion (JWT)"
    return "a token, code or verifier"


def _identity_from_settings(*, required: bool) -> Identity | None:
    cert = setting("cert")
    if not cert:
        if required:
            raise ConfigurationError(
                "No client certificate: set BRADESCO_CERT (a .pfx/.p12 or PEM file; BRADESCO_KEY for a "
                "separate key, BRADESCO_CERT_PASSWORD for its password) in the environment or .env."
            )
        return None
    password = secret_setting("cert_password")
    return Identity.load(cert, key=setting("key"), password=password, ca_bundle=None)
