"""Certificates built by hand, for chains the test CA would never issue."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bradesco_explore.identity._formats import PrivateKey

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate(
    subject: x509.Name,
    key: PrivateKey,
    *,
    issuer: x509.Name | None = None,
    issuer_key: PrivateKey | None = None,
    ca: bool | None = False,
    cert_sign: bool | None = None,
    not_before: dt.datetime = NOW - DAY,
    not_after: dt.datetime = NOW + 30 * DAY,
) -> x509.Certificate:
    """A certificate for `key`, signed by `issuer_key` (default: itself).

    `ca=None` leaves basicConstraints out; `cert_sign` adds keyUsage with keyCertSign set
    as given (None: no keyUsage).
    """
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    if cert_sign is not None:
        builder = builder.add_extension(_key_usage(cert_sign), critical=True)
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return builder.sign(issuer_key or key, hashes.SHA256())


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, key_cert_sign=cert_sign, crl_sign=cert_sign,
        content_commitment=False, key_encipherment=False, data_encipherment=False,
        key_agreement=False, encipher_only=False, decipher_only=False,
    )  # fmt: skip
