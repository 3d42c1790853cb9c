"""Validation of a client identity, reported as findings ordered worst first."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from ._formats import PrivateKey
from ._names import distinguished_name
from ._source import label

EXPIRY_WARNING_DAYS = 30
MIN_RSA_BITS = 2048
MIN_EC_BITS = 256
_MAX_CHAIN_DEPTH = 8


class Severity(enum.IntEnum):
    """How bad a finding is; lower sorts first."""

    ERROR = 0
    WARNING = 1
    INFO = 2

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    """One validation result: `severity`, a stable `code` and a message saying what to do."""

    severity: Severity
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


@dataclass(frozen=True)
class CheckInput:
    """Everything the checks look at."""

    certificate: x509.Certificate
    chain: Sequence[x509.Certificate]
    key: PrivateKey | None
    ca_bundle: Path | None
    self_signed_ok: bool
    now: dt.datetime


def run_checks(item: CheckInput) -> list[Finding]:
    """Run every check and return the findings, worst first (stable within a severity)."""
    findings: list[Finding] = []
    for check in (_key_match, _validity, _client_auth, _key_size, _self_signed, _chain):
        findings.extend(check(item))
    if not any(f.severity is Severity.ERROR for f in findings):
        days = (item.certificate.not_valid_after_utc - item.now).days
        findings.append(
            Finding(Severity.INFO, "ok", f"Usable for mTLS; valid for {days} more days.")
        )
    return sorted(findings, key=lambda f: f.severity)


def _key_match(item: CheckInput) -> list[Finding]:
    if item.key is None:
        return [
            Finding(
                Severity.WARNING,
                "no_key",
                "No private key loaded: enough to inspect, not to connect. Give key=... "
                "or load the .pfx that holds both.",
            )
        ]
    if item.key.public_key() != item.certificate.public_key():
        return [
            Finding(
                Severity.ERROR,
                "key_mismatch",
                "The private key does not belong to this certificate (their public keys "
                "differ). Load the key generated with this certificate's CSR.",
            )
        ]
    return []


def _validity(item: CheckInput) -> list[Finding]:
    cert, now = item.certificate, item.now
    not_after = cert.not_valid_after_utc
    if now > not_after:
        return [
            Finding(
                Severity.ERROR,
                "expired",
                f"The certificate expired on {not_after:%Y-%m-%d %H:%M} UTC; the bank will "
                "refuse the handshake. Renew it with a new CSR.",
            )
        ]
    if now < cert.not_valid_before_utc:
        return [
            Finding(
                Severity.ERROR,
                "not_yet_valid",
                f"The certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} "
                "UTC; check the machine's clock or wait until then.",
            )
        ]
    if not_after - now < dt.timedelta(days=EXPIRY_WARNING_DAYS):
        days = (not_after - now).days
        return [
            Finding(
                Severity.WARNING,
                "expires_soon",
                f"The certificate expires on {not_after:%Y-%m-%d} ({days} days): renew it "
                "now and register the new certificate with the bank.",
            )
        ]
    return []


def _client_auth(item: CheckInput) -> list[Finding]:
    try:
        eku = item.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return [
            Finding(
                Severity.WARNING,
                "no_eku",
                "The certificate has no extended key usage; most servers accept that for "
                "mTLS, but Open Finance requires clientAuth.",
            )
        ]
    if ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
        return [
            Finding(
                Severity.ERROR,
                "no_client_auth",
                "The certificate's extended key usage lacks clientAuth, so it cannot "
                "authenticate a TLS client. Request a transport (client) certificate.",
            )
        ]
    return []


def _key_size(item: CheckInput) -> list[Finding]:
    public = item.certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey) and public.key_size < MIN_RSA_BITS:
        return [
            Finding(
                Severity.ERROR,
                "weak_key",
                f"The RSA key has {public.key_size} bits; at least {MIN_RSA_BITS} are "
                "required (ICP-Brasil and Open Finance use 2048). Generate a new key.",
            )
        ]
    if isinstance(public, ec.EllipticCurvePublicKey) and public.key_size < MIN_EC_BITS:
        return [
            Finding(
                Severity.ERROR,
                "weak_key",
                f"The EC key has {public.key_size} bits; use P-256 or larger.",
            )
        ]
    return []


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, Exception):
        return False
    return True


def _self_signed(item: CheckInput) -> list[Finding]:
    if not _is_self_signed(item.certificate) or item.self_signed_ok:
        return []
    return [
        Finding(
            Severity.ERROR,
            "self_signed",
            "The certificate is self-signed, but the bank expects one issued by a CA "
            "(ICP-Brasil for Bradesco). Pass self_signed_ok=True only for "
            "self_signed_tls_client_auth.",
        )
    ]


def _chain(item: CheckInput) -> list[Finding]:
    if item.ca_bundle is None:
        return []
    bundle = label(str(item.ca_bundle))
    try:
        anchors = x509.load_pem_x509_certificates(item.ca_bundle.read_bytes())
    except (OSError, ValueError):
        return [
            Finding(
                Severity.ERROR,
                "ca_bundle_unreadable",
                f"The CA bundle {bundle} could not be read as PEM certificates.",
            )
        ]
    problems: list[str] = []
    if _path_found(item.certificate, list(item.chain), anchors, item.now, problems):
        return []
    if problems:
        return [
            Finding(
                Severity.ERROR,
                "chain_invalid",
                f"The certificate reaches a CA in {item.ca_bundle.name} only through "
                f"{problems[0]}; a TLS server refuses such a chain. Use the issuer's current "
                "CA bundle and intermediate certificates, or get a certificate issued by a CA.",
            )
        ]
    return [
        Finding(
            Severity.ERROR,
            "chain_untrusted",
            f"The certificate (issuer {distinguished_name(item.certificate.issuer)}) does not "
            f"chain to any CA in {item.ca_bundle.name}. Use the CA bundle of the issuer, or "
            "include the intermediate certificates.",
        )
    ]


def _path_found(
    cert: x509.Certificate,
    pool: list[x509.Certificate],
    anchors: list[x509.Certificate],
    now: dt.datetime,
    problems: list[str],
    depth: int = _MAX_CHAIN_DEPTH,
) -> bool:
    """True if issuers that are CAs valid at `now` lead from `cert` to an anchor.

    Every path is tried (a bundle may hold an expired and a renewed copy of the same CA);
    issuers that may not issue are skipped and described in `problems`.
    """
    if depth == 0:
        return False
    for issuer, is_anchor in _issuers(cert, pool, anchors):
        problem = _issuer_problem(issuer, now)
        if problem is not None:
            problems.append(problem)
            continue
        rest = [c for c in pool if c is not issuer]
        if is_anchor or _path_found(issuer, rest, anchors, now, problems, depth - 1):
            return True
    return False


def _issuers(
    cert: x509.Certificate, pool: list[x509.Certificate], anchors: list[x509.Certificate]
) -> Iterator[tuple[x509.Certificate, bool]]:
    """Every certificate whose key signed `cert`: anchors first (True), then the chain given."""
    yield from ((anchor, True) for anchor in anchors if _signed_by(cert, anchor))
    yield from ((c, False) for c in pool if c is not cert and _signed_by(cert, c))


def _issuer_problem(issuer: x509.Certificate, now: dt.datetime) -> str | None:
    """Why `issuer` may not have issued a certificate valid now (RFC 5280 §6.1.4), or None."""
    problem = _not_a_ca(issuer) or _not_valid_at(issuer, now)
    return f"{distinguished_name(issuer.subject)}, {problem}" if problem else None


def _not_a_ca(issuer: x509.Certificate) -> str | None:
    try:
        constraints = issuer.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    except ValueError:
        return "whose extensions do not decode"
    if constraints is None or not constraints.ca:
        return "which is not a CA certificate (basicConstraints has no CA:TRUE)"
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if not usage.key_cert_sign:
        return "whose key usage does not allow signing certificates (no keyCertSign)"
    return None


def _not_valid_at(issuer: x509.Certificate, now: dt.datetime) -> str | None:
    if now > issuer.not_valid_after_utc:
        return f"which expired on {issuer.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    if now < issuer.not_valid_before_utc:
        return f"which is not valid before {issuer.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    return None


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        if cert.issuer != issuer.subject:
            return False
        cert.verify_directly_issued_by(issuer)
    except Exception:  # a bundle certificate that does not decode signs nothing
        return False
    return True
