"""Readable error cards, and the sample values each kind of target gets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bradesco_explore.auth import Environment
from bradesco_explore.errors import OAuthError
from bradesco_explore.widgets._messages import error_html, shown_errors
from bradesco_explore.widgets._state import samples_for
from bradesco_explore.workspace import Workspace


def test_errors_become_cards_with_redacted_messages() -> None:
    ours = error_html(
        OAuthError("invalid_client: the client secret is wrong", error="invalid_client"),
        "Getting a token",
    )
    assert "Getting a token failed" in ours and "invalid_client" in ours and "OAuthError" in ours
    bug = error_html(KeyError("access_token=abcdef123456"), "Fetching")
    assert "Unexpected KeyError" in bug and "abcdef123456" not in bug and "[REDACTED]" in bug
    shown: list[str] = []
    with shown_errors(shown.append, "Doing it"):
        raise RuntimeError("boom")
    assert len(shown) == 1 and "Doing it failed" in shown[0] and "Traceback" not in shown[0]


def test_samples_for_sandbox_and_real_targets(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert workspace.sandbox is not None
    sandbox_samples = samples_for(workspace, today=dt.date(2026, 1, 31))
    assert sandbox_samples["cpf"] == workspace.sandbox.customer.cpf
    assert sandbox_samples["branch"] == workspace.sandbox.beneficiary.branch
    assert (sandbox_samples["start"], sandbox_samples["end"]) == ("2024-07-01", "2025-06-30")
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.delenv("BRADESCO_CUSTOMER_CPF", raising=False)
    real = Workspace(
        "bradesco-sandbox", Environment.bradesco_sandbox(), None, workspace.credentials
    )
    samples = samples_for(real, today=dt.date(2026, 1, 31))
    assert samples["start"] == "2026-01-01" and samples["end"] == "2026-01-31"
    assert "cpf" not in samples  # the user types their test customer's CPF
    assert samples["branch"] == workspace.sandbox.beneficiary.branch  # Bradesco's test company
    monkeypatch.setenv("BRADESCO_CUSTOMER_CPF", "39053344705")
    assert samples_for(real, today=dt.date(2026, 1, 31))["cpf"] == "39053344705"
