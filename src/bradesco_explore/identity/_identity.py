"""`Identity`: a client certificate, its private key and what we know about them."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ..errors import (
    CertificateRejectedError,
    ConfigurationError,
    IdentityFormatError,
    KeyMismatchError,
    MissingKeyError,
)
from ._findings import CheckInput, Finding, Severity, run_checks
from ._formats import Parsed, PrivateKey, parse
from ._names import distinguished_name
from ._source import Password, Source, password_bytes, read_source

# read_source and password_bytes are re-exported for the signing-key loader (auth._credentials).
__all__ = [
    "Identity",
    "Password",
    "Source",
    "certificate_thumbprint",
    "password_bytes",
    "read_source",
]


@dataclass(frozen=True, repr=False, eq=False)
class Identity:
    """A client certificate with its private key, ready for mutual TLS.

    Load one with `Identity.load(...)`; inspect `findings` (worst first) and the facts
    (`subject`, `not_after`, `fingerprint_sha256`, `x5t_s256`, ...). The private key stays in
    memory: it is never part of a repr, HTML view, log or exception.

    >>> ident = Identity.load("client.pfx", password=os.environ["PFX_PASSWORD"])  # doctest: +SKIP
    >>> ident.findings[0]                                                        # doctest: +SKIP
    Finding(severity=<Severity.INFO: 2>, code='ok', ...)
    """

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()
    _key: PrivateKey | None = field(default=None)
    source: str = "memory"
    ca_bundle: Path | None = None
    self_signed_ok: bool = False

    # -- construction -------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        cert: Source,
        *,
        key: Source | None = None,
        password: Password = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        self_signed_ok: bool = False,
        name: str | None = None,
    ) -> Identity:
        """Load an identity from PEM (separate or combined), DER or PKCS#12.

        `cert` and `key` are each a path, the file's bytes, or its PEM text: a `str` holding
        `-----BEGIN` or a line break is content (`key=os.environ["KEY_PEM"]`), any other `str`
        a path. Only regular files of at most 1 MiB are read.

        `password` opens a PKCS#12 file or an encrypted key. `ca_bundle` adds a chain check
        against those CAs. `name` labels bytes input in messages (for example the upload's
        file name). The format is detected from the content, never from the file name.
        """
        secret = password_bytes(password)
        bundle = _ca_bundle_path(ca_bundle)
        data, label = read_source(cert, name=name, argument="cert")
        parsed = parse(data, password=secret, source=label)
        if key is not None:
            key_data, key_label = read_source(key, argument="key")
            _merge_key(parsed, parse(key_data, password=secret, source=key_label), key_label)
        if not parsed.certificates:
            raise IdentityFormatError(
                f"{label} holds a private key but no certificate: give the certificate too "
                "(cert=..., key=...).",
                source=label,
            )
        leaf, chain = _pick_leaf(parsed)
        return cls(
            certificate=leaf,
            chain=tuple(chain),
            _key=parsed.key,
            source=label,
            ca_bundle=bundle,
            self_signed_ok=self_signed_ok,
        )

    @classmethod
    def from_objects(
        cls,
        certificate: x509.Certificate,
        key: PrivateKey | None,
        *,
        chain: Sequence[x509.Certificate] = (),
        ca_bundle: str | os.PathLike[str] | None = None,
        source: str = "memory",
        self_signed_ok: bool = False,
    ) -> Identity:
        """Build an identity from `cryptography` objects (used by the CSR flow and the sandbox)."""
        return cls(
            certificate=certificate,
            chain=tuple(chain),
            _key=key,
            source=source,
            ca_bundle=_ca_bundle_path(ca_bundle),
            self_signed_ok=self_signed_ok,
        )

    # -- validation -----------------------------------------------------------------------
    def check(self, *, at: dt.datetime | None = None) -> list[Finding]:
        """Validate at time `at` (default now) and return findings, worst first."""
        now = at or dt.datetime.now(dt.UTC)
        return run_checks(
            CheckInput(
                self.certificate, self.chain, self._key, self.ca_bundle, self.self_signed_ok, now
            )
        )

    @property
    def findings(self) -> list[Finding]:
        """Validation results at this moment, worst first."""
        return self.check()

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def require_usable(self) -> None:
        """Raise unless this identity can authenticate a TLS client right now."""
        if self._key is None:
            raise MissingKeyError(
                f"{self.source} has a certificate but no private key; mTLS needs both. Give "
                "key=... or load the .pfx/.p12 that holds both.",
                source=self.source,
            )
        errors = [f for f in self.findings if f.severity is Severity.ERROR]
        if any(f.code == "key_mismatch" for f in errors):
            raise KeyMismatchError(
                f"The private key given with {self.source} does not belong to its certificate. "
                "Load the key generated together with this certificate's CSR.",
                source=self.source,
            )
        if errors:
            raise CertificateRejectedError(
                f"{self.source} cannot be used for mTLS: " + " ".join(f.message for f in errors),
                findings=errors,
                source=self.source,
            )

    # -- facts ----------------------------------------------------------------------------
    @property
    def has_key(self) -> bool:
        """Whether the private key is loaded."""
        return self._key is not None

    @property
    def subject(self) -> str:
        """The subject distinguished name as RFC 4514 text (`OID=#hex` for the Open Finance
        attributes), exactly what `tls_client_auth_subject_dn` registers."""
        return distinguished_name(self.certificate.subject)

    @property
    def issuer(self) -> str:
        """The issuer distinguished name as RFC 4514 text (see `subject`)."""
        return distinguished_name(self.certificate.issuer)

    @property
    def serial_number(self) -> str:
        """The serial number in hex."""
        return format(self.certificate.serial_number, "x")

    @property
    def not_before(self) -> dt.datetime:
        """Start of validity (UTC)."""
        return self.certificate.not_valid_before_utc

    @property
    def not_after(self) -> dt.datetime:
        """End of validity (UTC)."""
        return self.certificate.not_valid_after_utc

    @property
    def days_to_expiry(self) -> int:
        """Whole days until `not_after` (negative once expired)."""
        return (self.not_after - dt.datetime.now(dt.UTC)).days

    @property
    def subject_alt_names(self) -> list[str]:
        """DNS names, IP addresses, URIs and e-mails from subjectAltName."""
        try:
            ext = self.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return []
        return [str(getattr(n, "value", n)) for n in ext.value]

    @property
    def fingerprint_sha256(self) -> str:
        """SHA-256 over the DER certificate, colon-separated hex (as `openssl x509 -fingerprint`)."""
        digest = hashlib.sha256(self.certificate_der).hexdigest().upper()
        return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))

    @property
    def x5t_s256(self) -> str:
        """`x5t#S256`: base64url SHA-256 of the DER certificate, as in a bound token's `cnf`."""
        return certificate_thumbprint(self.certificate)

    @property
    def certificate_der(self) -> bytes:
        """The certificate in DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def certificate_pem(self) -> bytes:
        """The certificate (then the chain) in PEM; public, safe to share with the bank."""
        certs = (self.certificate, *self.chain)
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    @property
    def key_description(self) -> str:
        """For example 'RSA 2048' or 'EC secp256r1'."""
        public = self.certificate.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            return f"RSA {public.key_size}"
        if isinstance(public, ec.EllipticCurvePublicKey):
            return f"EC {public.curve.name}"
        return type(public).__name__.removeprefix("_").replace("PublicKey", "")

    def summary(self) -> dict[str, Any]:
        """The public facts as a dict (what `cert inspect` prints and the widget shows)."""
        return {
            "source": self.source,
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial_number,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "days_to_expiry": self.days_to_expiry,
            "subject_alt_names": self.subject_alt_names,
            "key": self.key_description + ("" if self.has_key else " (private key not loaded)"),
            "sha256_fingerprint": self.fingerprint_sha256,
            "x5t#S256": self.x5t_s256,
        }

    # -- private key access (transport and signing only) ------------------------------------
    def _private_key(self) -> PrivateKey:
        if self._key is None:
            self.require_usable()
        assert self._key is not None
        return self._key

    # -- display --------------------------------------------------------------------------
    def __repr__(self) -> str:
        key = "with key" if self.has_key else "no key"
        return (
            f"Identity(subject={self.subject!r}, not_after={self.not_after:%Y-%m-%d}, "
            f"x5t#S256={self.x5t_s256!r}, {key})"
        )

    def _repr_html_(self) -> str:
        from ._display import identity_html

        return identity_html(self)


def certificate_thumbprint(certificate: x509.Certificate) -> str:
    """Base64url (no padding) SHA-256 of a certificate's DER: the RFC 8705 `x5t#S256`."""
    digest = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _ca_bundle_path(ca_bundle: object) -> Path | None:
    """`ca_bundle` as a path; it names a PEM file of CA certificates, never holds one."""
    if ca_bundle is None:
        return None
    if not isinstance(ca_bundle, str | os.PathLike) or not isinstance(os.fspath(ca_bundle), str):
        raise ConfigurationError(
            "ca_bundle must be the path of a PEM file of CA certificates, not "
            f"{type(ca_bundle).__name__}; write the CA certificates to a file and pass its path."
        )
    return Path(ca_bundle)


def _merge_key(target: Parsed, extra: Parsed, label: str) -> None:
    if extra.key is None:
        raise IdentityFormatError(
            f"{label} was given as the key but holds no private key.", source=label
        )
    if target.key is not None:
        raise IdentityFormatError(
            f"Both the certificate file and {label} hold a private key; give just one.",
            source=label,
        )
    target.key = extra.key
    target.certificates.extend(extra.certificates)


def _pick_leaf(parsed: Parsed) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The certificate matching the key (else the first); the rest is the chain."""
    certs = parsed.certificates
    leaf = certs[0]
    if parsed.key is not None:
        public = parsed.key.public_key()
        leaf = next((c for c in certs if c.public_key() == public), certs[0])
    return leaf, [c for c in certs if c is not leaf]


def escape(value: object) -> str:
    """HTML-escape for the rich views."""
    return html.escape(str(value), quote=True)
