"""The dashboard in a real browser: JupyterLab + headless Debian Chromium, driven by Playwright.

A `Sandbox` runs in this process; JupyterLab runs as a subprocess whose kernels see the
sandbox's `BRADESCO_*` variables, so the generated notebook opens `explore(target=
"local-sandbox")`. In the page: upload a PKCS#12 file made at run time (+ its password), run
client credentials, run an authorization code flow through the consent link and the paste
box, fetch transactions; then save the notebook from the UI, with widget state saving on,
and check the saved file holds no key, password, token or code. Screenshots go to
`test-artifacts/browser/`. Chromium is the system one; nothing is downloaded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect, sync_playwright

from bradesco_explore.apis import catalogue
from bradesco_explore.auth import Client
from bradesco_explore.identity import Identity
from bradesco_explore.sandbox import Sandbox
from bradesco_explore.widgets import Fetched, Flow, FlowOptions, fetch_endpoint

from ..widgets._leaks import Forbidden, pkcs12_file
from ._lab import JupyterLab, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
NOTEBOOK = "dashboard.ipynb"
CELLS = [
    "from bradesco_explore.widgets import explore\n\n"
    'board = explore(target="local-sandbox")\n'
    "board",
]
PAGE_SIZE = "200"
KERNEL_READY = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  return Boolean(kernel) && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""
TIMEOUT_MS = 60_000


# -- fixtures -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(transactions=700) as running:
        yield running


@pytest.fixture(scope="module")
def analyst(sandbox: Sandbox) -> Identity:
    """A client certificate made now, registered with the sandbox: what the test uploads."""
    identity = sandbox.ca.issue_client("browser analyst")
    sandbox.register_identity(identity)
    return identity


@pytest.fixture(scope="module")
def lab(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    root = tmp_path_factory.mktemp("lab-root")
    write_notebook(root / NOTEBOOK, CELLS)
    server = JupyterLab(root, tmp_path_factory.mktemp("lab-home"), sandbox.env_variables(),
                        ARTIFACTS / "jupyter.log")  # fmt: skip
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium(sandbox: Sandbox) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium).")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--ignore-certificate-errors-spki-list={_spki_pin(sandbox.public_url)}"]  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()


def _spki_pin(url: str) -> str:
    """Base64 SHA-256 of the sandbox server key: Chromium trusts exactly that key, nothing else."""
    parts = urlsplit(url)
    pem = ssl.get_server_certificate((parts.hostname or "127.0.0.1", parts.port or 443))
    public = x509.load_pem_x509_certificate(pem.encode()).public_key()
    spki = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def _expected_transactions(sandbox: Sandbox) -> Fetched:
    """The same pull without a browser, for comparison with what the page shows."""
    with Client(sandbox.environment, "openfinance", identity=sandbox.identity,
                credentials=sandbox.credentials, redirect_uri=sandbox.redirect_uri) as client:  # fmt: skip
        options = FlowOptions("openfinance", "authorization_code", "private_key_jwt",
                              ("openid", "accounts"), cpf=sandbox.customer.cpf)  # fmt: skip
        flow = Flow(client, options)
        flow.run()
        flow.auto_consent()
        endpoint = catalogue.endpoint("openfinance.transactions")
        return fetch_endpoint(client, endpoint, {"page_size": PAGE_SIZE})


# -- the test --------------------------------------------------------------------------------------------
def test_dashboard_in_jupyterlab(
    sandbox: Sandbox, analyst: Identity, chromium: Any, lab: JupyterLab
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(14)
    p12 = pkcs12_file(analyst, password)
    expected = _expected_transactions(sandbox)
    context = chromium.new_context(viewport={"width": 1400, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        _open_notebook(page, lab)
        _load_certificate(page, p12, password, analyst)
        _client_credentials(page, analyst)
        redirect = _authorization_code(page, context, sandbox)
        _fetch_transactions(page, expected)
        saved = _save(page, lab)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "failure.png"))
        raise
    finally:
        context.close()
    _assert_no_secrets(saved, sandbox, analyst, p12, password, redirect)


def _dashboard(page: Any) -> Any:
    return page.locator(".bx-dashboard")


def _shot(page: Any, name: str, focus: str) -> None:
    """A screenshot of the window with `focus` (a selector) scrolled into view."""
    page.locator(focus).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / name))


def _open_notebook(page: Any, lab: JupyterLab) -> None:
    page.goto(f"{lab.url}/lab/tree/{NOTEBOOK}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.wait_for_function(KERNEL_READY)
    # not awaited: the command's promise settles only when the kernel has run every cell
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    _dashboard(page).wait_for()


def _tab(page: Any, title: str) -> None:
    _dashboard(page).locator(".lm-TabBar-tab", has_text=title).click()


def _load_certificate(page: Any, p12: bytes, password: str, analyst: Identity) -> None:
    board = _dashboard(page)
    with page.expect_file_chooser() as chooser:  # the button opens the browser's file dialog
        page.click(".bx-cert-upload")
    chooser.value.set_files(
        files=[{"name": "analyst.p12", "mimeType": "application/x-pkcs12", "buffer": p12}]
    )
    expect(board).to_contain_text("analyst.p12")
    expect(board).to_contain_text("held in memory until you press Load")
    page.fill(".bx-cert-password input", password)
    page.click(".bx-cert-load")
    expect(board.locator(".bx-badge.bx-info", has_text="valid,")).to_be_visible()
    expect(board).to_contain_text("in use for every flow")
    expect(board).to_contain_text(analyst.fingerprint_sha256)
    expect(board).to_contain_text("CN=browser analyst")
    expect(page.locator(".bx-cert-password input")).to_have_value("")
    _shot(page, "01-certificate.png", ".bx-cert-load")


def _client_credentials(page: Any, analyst: Identity) -> None:
    _tab(page, "Flows")
    page.select_option(".bx-flow-family select", "pix")
    expect(page.locator(".bx-flow-grant select")).to_have_value("client_credentials")
    page.click(".bx-flow-run")
    card = page.locator(".bx-token-card")
    expect(card).to_contain_text("Access token")
    expect(card).to_contain_text(analyst.x5t_s256)  # bound to the uploaded certificate
    expect(card).to_contain_text(re.compile(r"expires in \d+m\d+s"))  # the countdown runs
    expect(page.locator(".bx-steps")).to_contain_text("validation")
    _shot(page, "02-client-credentials.png", ".bx-token-card")


def _authorization_code(page: Any, context: Any, sandbox: Sandbox) -> str:
    page.select_option(".bx-flow-family select", "openfinance")
    expect(page.locator(".bx-flow-grant select")).to_have_value("authorization_code")
    cpf = sandbox.customer.cpf  # shown masked as the default, never as the box's value
    expect(page.locator(".bx-flow-cpf input")).to_have_value("")
    expect(page.locator(".bx-flow-cpf input")).to_have_attribute(
        "placeholder", re.compile(re.escape(f"***.{cpf[3:6]}.{cpf[6:9]}-**"))
    )
    page.click(".bx-flow-run")
    link = page.locator("a.bx-consent-link")
    with context.expect_page() as opened:
        link.click()
    consent = opened.value
    consent.wait_for_function("() => (document.getElementById('url') || {}).value")
    redirect = str(consent.input_value("#url"))
    assert redirect.startswith(sandbox.redirect_uri) and "code=" in redirect
    consent.screenshot(path=str(ARTIFACTS / "03-redirect-page.png"))
    consent.close()
    page.fill(".bx-flow-redirect input", redirect)
    page.click(".bx-flow-finish")
    card = page.locator(".bx-token-card")
    expect(card).to_contain_text("ID token subject")
    expect(card).to_contain_text("authorization_code")
    expect(page.locator("a.bx-consent-link")).to_have_count(0)
    expect(page.locator(".bx-flow-redirect input")).to_have_value("")
    expect(page.locator(".bx-steps")).to_contain_text("code exchange")
    _shot(page, "04-authorization-code.png", ".bx-token-card")
    return redirect


def _fetch_transactions(page: Any, expected: Fetched) -> None:
    _tab(page, "Explore responses")
    page.select_option(".bx-explore-family select", "openfinance")
    page.select_option(".bx-explore-endpoint select", label="Account transactions")
    expect(page.locator(".bx-param-start input")).to_be_visible()  # the kernel built its fields
    page.fill(".bx-param-page_size input", PAGE_SIZE)
    page.click(".bx-explore-fetch")
    table = page.locator(".bx-explore-table")
    expect(table.locator("table.bx-table")).to_be_visible()
    frame = expected.table.frame
    expect(table.locator(".bx-facts tr").first).to_contain_text(f"{len(frame):,}")
    body_rows = table.locator("table.bx-table tbody tr")
    expect(body_rows).to_have_count(21)  # 10 first rows, an ellipsis row, 10 last rows
    expect(body_rows.first).to_contain_text(str(frame["transactionId"].iloc[0]))
    expect(body_rows.last).to_contain_text(str(frame["transactionId"].iloc[-1]))
    pages = len(expected.pages)
    expect(
        page.locator(".bx-explore-progress progress, .bx-explore-progress .progress-bar").first
    ).to_be_attached()
    expect(_dashboard(page)).to_contain_text(f"page {pages}")
    expect(page.locator(".bx-explore-csv a")).to_contain_text(f"Download CSV ({len(frame):,} rows")
    _shot(page, "05-transactions.png", ".bx-explore-table")


def _save(page: Any, lab: JupyterLab) -> dict[str, Any]:
    """Save from the UI (Ctrl+S on the notebook) and wait for the widget state in the file."""
    path = lab.root / NOTEBOOK
    before = path.stat().st_mtime_ns
    page.locator(".jp-Notebook .jp-InputPrompt").first.click()
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.stat().st_mtime_ns != before:
            try:
                saved: dict[str, Any] = json.loads(path.read_text())
            except json.JSONDecodeError:  # Jupyter rewrites the file in place: caught mid-write
                saved = {"metadata": {}}
            if saved["metadata"].get("widgets"):
                return saved
        time.sleep(0.2)
    raise AssertionError("the notebook was not saved with its widget state within 30 s")


def _assert_no_secrets(
    saved: dict[str, Any],
    sandbox: Sandbox,
    analyst: Identity,
    p12: bytes,
    password: str,
    redirect: str,
) -> None:
    text = json.dumps(saved, ensure_ascii=False)
    models = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    names = {model["model_name"] for model in models.values()}
    # The check means something: the dashboard, its token card and its table were saved.
    assert {"FileUploadModel", "PasswordModel", "OutputModel", "TabModel"} <= names
    assert "Access token" in text and "Open Finance account transactions" in text
    forbidden = Forbidden()
    forbidden.add_key(analyst)
    forbidden.add_key(sandbox.identity)
    forbidden.add_blob(p12)
    forbidden.add_text(password, redirect, *re.findall(r"(?:code|id_token)=([^&#]+)", redirect))
    forbidden.add_text(sandbox.customer.cpf)  # personal data, like the secrets
    for number, value in enumerate(sorted(forbidden.with_sandbox(sandbox).texts)):
        assert value not in text, (
            f"the saved notebook holds forbidden value #{number} ({len(value)} chars)"
        )
    uploads = [m["state"] for m in models.values() if m["model_name"] == "FileUploadModel"]
    assert all(state.get("value", []) == [] for state in uploads)
    assert not any(
        m.get("buffers") for m in models.values() if m["model_name"] == "FileUploadModel"
    )
