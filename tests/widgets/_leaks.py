"""Secret-leak checks over widget state: the dashboard tree and everything a notebook would save."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from ipywidgets.widgets.widget import _remove_buffers

from bradesco_explore.identity import Identity
from bradesco_explore.sandbox import Sandbox

_MIN_LENGTH = 8


@dataclass
class Forbidden:
    """Strings and bytes that must never be in widget state."""

    texts: set[str] = field(default_factory=set)
    blobs: set[bytes] = field(default_factory=set)

    def add_text(self, *values: str) -> None:
        self.texts.update(v for v in values if len(v) >= _MIN_LENGTH)

    def add_blob(self, blob: bytes) -> None:
        self.blobs.add(blob)
        self.add_text(base64.b64encode(blob).decode())

    def add_key(self, identity: Identity) -> None:
        """The identity's private key: PEM, each base64 line of it, and base64 of the DER."""
        key = identity._private_key()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.add_text(pem, *(line for line in pem.splitlines() if len(line) >= 40))
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.add_blob(der)

    def with_sandbox(self, sandbox: Sandbox) -> Forbidden:
        """A copy that also holds every secret the sandbox issued so far."""
        copy = Forbidden(set(self.texts), set(self.blobs))
        for secret in sandbox.known_secrets():
            copy.add_text(secret, *(line for line in secret.splitlines() if len(line) >= 40))
        return copy


def pkcs12_file(identity: Identity, password: str) -> bytes:
    """`identity` as a password-protected PKCS#12 file."""
    return pkcs12.serialize_key_and_certificates(
        b"analyst",
        identity._private_key(),
        identity.certificate,
        None,
        serialization.BestAvailableEncryption(password.encode()),
    )


def upload_entry(name: str, content: bytes) -> dict[str, Any]:
    """One FileUpload value entry, as the browser sends it."""
    return {"name": name, "type": "application/octet-stream", "size": len(content),
            "content": memoryview(content), "last_modified": 1_700_000_000_000}  # fmt: skip


def tree(root: Any) -> Iterator[Any]:
    """`root` and every widget reachable through its synced traits."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        widget = stack.pop()
        if id(widget) in seen:
            continue
        seen.add(id(widget))
        yield widget
        for name in widget.keys:
            stack.extend(_widgets_in(getattr(widget, name)))


def _widgets_in(value: Any) -> list[Any]:
    if isinstance(value, widgets.Widget):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, widgets.Widget)]
    return []


def assert_clean(root: Any, forbidden: Forbidden, *, allowed: Iterable[str] = ()) -> None:
    """No widget of `root`'s tree, and no live widget at all, holds a forbidden value."""
    exempt = set(allowed)
    for widget in tree(root):
        state, _paths, buffers = _remove_buffers(widget.get_state())
        where = f"{type(widget).__name__} {widget.model_id}"
        _check(json.dumps(state, default=str), buffers, forbidden, exempt, where)
    everything = widgets.Widget.get_manager_state()
    _check(json.dumps(everything, default=str), [], forbidden, exempt, "the saved widget state")


def _check(
    text: str, buffers: list[Any], forbidden: Forbidden, exempt: set[str], where: str
) -> None:
    for number, value in enumerate(sorted(forbidden.texts - exempt)):
        # never print the secret itself, only which one
        assert value not in text, f"{where} holds forbidden value #{number} ({len(value)} chars)"
    for buffer in buffers:
        data = bytes(buffer)
        for blob in forbidden.blobs:
            assert blob not in data, f"{where} holds forbidden bytes in a binary buffer"
