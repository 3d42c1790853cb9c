"""`FlowRunner`: pick an environment, family, grant, client auth and scopes; run; see each step.

A thin view over `_flow.Flow`. For authorization code it shows the link to open and a box for
the address the browser lands on (works anywhere, Binder included), plus an auto-consent
shortcut where the server consents at once. The pending authorization lives in the `Flow`
object, in Python memory; the link leaves the page as soon as the flow finishes or stops.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from .._html import esc
from ..errors import ConfigurationError
from ..tables import mask_json
from ..workspace import TARGETS
from ._display import set_visible, show_object
from ._flow import (
    Flow,
    FlowOptions,
    auth_methods_for,
    default_scopes,
    grants_for,
    scopes_for,
    steps_html,
)
from ._messages import shown_errors
from ._state import Change, ExplorerState

__all__ = ["FlowRunner"]


class FlowRunner(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Run an OAuth flow step by step and see its token (redacted, with an expiry countdown).

    `run()`, `finish()`, `auto_consent()`, `cancel()` and `refresh()` are what the buttons do.
    """

    def __init__(self, state: ExplorerState) -> None:
        super().__init__()
        self.state = state
        self.flow: Flow | None = None
        self._syncing = False
        self.target = _dropdown("Environment", "bx-flow-target")
        self.family = _dropdown("Family", "bx-flow-family")
        self.grant = _dropdown("Grant", "bx-flow-grant")
        self.auth_method = _dropdown("Client auth", "bx-flow-auth")
        self.scopes = widgets.SelectMultiple(description="Scopes", rows=5)
        # The CPF is personal data: it stays in Python (`_customer`); the box only takes a new
        # one and is emptied on Run, so saved widget state never holds it.
        self._customer = ""
        self.cpf = widgets.Text(description="Customer CPF")
        self.run_button = _button("Run", "bx-flow-run", button_style="primary", icon="play")
        self.steps, self.message, self.link = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.redirect_url = widgets.Text(description="Redirect URL",
                                         placeholder="paste the whole address you were sent back to",
                                         layout=widgets.Layout(width="90%"))  # fmt: skip
        self.finish_button = _button("Finish", "bx-flow-finish", button_style="success")
        self.auto_button = _button("Auto-consent", "bx-flow-auto", icon="forward")
        self.cancel_button = _button("Cancel", "bx-flow-cancel")
        self.authorization = widgets.VBox([
            self.link, self.redirect_url,
            widgets.HBox([self.finish_button, self.auto_button, self.cancel_button]),
        ])  # fmt: skip
        self.token_card = widgets.Output()
        self.refresh_button = _button("Refresh token", "bx-flow-refresh", icon="refresh")
        self._layout()
        self._wire()
        self._sync_options()

    def _layout(self) -> None:
        self.scopes.add_class("bx-flow-scopes")
        self.cpf.add_class("bx-flow-cpf")
        self.redirect_url.add_class("bx-flow-redirect")
        self.token_card.add_class("bx-token-card")
        self.children = (
            widgets.HTML("<b>OAuth flows</b>: every request is logged below, redacted."),
            self.target, self.family, self.grant, self.auth_method, self.scopes, self.cpf,
            widgets.HBox([self.run_button]), self.steps, self.authorization, self.message,
            self.token_card, widgets.HBox([self.refresh_button]),
        )  # fmt: skip
        set_visible(self.authorization, False)
        set_visible(self.refresh_button, False)

    def _wire(self) -> None:
        self.target.observe(self._on_target, names="value")
        self.family.observe(lambda _change: self._sync_family(), names="value")
        self.grant.observe(lambda _change: self._sync_grant(), names="value")
        self.run_button.on_click(lambda _button: self.run())
        self.finish_button.on_click(lambda _button: self.finish())
        self.auto_button.on_click(lambda _button: self.auto_consent())
        self.cancel_button.on_click(lambda _button: self.cancel())
        self.refresh_button.on_click(lambda _button: self.refresh())
        self.state.subscribe(self._on_state_change)

    # -- actions -----------------------------------------------------------------------------------
    def options(self) -> FlowOptions:
        """The flow the form describes."""
        return FlowOptions(
            family=self.family.value,
            grant=self.grant.value,
            auth_method=self.auth_method.value,
            scopes=tuple(self.scopes.value) or None,
            cpf=self.cpf.value.strip() or self._customer,
        )

    def run(self) -> None:
        """Start a new flow (dropping any authorization still waiting)."""
        self._end_authorization()
        self.message.value = ""
        self._show_token(None)
        options = self.options()
        self._remember_customer(options.cpf)
        with shown_errors(self._show_message, f"The {options.grant} flow"):
            client = self.state.client(options.family, options.auth_method)
            self.flow = Flow(client, options, on_step=self._draw_steps)
            self._draw_steps(self.flow)
            self.flow.run()
        if self.flow is not None and self.flow.waiting:
            self._show_authorization()
        else:
            self._show_token_of_flow()

    def finish(self) -> None:
        """Finish the waiting authorization with the pasted redirect URL (then clear the box)."""
        pasted = self.redirect_url.value
        self._end_authorization()
        with shown_errors(self._show_message, "Finishing the authorization"):
            self._require_flow().finish(pasted)
        self._show_token_of_flow()

    def auto_consent(self) -> None:
        """Let the client follow the link itself (servers that consent at once)."""
        self._end_authorization()
        with shown_errors(self._show_message, "Auto-consent"):
            self._require_flow().auto_consent()
        self._show_token_of_flow()

    def cancel(self) -> None:
        """Drop the waiting authorization."""
        self._end_authorization()
        if self.flow is not None:
            self.flow.cancel()

    def refresh(self) -> None:
        """Renew the flow's token."""
        self.message.value = ""
        with shown_errors(self._show_message, "Refreshing the token"):
            self._require_flow().refresh()
        self._show_token_of_flow()

    def _require_flow(self) -> Flow:
        if self.flow is None:
            raise ConfigurationError("No flow yet: press Run first.")
        return self.flow

    # -- options -------------------------------------------------------------------------------------
    def _sync_options(self) -> None:
        """Fill every choice from the workspace (targets, families) and the chosen family."""
        self._syncing = True
        try:
            current = self.state.workspace.target
            targets = TARGETS if current in TARGETS else (*TARGETS, current)
            self.target.options, self.target.value = targets, current
            environment = self.state.workspace.environment
            self.family.options = tuple(environment.families)
            self.family.value = environment.default_family
        finally:
            self._syncing = False
        self._sync_family()
        self._remember_customer(self.state.samples().get("cpf", ""))

    def _remember_customer(self, cpf: str) -> None:
        """Keep `cpf` for the next flow, show it masked, and empty the box."""
        self._customer = cpf
        self.cpf.value = ""
        shown = mask_json({"cpf": cpf})["cpf"] if cpf else ""
        self.cpf.placeholder = (
            f"{shown} (type another to change)" if shown else "whose consent is asked"
        )

    def _sync_family(self) -> None:
        family = self.state.workspace.environment.family(self.family.value)
        self.grant.options = grants_for(family)
        self.grant.value = family.grant
        self.auth_method.options = auth_methods_for(family)
        self.auth_method.value = family.auth_method
        self._sync_grant()

    def _sync_grant(self) -> None:
        if self.grant.value is None:
            return
        family = self.state.workspace.environment.family(self.family.value)
        offered = scopes_for(family, self.grant.value)
        self.scopes.options = offered
        self.scopes.value = tuple(
            s for s in default_scopes(family, self.grant.value) if s in offered
        )
        self.scopes.disabled = not offered
        needs_consent = family.name == "openfinance" and self.grant.value == "authorization_code"
        set_visible(self.cpf, needs_consent)

    def _on_target(self, change: dict[str, Any]) -> None:
        if self._syncing or change["new"] == self.state.workspace.target:
            return
        self.message.value = ""
        with shown_errors(self._show_message, f"Opening {change['new']}"):
            self.state.switch(change["new"])
        self._sync_options()  # back to the workspace in use when opening failed

    def _on_state_change(self, change: Change) -> None:
        self._end_authorization()
        self.flow = None
        self.steps.value = ""
        self._show_token(None)
        if change == "workspace":
            self._sync_options()

    # -- drawing -------------------------------------------------------------------------------------
    def _draw_steps(self, flow: Flow) -> None:
        self.steps.value = steps_html(flow.steps)

    def _show_authorization(self) -> None:
        pending = self.flow.pending if self.flow else None
        if pending is None:
            return
        until = f"{pending.expires_at:%H:%M:%S} UTC"
        self.link.value = (
            f'<p><a class="bx-consent-link" href="{esc(pending.url)}" target="_blank" '
            f'rel="noopener noreferrer"><b>Open the consent page</b></a> (valid until {until}). '
            "After consenting, copy the whole address of the page you land on into the box "
            "below and press Finish.</p>"
        )
        set_visible(self.auto_button, self.state.offers_auto_consent)
        set_visible(self.authorization, True)

    def _end_authorization(self) -> None:
        """Take the link and any pasted address out of the page."""
        self.link.value = ""
        self.redirect_url.value = ""
        set_visible(self.authorization, False)

    def _show_token_of_flow(self) -> None:
        self._show_token(self.flow.token if self.flow else None)

    def _show_token(self, token: Any) -> None:
        if token is None:
            self.token_card.outputs = ()
        else:
            show_object(self.token_card, token)
        set_visible(self.refresh_button, token is not None)

    def _show_message(self, html: str) -> None:
        self.message.value = html

    def __repr__(self) -> str:
        return f"FlowRunner(target={self.state.workspace.target!r}, family={self.family.value!r})"


def _dropdown(description: str, css_class: str) -> Any:
    dropdown = widgets.Dropdown(description=description, style={"description_width": "initial"})
    dropdown.add_class(css_class)
    return dropdown


def _button(description: str, css_class: str, **options: Any) -> Any:
    button = widgets.Button(description=description, layout={"width": "auto"}, **options)
    button.add_class(css_class)
    return button
