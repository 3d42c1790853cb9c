"""The certificate form's behaviour, in plain Python: read uploads, load, describe.

Uploaded bytes and the password are held here only for the moment of loading; the report
shows public facts only (subject, issuer, validity, fingerprints, findings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._html import badge, esc
from .._secret import Secret
from ..errors import ConfigurationError
from ..identity import Identity

__all__ = ["CertificateSource", "UploadedFile", "certificate_report", "load_certificate"]


@dataclass(frozen=True, repr=False)
class UploadedFile:
    """A file received from a FileUpload: its name and bytes (the repr shows only the size)."""

    name: str
    content: bytes

    @classmethod
    def from_upload(cls, value: Sequence[Mapping[str, Any]]) -> UploadedFile | None:
        """The first file of a FileUpload `value` (entries with `name` and `content`), or None."""
        if not value:
            return None
        entry = value[0]
        content = entry["content"]
        data = content.tobytes() if isinstance(content, memoryview) else bytes(content)
        return cls(name=str(entry.get("name") or "the uploaded file"), content=data)

    def __repr__(self) -> str:
        return f"UploadedFile({self.name!r}, {len(self.content):,} bytes)"


@dataclass(frozen=True, repr=False)
class CertificateSource:
    """What the form was given: an uploaded certificate (and key) or paths, and a password."""

    certificate: UploadedFile | None = None
    key: UploadedFile | None = None
    path: str = ""
    key_path: str = ""
    password: Secret | None = None

    def __repr__(self) -> str:
        given = self.certificate or self.path or "nothing"
        return f"CertificateSource({given!r}, key={self.key or self.key_path or None!r})"


def load_certificate(source: CertificateSource) -> Identity:
    """Load the identity `source` describes; an upload wins over a path."""
    password = source.password if source.password else None
    key: bytes | str | None = source.key.content if source.key else source.key_path.strip() or None
    if source.certificate is not None:
        certificate = source.certificate
        return Identity.load(certificate.content, key=key, password=password, name=certificate.name)
    if source.path.strip():
        return Identity.load(source.path.strip(), key=key, password=password)
    raise ConfigurationError(
        "No certificate given: upload a .pem, .der/.cer or .pfx/.p12 file, or type its path."
    )


def certificate_report(identity: Identity, *, in_use: bool, problem: str = "") -> str:
    """The identity's facts and findings, headed by days to expiry and whether it is in use."""
    days = identity.days_to_expiry
    until = f"{identity.not_after:%Y-%m-%d}"
    expiry = f"{days} days to expiry (until {until})" if days >= 0 else f"expired on {until}"
    status = (
        badge("in use for every flow", "info")
        if in_use
        else badge("not in use", "error") + f" <small>{esc(problem)}</small>"
    )
    return f"<p><b>{esc(expiry)}</b> {status}</p>{identity._repr_html_()}"
