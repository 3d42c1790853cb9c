"""`CertificateForm`: upload or point to a client certificate, see whether it is usable.

A thin view over `_certificate` and `ExplorerState`. Uploaded bytes and the typed password
leave the widgets as soon as they arrive (they wait in Python memory for Load; the password box
syncs only when it loses focus, then empties), so a notebook saved with its widget state never
holds them; both are forgotten when Load is pressed, whether loading works or not.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from .._html import esc
from .._secret import Secret
from ..errors import IdentityError
from ..identity import Identity
from ._certificate import CertificateSource, UploadedFile, certificate_report, load_certificate
from ._display import set_visible
from ._messages import note_html, shown_errors
from ._state import Change, ExplorerState

__all__ = ["CertificateForm"]

_CERTIFICATE_TYPES = ".pem,.crt,.cer,.der,.pfx,.p12"
_KEY_TYPES = ".pem,.key,.der"


class CertificateForm(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """Load a client certificate (upload or path, PKCS#12 password) and see its findings.

    `load()` and `use_sandbox_identity()` are what the buttons do; a usable certificate
    becomes the identity of every flow (`state.use_identity`).
    """

    def __init__(self, state: ExplorerState) -> None:
        super().__init__()
        self.state = state
        self._files: dict[str, UploadedFile] = {}  # Python memory only, never a trait
        self.upload = _upload("Certificate", _CERTIFICATE_TYPES, "bx-cert-upload")
        self.key_upload = _upload("Key (optional)", _KEY_TYPES, "bx-key-upload")
        self.path = widgets.Text(description="or path", placeholder="/path/to/client.pfx")
        self.key_path = widgets.Text(
            description="key path", placeholder="optional: /path/to/client.key"
        )
        self.password = widgets.Password(
            description="Password", placeholder=_PASSWORD_PROMPT, continuous_update=False
        )
        self._password: Secret | None = None
        self.load_button = widgets.Button(
            description="Load", button_style="primary", icon="upload", layout={"width": "auto"}
        )
        self.sandbox_button = widgets.Button(
            description="Use the sandbox identity", icon="flask", layout={"width": "auto"}
        )
        self.received, self.message, self.report = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self._wire()
        self.children = (
            widgets.HTML("<b>Client certificate</b> for mutual TLS: upload it (and its key, unless "
                         "the file holds both), or type its path. Nothing you upload stays in the page."),
            widgets.HBox([self.upload, self.key_upload]), self.received,
            self.path, self.key_path, self.password,
            widgets.HBox([self.load_button, self.sandbox_button]), self.message, self.report,
        )  # fmt: skip
        self._show_current()

    def _wire(self) -> None:
        self.upload.observe(self._receiver("certificate"), names="value")
        self.key_upload.observe(self._receiver("key"), names="value")
        self.password.observe(self._take_password, names="value")
        self.path.add_class("bx-cert-path")
        self.password.add_class("bx-cert-password")
        self.load_button.add_class("bx-cert-load")
        self.sandbox_button.add_class("bx-cert-sandbox")
        self.load_button.on_click(lambda _button: self.load())
        self.sandbox_button.on_click(lambda _button: self.use_sandbox_identity())
        self.state.subscribe(self._on_state_change)

    # -- actions -----------------------------------------------------------------------------------
    def load(self) -> None:
        """Load what the form holds; forget the uploaded bytes and the password either way."""
        source = CertificateSource(
            certificate=self._files.get("certificate"),
            key=self._files.get("key"),
            path=self.path.value,
            key_path=self.key_path.value,
            password=self._password,
        )
        self._forget_secrets()
        self.message.value = ""
        with shown_errors(self._show_message, "Loading the certificate"):
            self._adopt(load_certificate(source))

    def use_sandbox_identity(self) -> None:
        """Use the sandbox's registered client identity."""
        self.message.value = ""
        identity = self.state.sandbox_identity
        if identity is None:
            self._show_message(note_html("This target has no sandbox identity.", "warning"))
            return
        with shown_errors(self._show_message, "Using the sandbox identity"):
            self._adopt(identity)

    # -- behaviour -----------------------------------------------------------------------------------
    def _receiver(self, kind: str) -> Any:
        upload = self.upload if kind == "certificate" else self.key_upload

        def receive(change: dict[str, Any]) -> None:
            received = UploadedFile.from_upload(change["new"])
            if received is None:
                return
            self._files[kind] = received
            upload.value = ()  # the bytes leave the widget state at once
            self._show_received()

        return receive

    def _take_password(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        self._password = Secret(change["new"])
        self.password.value = ""  # the password leaves the widget state at once
        self.password.placeholder = "received: held in memory until you press Load"

    def _forget_secrets(self) -> None:
        self._files.clear()
        self._password = None
        self.upload.value = ()
        self.key_upload.value = ()
        self.password.value = ""
        self.password.placeholder = _PASSWORD_PROMPT
        self.received.value = ""

    def _adopt(self, identity: Identity) -> None:
        """Show `identity`; make it the one in use when it can do mTLS."""
        try:
            self.state.use_identity(identity)
        except IdentityError as exc:
            self.report.value = certificate_report(identity, in_use=False, problem=str(exc))
            return
        self.report.value = certificate_report(identity, in_use=True)

    def _show_current(self) -> None:
        identity = self.state.identity
        set_visible(self.sandbox_button, self.state.sandbox_identity is not None)
        if identity is None:
            self.report.value = note_html("No client certificate yet: load one.", "warning")
        else:
            self.report.value = certificate_report(identity, in_use=True)

    def _show_received(self) -> None:
        names = ", ".join(f"{f.name} ({len(f.content):,} bytes)" for f in self._files.values())
        self.received.value = (
            f"<small>Received {esc(names)}: held in memory until you press Load.</small>"
        )

    def _show_message(self, html: str) -> None:
        self.message.value = html

    def _on_state_change(self, change: Change) -> None:
        if change == "workspace":
            self._forget_secrets()
            self.message.value = ""
        self._show_current()

    def __repr__(self) -> str:
        subject = self.state.identity.subject if self.state.identity else None
        return f"CertificateForm(identity={subject!r})"


_PASSWORD_PROMPT = "PKCS#12 or key password"  # noqa: S105 - the placeholder text, not a password


def _upload(description: str, accept: str, css_class: str) -> Any:
    upload = widgets.FileUpload(
        description=description, accept=accept, multiple=False, layout={"width": "auto"}
    )
    upload.add_class(css_class)
    return upload
