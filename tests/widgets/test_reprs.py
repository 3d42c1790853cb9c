"""What a bare expression shows in a notebook: every object a flow produces has a safe rich view."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bradesco_explore.apis import openfinance, pix
from bradesco_explore.tables import Table, to_frame
from bradesco_explore.workspace import Workspace


def _objects(workspace: Workspace) -> dict[str, Any]:
    assert workspace.sandbox is not None and workspace.identity is not None
    charges = workspace.client("pix")
    response = pix.list_charges(
        charges, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime.now(dt.UTC)
    )
    bank = workspace.client("openfinance")
    consent = openfinance.create_consent(bank, cpf=workspace.sandbox.customer.cpf).json()["data"]
    pending = bank.authorize(scopes=["openid", "accounts"], consent=consent["consentId"])
    user_token = bank.finish(pending, bank.follow(pending))
    return {
        "Identity": workspace.identity, "Token": charges.token(), "user Token": user_token,
        "Response": response, "Environment": workspace.environment, "Workspace": workspace,
        "Table": Table(to_frame(response)), "PendingAuthorization": pending, "Client": charges,
        "ExchangeLog": charges.log, "Sandbox": workspace.sandbox, "Credentials": workspace.credentials,
    }  # fmt: skip


def test_package_objects_have_safe_rich_and_text_views(workspace: Workspace) -> None:
    assert workspace.sandbox is not None
    objects = _objects(workspace)
    secrets = [s for s in workspace.sandbox.known_secrets() if len(s) >= 8]
    for name, obj in objects.items():
        text, html = repr(obj), obj._repr_html_()
        assert "0x" not in text and " at 0x" not in html, f"{name} shows a memory address"
        assert html.strip(), f"{name} has an empty HTML view"
        for number, secret in enumerate(secrets):
            if name == "PendingAuthorization" and secret == obj.request_uri:
                continue  # its link is what the user must open
            assert secret not in text and secret not in html, f"{name} shows secret #{number}"
