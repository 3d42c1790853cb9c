"""The flow runner's behaviour in plain Python: run a grant step by step and keep a step log.

A `Flow` drives one `Client` through one grant and records a `Step` per stage (discovery,
consent, PAR, redirect, code exchange, validation), each with its status, latency and the
HTTP exchanges it made (from the client's redacted exchange log). The pending authorization
and the token stay in this object, in Python memory.

>>> flow = Flow(client, FlowOptions("pix", "client_credentials", "client_secret_basic", ("cob.read",)))  # doctest: +SKIP
>>> flow.run(); flow.token                                                          # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal, TypeVar

from .._html import badge, esc
from .._secret import redact
from ..apis import openfinance
from ..auth import AUTH_METHODS, Client, Family, PendingAuthorization, Token
from ..errors import ConfigurationError
from ..identity import Identity
from ..transport import Exchange

__all__ = [
    "Flow",
    "FlowOptions",
    "Step",
    "auth_methods_for",
    "check_token",
    "consent_permissions",
    "default_scopes",
    "grants_for",
    "scopes_for",
    "steps_html",
]

StepStatus = Literal["ok", "warning", "failed", "waiting", "skipped"]
T = TypeVar("T")

# Open Finance: "consents" is the scope of the client's own (client-credentials) token; a
# user's authorization asks for the data scopes instead.
_CLIENT_SCOPE = "consents"
_LEVELS = {"ok": "info", "warning": "warning", "failed": "error"}


@dataclass(frozen=True)
class Step:
    """One stage of a flow: `status`, `latency_ms`, a one-line `detail`, its HTTP exchanges."""

    name: str
    status: StepStatus
    latency_ms: float
    detail: str
    exchanges: tuple[Exchange, ...] = ()


@dataclass(frozen=True)
class FlowOptions:
    """What to run: family, grant, client-auth method, scopes (None: the family's default).

    `cpf` is the customer whose Open Finance consent an authorization-code flow asks for.
    """

    family: str
    grant: str
    auth_method: str
    scopes: tuple[str, ...] | None = None
    cpf: str = ""


# -- what a form may offer ----------------------------------------------------------------------------
def grants_for(family: Family) -> tuple[str, ...]:
    """The grants a family supports: its own, plus client credentials for user-token families."""
    if family.grant == "authorization_code":
        return ("authorization_code", "client_credentials")
    return (family.grant,)


def auth_methods_for(family: Family) -> tuple[str, ...]:
    """Client-auth methods to offer, the family's first (the server's list when it published one)."""
    if family.grant == "jwt_bearer":
        return ("none",)  # the signed assertion authenticates the client
    published = family.metadata.get("token_endpoint_auth_methods_supported")
    methods = [m for m in published if m in AUTH_METHODS] if isinstance(published, list) else []
    methods = methods or [m for m in AUTH_METHODS if m != "none"]
    return (family.auth_method, *(m for m in methods if m != family.auth_method))


def scopes_for(family: Family, grant: str) -> tuple[str, ...]:
    """The scopes a form offers for `grant`: only those the family lists."""
    if family.grant != "authorization_code":
        return family.scopes
    if grant == "client_credentials":
        return tuple(s for s in family.scopes if s == _CLIENT_SCOPE) or family.scopes
    return tuple(s for s in family.scopes if s != _CLIENT_SCOPE)


def default_scopes(family: Family, grant: str) -> tuple[str, ...]:
    """The minimal default: the family's default scopes (the client scope for its own token)."""
    if family.grant == "authorization_code" and grant == "client_credentials":
        return scopes_for(family, grant)[:1]
    return family.default_scopes


def consent_permissions(scopes: Collection[str]) -> tuple[str, ...]:
    """Open Finance permissions that match the data scopes asked for (RESOURCES_READ always)."""
    wanted: list[str] = []
    if "accounts" in scopes:
        wanted += openfinance.ACCOUNTS_PERMISSIONS
    if "credit-cards-accounts" in scopes:
        wanted += openfinance.CREDIT_CARD_PERMISSIONS
    return tuple(dict.fromkeys([*wanted, "RESOURCES_READ"]))


# -- checks ---------------------------------------------------------------------------------------------
def check_token(
    token: Token, identity: Identity | None, requested: Collection[str]
) -> tuple[StepStatus, str]:
    """Check a token against what was asked: certificate binding and granted scope."""
    status: StepStatus = "ok"
    notes: list[str] = []
    if token.cnf is None:
        notes.append("opaque token: the server checks its certificate binding")
    elif identity is not None and token.cnf == identity.x5t_s256:
        notes.append("bound to this client certificate (cnf x5t#S256 matches)")
    else:
        status = "failed"
        notes.append("bound to another certificate than the one in use (cnf differs)")
    granted, asked = set(token.scope), set(requested)
    if asked - granted:
        status = "failed" if status == "failed" else "warning"
        notes.append(f"not granted: {' '.join(sorted(asked - granted))}")
    elif asked and granted - asked:
        status = "failed" if status == "failed" else "warning"
        notes.append(f"granted more than asked: {' '.join(sorted(granted - asked))}")
    else:
        notes.append(f"granted scope: {' '.join(token.scope) or '(none stated)'}")
    if token.id_token_claims:
        notes.append("ID token validated")
    return status, "; ".join(notes)


# -- the flow ---------------------------------------------------------------------------------------------
class Flow:
    """One run of a grant with one client: its steps, the pending authorization and the token.

    `on_step(flow)` is called after every step is recorded, so a view can redraw the log while
    the flow runs. A failing step is recorded as "failed" and its error propagates.
    """

    def __init__(
        self,
        client: Client,
        options: FlowOptions,
        *,
        on_step: Callable[[Flow], None] | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.steps: list[Step] = []
        self.pending: PendingAuthorization | None = None
        self.token: Token | None = None
        self._requested: tuple[str, ...] = ()
        self._on_step = on_step

    @property
    def waiting(self) -> bool:
        """True while an authorization waits for its redirect."""
        return self.pending is not None

    # -- entry points ---------------------------------------------------------------------------------
    def run(self) -> None:
        """Run the flow up to a token, or up to the redirect for authorization code."""
        self._prepare()
        if self.options.grant == "authorization_code":
            self._start_authorization()
        else:
            self._fetch_token()

    def finish(self, redirect_url: str) -> Token:
        """Finish a pending authorization with the redirect URL the user pasted."""
        pending = self._take_pending()
        if not redirect_url.strip():
            self._record(Step("redirect", "failed", 0.0, "no redirect URL was pasted"))
            raise ConfigurationError(
                "Paste the whole address the browser was sent back to (it holds the code), then "
                "press Finish. Run the flow again for a new link."
            )
        self._record(Step("redirect", "ok", 0.0, "redirect URL pasted"))
        return self._redeem(pending, redirect_url.strip())

    def auto_consent(self) -> Token:
        """Follow the link as a browser would (servers that consent at once), then finish."""
        pending = self._take_pending()
        redirect_url = self._step(
            "redirect",
            lambda: self.client.follow(pending),
            lambda _url: ("ok", "followed the redirects to the redirect URI (auto-consent)"),
        )
        return self._redeem(pending, redirect_url)

    def cancel(self) -> None:
        """Drop a pending authorization (its link becomes useless)."""
        if self._take_pending_or_none() is not None:
            self._record(Step("redirect", "skipped", 0.0, "cancelled"))

    def refresh(self) -> Token:
        """Renew the token: the refresh grant when there is a refresh token, else a new grant."""
        token = self.token
        if token is None:
            raise ConfigurationError("There is no token to refresh yet: run a flow first.")
        if token.refresh_token is not None:
            fresh = self._step("refresh", lambda: self.client.refresh(token), _token_detail)
        else:
            fresh = self._step("refresh", self._new_token, _token_detail)
        return self._accept(fresh)

    # -- stages -----------------------------------------------------------------------------------------
    def _prepare(self) -> None:
        family = self.client.family
        if family.discovery_url:
            self._step(
                "discovery",
                lambda: self.client.metadata(refresh=True),
                lambda metadata: ("ok", f"issuer {metadata.issuer} (exact match checked)"),
            )
        else:
            self._record(
                Step("configuration", "ok", 0.0, f"token endpoint {family.token_url} (from the environment)")
            )  # fmt: skip

    def _scopes(self) -> tuple[str, ...]:
        """The scopes chosen, else the family's minimal default for the grant."""
        return self.options.scopes or default_scopes(self.client.family, self.options.grant)

    def _fetch_token(self) -> None:
        self._requested = self._scopes()
        token = self._step("token request", self._new_token, _token_detail)
        self._accept(token)

    def _new_token(self) -> Token:
        """A new token from the token endpoint, even when the cache holds a fresh one."""
        scopes = self._requested or None
        return self.client.token(scopes, grant=self.options.grant, force=True)

    def _start_authorization(self) -> None:
        consent = self._create_consent() if self.client.family.name == "openfinance" else None
        scopes = self._scopes()
        pending = self._step(
            "PAR",
            lambda: self.client.authorize(scopes=scopes, consent=consent),
            _pending_detail,
        )
        self.pending, self._requested = pending, pending.scopes
        self._record(
            Step("redirect", "waiting", 0.0, "open the link, consent, then paste the address you land on")
        )  # fmt: skip

    def _create_consent(self) -> str:
        scopes, cpf = self._scopes(), self.options.cpf

        def create() -> str:
            permissions = consent_permissions(scopes)
            response = openfinance.create_consent(self.client, cpf=cpf, permissions=permissions)
            return str(response.json()["data"]["consentId"])

        return self._step(
            "consent", create, lambda consent: ("ok", f"consent {consent} awaiting authorisation")
        )

    def _redeem(self, pending: PendingAuthorization, redirect_url: str) -> Token:
        token = self._step(
            "code exchange",
            lambda: self.client.finish(pending, redirect_url),
            lambda _token: ("ok", "state, iss and ID token checked; code redeemed with the PKCE verifier"),
        )  # fmt: skip
        return self._accept(token)

    def _accept(self, token: Token) -> Token:
        self.token = token
        started = time.perf_counter()
        status, detail = check_token(token, self.client.identity, self._requested)
        self._record(Step("validation", status, _since(started), detail))
        return token

    # -- bookkeeping ------------------------------------------------------------------------------------
    def _take_pending(self) -> PendingAuthorization:
        pending = self._take_pending_or_none()
        if pending is None:
            raise ConfigurationError("No authorization is waiting: press Run first.")
        return pending

    def _take_pending_or_none(self) -> PendingAuthorization | None:
        pending, self.pending = self.pending, None
        return pending

    def _step(
        self, name: str, action: Callable[[], T], describe: Callable[[T], tuple[StepStatus, str]]
    ) -> T:
        began_at, began = dt.datetime.now(dt.UTC), time.perf_counter()
        try:
            result = action()
        except Exception as exc:
            self._record(
                Step(
                    name, "failed", _since(began), redact(str(exc))[:400], self._exchanges(began_at)
                )
            )
            raise
        status, detail = describe(result)
        self._record(Step(name, status, _since(began), detail, self._exchanges(began_at)))
        return result  # fmt: skip

    def _exchanges(self, since: dt.datetime) -> tuple[Exchange, ...]:
        return tuple(e for e in self.client.log if e.time >= since)

    def _record(self, step: Step) -> None:
        if self.steps and self.steps[-1].name == step.name and self.steps[-1].status == "waiting":
            self.steps[-1] = step  # the redirect arrived: its waiting row becomes the outcome
        else:
            self.steps.append(step)
        if self._on_step is not None:
            self._on_step(self)


def _since(began: float) -> float:
    return (time.perf_counter() - began) * 1000


def _token_detail(token: Token) -> tuple[StepStatus, str]:
    return "ok", f"{token.grant} token, scope '{' '.join(token.scope)}'"


def _pending_detail(pending: PendingAuthorization) -> tuple[StepStatus, str]:
    how = "pushed (PAR)" if pending.request_uri else "sent in the link"
    until = f"{pending.expires_at:%H:%M:%S} UTC"
    return "ok", f"signed request object {how}, PKCE S256; link valid until {until}"


# -- display --------------------------------------------------------------------------------------------
def steps_html(steps: Collection[Step]) -> str:
    """The step log as an HTML table: step, status, latency, detail and each HTTP exchange."""
    if not steps:
        return "<p><small>No steps yet: choose the options and press Run.</small></p>"
    rows = "".join(_step_row(number, step) for number, step in enumerate(steps, start=1))
    head = "<tr><th>#</th><th>step</th><th>status</th><th>latency</th><th>detail</th><th>HTTP</th></tr>"
    return f'<table class="bx-steps">{head}{rows}</table>'


def _step_row(number: int, step: Step) -> str:
    level = _LEVELS.get(step.status, "neutral")
    calls = "<br>".join(
        esc(f"{e.method} {e.url.split('?', 1)[0]} -> {e.status if e.status is not None else e.outcome} "
            f"({e.latency_ms:.0f} ms)")
        for e in step.exchanges
    )  # fmt: skip
    return (
        f'<tr class="bx-step bx-step-{esc(step.status)}"><td>{number}</td><td>{esc(step.name)}</td>'
        f"<td>{badge(step.status, level)}</td><td>{step.latency_ms:.0f} ms</td>"
        f"<td>{esc(step.detail)}</td><td><small>{calls}</small></td></tr>"
    )
