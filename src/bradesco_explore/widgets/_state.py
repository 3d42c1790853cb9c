"""`ExplorerState`: what the dashboard's forms share, in plain Python (no widget in here).

The workspace, the identity in use (the workspace's until the certificate form loads
another), one `Client` per (family, client-auth method) built with that identity, and the
sample values a sandbox target fills the forms with. Secrets live here, in Python memory,
never in a widget trait.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Literal

from ..auth import Client
from ..errors import ConfigurationError
from ..identity import Identity
from ..sandbox._dataset import DEFAULT_AS_OF
from ..workspace import Workspace

__all__ = ["SANDBOX_TARGETS", "Change", "ExplorerState", "samples_for"]

SANDBOX_TARGETS = ("local", "local-sandbox")

# The sandbox's synthetic data covers the year up to its business date (`Sandbox.as_of`); a
# sandbox attached from another process is the CLI's, which uses the default date.
_REAL_PERIOD_DAYS = 30

Change = Literal["workspace", "identity"]
Listener = Callable[[Change], None]


class ExplorerState:
    """The workspace, the identity in use and the clients built with it.

    `owns_workspace`: close the workspace with the state (True when the dashboard opened it).
    Listeners (`subscribe`) hear "workspace" after `switch` and "identity" after
    `use_identity`, so every form can refresh what it shows.
    """

    def __init__(self, workspace: Workspace, *, owns_workspace: bool = False) -> None:
        self.workspace = workspace
        self.owns_workspace = owns_workspace
        self.identity: Identity | None = workspace.identity
        self._clients: dict[tuple[str, str], Client] = {}
        self._latest: dict[str, Client] = {}
        self._listeners: list[Listener] = []

    # -- facts -------------------------------------------------------------------------------------
    @property
    def is_sandbox(self) -> bool:
        """True for the local sandbox targets (samples, auto-consent, the sandbox identity)."""
        return self.workspace.target in SANDBOX_TARGETS

    @property
    def sandbox_identity(self) -> Identity | None:
        """The sandbox's registered client identity, when the target is a sandbox."""
        return self.workspace.identity if self.is_sandbox else None

    @property
    def offers_auto_consent(self) -> bool:
        """True when the authorization server approves at once (the sandbox in "auto" mode)."""
        sandbox = self.workspace.sandbox
        if sandbox is not None:
            return sandbox.consent == "auto"
        return self.workspace.target == "local-sandbox"

    def samples(self) -> dict[str, str]:
        """Sample values for the forms: the sandbox's test customer and company, and a period."""
        return samples_for(self.workspace, today=dt.date.today())

    # -- changes -----------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call `listener(change)` after every workspace or identity change."""
        self._listeners.append(listener)

    def use_identity(self, identity: Identity) -> None:
        """Use `identity` for every client from now on (raises if it cannot do mTLS)."""
        identity.require_usable()
        self.identity = identity
        self._close_clients()
        self._notify("identity")

    def switch(self, target: str) -> None:
        """Open `target` as the new workspace (closing the old one if this state opened it)."""
        workspace = Workspace.open(target)
        self._close_clients()
        if self.owns_workspace:
            self.workspace.close()
        self.workspace, self.owns_workspace = workspace, True
        self.identity = workspace.identity
        self._notify("workspace")

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- clients -----------------------------------------------------------------------------------
    def client(self, family: str, auth_method: str | None = None) -> Client:
        """The client for `family` with `auth_method` (default: the family's), made once."""
        chosen = self.workspace.environment.family(family)
        method = auth_method or chosen.auth_method
        key = (chosen.name, method)
        if key not in self._clients:
            self._clients[key] = self._make_client(chosen.name, method)
        self._latest[chosen.name] = self._clients[key]
        return self._clients[key]

    def current_client(self, family: str) -> Client:
        """The client a flow last used for `family` (it holds the user's token), else a new one."""
        name = self.workspace.environment.family(family).name
        return self._latest.get(name) or self.client(name)

    def _make_client(self, family: str, auth_method: str) -> Client:
        return self.workspace.client(family, identity=self.identity, auth=auth_method)

    def _close_clients(self) -> None:
        for client in self._clients.values():
            with contextlib.suppress(Exception):
                client.close()
        self._clients.clear()
        self._latest.clear()

    def close(self) -> None:
        """Close the clients, and the workspace if this state opened it."""
        self._close_clients()
        if self.owns_workspace:
            self.workspace.close()


def samples_for(workspace: Workspace, *, today: dt.date) -> dict[str, str]:
    """Sample form values: the workspace's customer CPF, company branch/account, a period.

    Sandbox targets get the sandbox's test customer and company and its data year; other
    targets get what their settings name (`BRADESCO_CUSTOMER_CPF`, `BRADESCO_BENEFICIARY_*`)
    and the last 30 days.
    """
    if workspace.target in SANDBOX_TARGETS:
        last = workspace.sandbox.as_of if workspace.sandbox is not None else DEFAULT_AS_OF
        first = last - dt.timedelta(days=364)
    else:
        first, last = today - dt.timedelta(days=_REAL_PERIOD_DAYS), today
    samples = {"start": first.isoformat(), "end": last.isoformat()}
    with contextlib.suppress(ConfigurationError):  # not configured: the user types it
        samples["cpf"] = workspace.customer.cpf
    with contextlib.suppress(ConfigurationError):
        beneficiary = workspace.beneficiary
        samples |= {"branch": beneficiary.branch, "account": beneficiary.account}
    return samples
