"""The certificate form: uploads and paths, passwords, the report, and nothing left in the page."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from bradesco_explore._secret import Secret
from bradesco_explore.errors import ConfigurationError, IdentityPasswordError
from bradesco_explore.identity import Identity
from bradesco_explore.widgets import (
    CertificateSource,
    Dashboard,
    UploadedFile,
    certificate_report,
    load_certificate,
)
from bradesco_explore.workspace import Workspace

from ._leaks import Forbidden, assert_clean, pkcs12_file, upload_entry


@pytest.fixture(scope="module")
def analyst(workspace: Workspace) -> Identity:
    """A second client identity from the sandbox CA, registered with the sandbox."""
    assert workspace.sandbox is not None
    identity = workspace.sandbox.ca.issue_client("analyst")
    workspace.sandbox.register_identity(identity)
    return identity


def _upload(board: Dashboard, name: str, content: bytes, *, key: bool = False) -> None:
    form = board.certificate
    widget = form.key_upload if key else form.upload
    widget.set_state({"value": [upload_entry(name, content)]})


# -- plain functions ----------------------------------------------------------------------------------
def test_load_certificate_from_uploaded_pkcs12_and_wrong_password(analyst: Identity) -> None:
    password = secrets.token_urlsafe(12)
    upload = UploadedFile("analyst.p12", pkcs12_file(analyst, password))
    loaded = load_certificate(CertificateSource(certificate=upload, password=Secret(password)))
    assert loaded.x5t_s256 == analyst.x5t_s256 and loaded.has_key
    assert loaded.source == "analyst.p12"
    with pytest.raises(IdentityPasswordError, match=r"analyst\.p12"):
        load_certificate(CertificateSource(certificate=upload, password=Secret("wrong-password")))
    assert repr(upload) == f"UploadedFile('analyst.p12', {len(upload.content):,} bytes)"


def test_load_certificate_from_paths_and_from_nothing(analyst: Identity, tmp_path: Path) -> None:
    cert_path = tmp_path / "client.pem"
    cert_path.write_bytes(analyst.certificate_pem)
    key_path = tmp_path / "client.key"
    key_path.write_bytes(
        analyst._private_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    loaded = load_certificate(CertificateSource(path=str(cert_path), key_path=str(key_path)))
    assert loaded.x5t_s256 == analyst.x5t_s256 and loaded.has_key
    with pytest.raises(ConfigurationError, match="No certificate given"):
        load_certificate(CertificateSource())


def test_report_shows_expiry_fingerprints_findings_and_use(analyst: Identity) -> None:
    report = certificate_report(analyst, in_use=True)
    assert f"{analyst.days_to_expiry} days to expiry" in report
    assert analyst.fingerprint_sha256 in report and analyst.x5t_s256 in report
    assert "bx-info" in report and "in use for every flow" in report
    assert "Usable for mTLS" in report


# -- the form --------------------------------------------------------------------------------------------
def test_uploaded_pkcs12_is_loaded_used_and_forgotten(
    dashboard: Dashboard, workspace: Workspace, analyst: Identity, forbidden: Forbidden
) -> None:
    assert workspace.sandbox is not None
    password = secrets.token_urlsafe(12)
    p12 = pkcs12_file(analyst, password)
    forbidden.add_blob(p12)
    forbidden.add_text(password)
    forbidden.add_key(analyst)
    form = dashboard.certificate

    _upload(dashboard, "analyst.p12", p12)
    assert form.upload.value == ()  # the bytes left the widget at once
    assert "analyst.p12" in form.received.value and "held in memory" in form.received.value
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))

    form.password.value = password
    assert form.password.value == ""  # the password left the widget as soon as it synced
    assert "held in memory" in form.password.placeholder
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))
    form.load_button.click()
    assert form.password.value == "" and form.received.value == ""
    assert form.password.placeholder == "PKCS#12 or key password"
    assert "bx-info" in form.report.value and "valid," in form.report.value
    assert analyst.fingerprint_sha256 in form.report.value
    assert dashboard.state.identity is not None
    assert dashboard.state.identity.x5t_s256 == analyst.x5t_s256
    assert "CN=analyst" in dashboard.header.value
    assert form.message.value == ""
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))

    dashboard.flows.family.value = "pix"
    dashboard.flows.run()
    assert dashboard.flows.flow is not None and dashboard.flows.flow.token is not None
    assert dashboard.flows.flow.token.cnf == analyst.x5t_s256  # the flows use the new certificate
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))


def test_wrong_password_is_a_readable_message_and_everything_is_cleared(
    dashboard: Dashboard, workspace: Workspace, analyst: Identity, forbidden: Forbidden
) -> None:
    assert workspace.sandbox is not None
    p12 = pkcs12_file(analyst, "the-right-password")
    forbidden.add_blob(p12)
    before = dashboard.state.identity
    form = dashboard.certificate
    _upload(dashboard, "analyst.p12", p12)
    form.password.value = "not-the-password"
    form.load()
    assert "Loading the certificate failed" in form.message.value
    assert "password for the PKCS#12 file analyst.p12 is wrong" in form.message.value
    assert "Traceback" not in form.message.value
    assert form.password.value == "" and form.upload.value == () and form.received.value == ""
    assert dashboard.state.identity is before
    forbidden.add_text("not-the-password")
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))


def test_separate_pem_certificate_and_key_uploads(
    dashboard: Dashboard, workspace: Workspace, analyst: Identity, forbidden: Forbidden
) -> None:
    assert workspace.sandbox is not None
    key_pem = analyst._private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forbidden.add_key(analyst)
    _upload(dashboard, "client.pem", analyst.certificate_pem)
    _upload(dashboard, "client.key", key_pem, key=True)
    assert dashboard.certificate.key_upload.value == ()
    assert "client.key" in dashboard.certificate.received.value
    dashboard.certificate.load()
    assert dashboard.state.identity is not None
    assert dashboard.state.identity.x5t_s256 == analyst.x5t_s256
    assert_clean(dashboard, forbidden.with_sandbox(workspace.sandbox))


def test_unusable_certificates_are_reported_but_not_used(
    dashboard: Dashboard, workspace: Workspace
) -> None:
    assert workspace.sandbox is not None
    now = dt.datetime.now(dt.UTC)
    expired = workspace.sandbox.ca.issue_client(
        "old", not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2)
    )
    before = dashboard.state.identity
    _upload(dashboard, "old.pem", expired.certificate_pem)  # no key, and expired
    dashboard.certificate.load()
    report = dashboard.certificate.report.value
    assert "expired on" in report and "not in use" in report and "bx-error" in report
    assert "expired" in report and "No private key loaded" in report
    assert dashboard.state.identity is before


def test_garbage_upload_and_empty_form_give_readable_messages(dashboard: Dashboard) -> None:
    form = dashboard.certificate
    _upload(dashboard, "notes.txt", b"just some text, not a certificate")
    form.load()
    assert "notes.txt is not a certificate or key" in form.message.value
    form.load()
    assert "No certificate given" in form.message.value


def test_sandbox_identity_button(
    dashboard: Dashboard, workspace: Workspace, analyst: Identity
) -> None:
    form = dashboard.certificate
    assert form.sandbox_button.layout.display == ""
    dashboard.state.use_identity(analyst)
    form.sandbox_button.click()
    assert dashboard.state.identity is workspace.identity
    assert "in use for every flow" in form.report.value
