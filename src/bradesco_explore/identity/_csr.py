"""Generate private keys and certificate signing requests (plain or Open Finance Brasil)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .._files import write_file
from .._secret import Secret
from ..errors import ConfigurationError

RSA_SIZES = (2048, 3072, 4096)
_JURISDICTION_COUNTRY = ObjectIdentifier("1.3.6.1.4.1.311.60.2.1.3")
_ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")
_BUSINESS_CATEGORIES = (
    "Private Organization",
    "Government Entity",
    "Business Entity",
    "Non-Commercial Entity",
)


class KeyPEM(bytes):
    """PEM bytes of a private key whose repr and str never show the key.

    It is still `bytes`: write it to a 0600 file with `save_private_key`, or hand it to
    `Identity.load(key=...)`.
    """

    def __repr__(self) -> str:
        kind = "encrypted" if bytes(self).find(b"ENCRYPTED") >= 0 else "unencrypted"
        return f"<private key PEM, {kind}, {len(self)} bytes (hidden)>"

    __str__ = __repr__


@dataclass(frozen=True)
class OpenFinanceSubject:
    """The subject of an Open Finance Brasil / ICP-Brasil transport certificate (BRCAC).

    `organisation_id` is the directory org id (becomes organizationIdentifier `OFBBR-<id>`),
    `software_id` the software statement id (UID), `cnpj` the 14-digit CNPJ (serialNumber).
    """

    organisation_id: str
    software_id: str
    cnpj: str
    organisation_name: str
    state: str
    locality: str
    business_category: str = "Private Organization"

    def attributes(self, common_name: str) -> list[x509.NameAttribute[str]]:
        """Name attributes in the order of the reference example DN (C first when encoded)."""
        cnpj = re.sub(r"\D", "", self.cnpj)
        if len(cnpj) != 14:
            raise ConfigurationError(f"cnpj must have 14 digits, got {len(cnpj)} ('{self.cnpj}').")
        if self.business_category not in _BUSINESS_CATEGORIES:
            raise ConfigurationError(
                f"business_category must be one of {', '.join(_BUSINESS_CATEGORIES)}; got "
                f"'{self.business_category}'."
            )
        return [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BR"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, self.state),
            x509.NameAttribute(NameOID.LOCALITY_NAME, self.locality),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation_name),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, cnpj),
            x509.NameAttribute(NameOID.BUSINESS_CATEGORY, self.business_category),
            x509.NameAttribute(_JURISDICTION_COUNTRY, "BR"),
            x509.NameAttribute(_ORGANIZATION_IDENTIFIER, f"OFBBR-{self.organisation_id}"),
            x509.NameAttribute(NameOID.USER_ID, self.software_id),
        ]


def generate_key(size: int = 2048) -> rsa.RSAPrivateKey:
    """A new RSA private key of 2048 (default), 3072 or 4096 bits."""
    if size not in RSA_SIZES:
        raise ConfigurationError(f"key size must be one of {RSA_SIZES}, got {size}.")
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


def key_to_pem(key: rsa.RSAPrivateKey, passphrase: str | Secret | None = None) -> KeyPEM:
    """PKCS#8 PEM, encrypted with `passphrase` when given."""
    secret = passphrase.reveal() if isinstance(passphrase, Secret) else passphrase
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret.encode())
        if secret
        else serialization.NoEncryption()
    )
    return KeyPEM(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )


def make_csr(
    *,
    common_name: str,
    organization: str | None = None,
    country: str = "BR",
    state: str | None = None,
    locality: str | None = None,
    open_finance: OpenFinanceSubject | None = None,
    dns_names: Sequence[str] = (),
    ip_addresses: Sequence[str] = (),
    key_size: int = 2048,
    passphrase: str | Secret | None = None,
) -> tuple[KeyPEM, bytes]:
    """Generate a key and a CSR for it; return `(key_pem, csr_pem)`.

    With `open_finance`, the subject carries the Open Finance Brasil transport-certificate
    attributes (businessCategory, jurisdictionCountryName, serialNumber = CNPJ,
    organizationIdentifier `OFBBR-<org id>`, UID = software id, C/ST/L/O/CN). The CSR asks for
    keyUsage digitalSignature+keyEncipherment and extendedKeyUsage clientAuth.

    >>> key_pem, csr_pem = make_csr(common_name="app.example.com.br")  # doctest: +SKIP
    """
    if not common_name.strip():
        raise ConfigurationError(
            "common_name must not be empty (use the FQDN of your application)."
        )
    key = generate_key(key_size)
    if open_finance is not None:
        name = x509.Name(open_finance.attributes(common_name))
    else:
        name = x509.Name(_plain_attributes(common_name, organization, country, state, locality))
    builder = x509.CertificateSigningRequestBuilder().subject_name(name)
    builder = builder.add_extension(
        x509.KeyUsage(
            digital_signature=True,
            key_encipherment=True,
            content_commitment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        ),
        critical=True,
    )
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
    )
    sans = _alt_names(dns_names, ip_addresses)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    csr = builder.sign(key, hashes.SHA256())
    return key_to_pem(key, passphrase), csr.public_bytes(serialization.Encoding.PEM)


def _plain_attributes(
    common_name: str,
    organization: str | None,
    country: str,
    state: str | None,
    locality: str | None,
) -> list[x509.NameAttribute[str]]:
    if len(country) != 2:
        raise ConfigurationError(f"country must be a 2-letter code such as BR, got '{country}'.")
    pairs = [
        (NameOID.COUNTRY_NAME, country.upper()),
        (NameOID.STATE_OR_PROVINCE_NAME, state),
        (NameOID.LOCALITY_NAME, locality),
        (NameOID.ORGANIZATION_NAME, organization),
        (NameOID.COMMON_NAME, common_name),
    ]
    return [x509.NameAttribute(oid, value) for oid, value in pairs if value]


def _alt_names(dns_names: Sequence[str], ip_addresses: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in dns_names]
    for ip in ip_addresses:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(ip)))
        except ValueError:
            raise ConfigurationError(f"'{ip}' is not an IP address.") from None
    return names


def save_private_key(
    path: str | os.PathLike[str], key_pem: bytes, *, overwrite: bool = False
) -> Path:
    """Write a private key with mode 0600, atomically; refuse to overwrite unless asked."""
    return write_file(path, key_pem, private=True, overwrite=overwrite)


def save_public(path: str | os.PathLike[str], data: bytes, *, overwrite: bool = False) -> Path:
    """Write public material (a CSR or certificate) with mode 0644, atomically."""
    return write_file(path, data, private=False, overwrite=overwrite)
