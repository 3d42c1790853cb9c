"""A throwaway certificate authority for the local sandbox and the tests.

It issues a server certificate for 127.0.0.1/localhost and client certificates with any of the
properties the validation checks look for (expired, not yet valid, no clientAuth, weak key,
Open Finance subject). Nothing here is for production: the CA key lives in memory and dies
with the process unless the sandbox writes it to its private directory.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .._files import write_file
from ._csr import OpenFinanceSubject
from ._formats import PrivateKey
from ._identity import Identity

_DAY = dt.timedelta(days=1)


class CertificateAuthority:
    """A self-signed root that issues server and client certificates.

    >>> ca = CertificateAuthority("bradesco-explore test CA")       # doctest: +SKIP
    >>> server = ca.issue_server()                                   # doctest: +SKIP
    >>> client = ca.issue_client("analyst")                          # doctest: +SKIP
    """

    def __init__(
        self, name: str = "bradesco-explore throwaway CA", *, valid_days: int = 3650
    ) -> None:
        self.key: ec.EllipticCurvePrivateKey = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bradesco-explore sandbox"),
            ]
        )
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _DAY)
            .not_valid_after(now + valid_days * _DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )

    @property
    def certificate_pem(self) -> bytes:
        """The CA certificate in PEM: the trust anchor to give clients (`ca_bundle`)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def write_bundle(self, path: str | Path) -> Path:
        """Write the CA certificate as a PEM bundle file and return its path."""
        return write_file(path, self.certificate_pem, private=False)

    def issue_server(self, hosts: Sequence[str] = ("127.0.0.1", "localhost", "::1")) -> Identity:
        """An EC P-256 server certificate for `hosts` (IP addresses and DNS names)."""
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for host in hosts:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                sans.append(x509.DNSName(host))
        cert = self._sign(
            key,
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]),
            eku=[ExtendedKeyUsageOID.SERVER_AUTH],
            sans=sans,
        )
        return Identity.from_objects(cert, key, source="sandbox server certificate")

    def issue_client(
        self,
        common_name: str,
        *,
        key: PrivateKey | None = None,
        key_size: int = 2048,
        eku: Sequence[x509.ObjectIdentifier] | None = (ExtendedKeyUsageOID.CLIENT_AUTH,),
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
        open_finance: OpenFinanceSubject | None = None,
        organization: str = "bradesco-explore sandbox",
    ) -> Identity:
        """A client certificate; every argument exists so tests can make a bad one on purpose.

        `eku=None` leaves the extension out; `key_size` may be below 2048 for the weak-key test.
        """
        if key is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        if open_finance is not None:
            subject = x509.Name(open_finance.attributes(common_name))
        else:
            subject = x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                ]
            )
        cert = self._sign(key, subject, eku=eku, not_before=not_before, not_after=not_after)
        return Identity.from_objects(cert, key, source=f"sandbox client '{common_name}'")

    def _sign(
        self,
        key: PrivateKey,
        subject: x509.Name,
        *,
        eku: Sequence[x509.ObjectIdentifier] | None,
        sans: Sequence[x509.GeneralName] = (),
        not_before: dt.datetime | None = None,
        not_after: dt.datetime | None = None,
    ) -> x509.Certificate:
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - _DAY)
            .not_valid_after(not_after or now + 365 * _DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        if eku is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        return builder.sign(self.key, hashes.SHA256())


def self_signed_identity(
    common_name: str, *, key_size: int = 2048, valid_days: int = 365
) -> Identity:
    """A self-signed client certificate with clientAuth (for `self_signed_tls_client_auth`)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _DAY)
        .not_valid_after(now + valid_days * _DAY)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Identity.from_objects(
        cert, key, source=f"self-signed '{common_name}'", self_signed_ok=True
    )
