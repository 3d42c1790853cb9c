"""The public surface is small, documented and pinned: a new public name is a deliberate change."""

from __future__ import annotations

import importlib
import subprocess
import sys

import bradesco_explore as bx

PUBLIC = [
    "BoletoListPages", "BradescoExploreError", "CertificateRejectedError", "Client", "ConfigurationError",
    "ConnectionFailedError", "Credentials", "DataError", "Environment", "ExchangeLog", "ExtratoWindows", "Family",
    "Finding", "HTTPStatusError", "Identity", "IdentityError", "IdentityFormatError", "IdentityPasswordError",
    "InsecureConfigurationError", "KeyMismatchError", "MissingKeyError", "OAuthError", "OpenFinancePages",
    "OpenFinanceSubject", "PaginationError", "PendingAuthorization", "PixPages", "RequestTimeoutError", "Response",
    "ResponseValidationError", "RetryPolicy", "Sandbox", "Secret", "ServerRejectedError", "Session",
    "TLSHandshakeError", "Table", "Token", "TokenCache", "Workspace", "__version__", "balance_over_time", "boleto_status_counts", "explore", "install_log_redaction",
    "make_csr", "spending_by_type", "to_frame",
]  # fmt: skip


def test_all_is_pinned() -> None:
    assert sorted(bx.__all__) == sorted(PUBLIC)


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in bx.__all__:
        value = getattr(bx, name)
        if name != "__version__":
            assert (value.__doc__ or "").strip(), f"{name} has no docstring"


def test_layer_packages_declare_all() -> None:
    for layer in ("identity", "transport", "auth", "apis", "tables", "sandbox"):
        module = importlib.import_module(f"bradesco_explore.{layer}")
        assert module.__all__, layer
        for name in module.__all__:
            assert hasattr(module, name), f"{layer}.{name}"


def test_import_is_light() -> None:
    """pandas, ipywidgets, the sandbox and the HTTP stack load only when first used."""
    code = ("import sys, bradesco_explore; "
            "print(sorted(m for m in ('pandas', 'ipywidgets', 'requests', 'cryptography', 'bradesco_explore.sandbox') "
            "if m in sys.modules))")  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
