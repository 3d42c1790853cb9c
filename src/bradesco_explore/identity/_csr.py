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
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .._files import write_file
from .._secret import Secret
from ..errors import ConfigurationError

RSA_SIZES = (2048, 3072, 4096)
_JURISDICTION_COUNTRY = ObjectIdentifier("1.3.6.1.4.1.311.60.2.1.3")
_ORGANIZATION_IDENTIFIER = ObjectIdentifier("2.5.4.97")
_PRINTABLE = re.compile(r"[A-Za-z0-9 '()+,\-./:=?]+")  # X.680 PrintableString
# Upper bounds of RFC 5280 Appendix A (ub-common-name, ub-organization-name, ...).
_UPPER_BOUNDS = {
    NameOID.COMMON_NAME: 64,
    NameOID.ORGANIZATION_NAME: 64,
    NameOID.LOCALITY_NAME: 128,
    NameOID.STATE_OR_PROVINCE_NAME: 128,
    NameOID.SERIAL_NUMBER: 64,
}
_SHORT_NAMES = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.COUNTRY_NAME: "C",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.BUSINESS_CATEGORY: "businessCategory",
    NameOID.USER_ID: "UID",
    _JURISDICTION_COUNTRY: "jurisdictionCountryName",
    _ORGANIZATION_IDENTIFIER: "organizationIdentifier",
}
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

    @property
    def encrypted(self) -> bool:
        """Whether the key is encrypted with a passphrase."""
        return bytes(self).find(b"ENCRYPTED") >= 0

    def __repr__(self) -> str:
        kind = "encrypted" if self.encrypted else "unencrypted"
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
        """Name attributes in the order of the reference example DN (C first when encoded).

        businessCategory, jurisdictionCountryName, serialNumber, organizationIdentifier and C
        are PrintableString, as in the reference DN (`2.5.4.97=#13...`); the rest UTF8String.
        """
        cnpj = re.sub(r"\D", "", self.cnpj)
        if len(cnpj) != 14:
            raise ConfigurationError(f"cnpj must have 14 digits, got {len(cnpj)} ('{self.cnpj}').")
        if self.business_category not in _BUSINESS_CATEGORIES:
            raise ConfigurationError(
                f"business_category must be one of {', '.join(_BUSINESS_CATEGORIES)}; got "
                f"'{self.business_category}'."
            )
        org_identifier = f"OFBBR-{self.organisation_id}"
        return [
            _attribute(NameOID.COUNTRY_NAME, "BR", "country", printable=True),
            _attribute(NameOID.STATE_OR_PROVINCE_NAME, self.state, "state"),
            _attribute(NameOID.LOCALITY_NAME, self.locality, "locality"),
            _attribute(NameOID.ORGANIZATION_NAME, self.organisation_name, "organisation_name"),
            _attribute(NameOID.COMMON_NAME, common_name, "common_name"),
            _attribute(NameOID.SERIAL_NUMBER, cnpj, "cnpj", printable=True),
            _attribute(
                NameOID.BUSINESS_CATEGORY, self.business_category, "business_category",
                printable=True,
            ),
            _attribute(_JURISDICTION_COUNTRY, "BR", "jurisdiction", printable=True),
            _attribute(
                _ORGANIZATION_IDENTIFIER, org_identifier, "organisation_id", printable=True
            ),
            _attribute(NameOID.USER_ID, self.software_id, "software_id"),
        ]  # fmt: skip


def _attribute(
    oid: ObjectIdentifier, value: str, field: str, *, printable: bool = False
) -> x509.NameAttribute[str]:
    """One subject attribute, checked as a CA checks it; `field` names the argument in errors."""
    what = f"{field} ({_SHORT_NAMES.get(oid, oid.dotted_string)})"
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{what} must be non-empty text, got {value!r}.")
    limit = _UPPER_BOUNDS.get(oid)
    if limit is not None and len(value) > limit:
        raise ConfigurationError(
            f"{what} is {len(value)} characters; a certificate subject allows at most {limit} "
            "(RFC 5280). Shorten it."
        )
    if printable and not _PRINTABLE.fullmatch(value):
        raise ConfigurationError(
            f"{what} is {value!r}, but it is encoded as a PrintableString, which holds only "
            "ASCII letters, digits, spaces and ' ( ) + , - . / : = ?"
        )
    try:
        if printable:
            return x509.NameAttribute(oid, value, _ASN1Type.PrintableString)
        return x509.NameAttribute(oid, value)
    except ValueError as exc:  # cryptography's own checks (lengths, encodable text)
        raise ConfigurationError(f"{what} cannot be encoded: {exc}.") from None


def generate_key(size: int = 2048) -> rsa.RSAPrivateKey:
    """A new RSA private key of 2048 (default), 3072 or 4096 bits."""
    if size not in RSA_SIZES:
        raise ConfigurationError(f"key size must be one of {RSA_SIZES}, got {size}.")
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


def key_to_pem(key: rsa.RSAPrivateKey, passphrase: str | Secret | None = None) -> KeyPEM:
    """PKCS#8 PEM, encrypted with `passphrase` when given (an empty one is refused)."""
    return _key_pem(key, _encryption(passphrase))


def _key_pem(
    key: rsa.RSAPrivateKey, encryption: serialization.KeySerializationEncryption
) -> KeyPEM:
    return KeyPEM(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )


def _encryption(passphrase: str | Secret | None) -> serialization.KeySerializationEncryption:
    secret = passphrase.reveal() if isinstance(passphrase, Secret) else passphrase
    if secret is None:
        return serialization.NoEncryption()
    if not isinstance(secret, str):
        raise ConfigurationError(f"passphrase must be str or Secret, not {type(secret).__name__}.")
    if not secret:
        # Encrypting with "" would look encrypted and protect nothing; writing the key in
        # the clear instead would silently ignore what was asked.
        raise ConfigurationError(
            "passphrase is empty: give a non-empty passphrase to encrypt the key, or none "
            "(passphrase=None) to write it unencrypted."
        )
    return serialization.BestAvailableEncryption(secret.encode("utf-8", "surrogatepass"))


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
    if not isinstance(common_name, str) or not common_name.strip():
        raise ConfigurationError(
            "common_name must not be empty (use the FQDN of your application)."
        )
    if open_finance is not None:
        name = x509.Name(open_finance.attributes(common_name))
    else:
        name = x509.Name(_plain_attributes(common_name, organization, country, state, locality))
    sans = _alt_names(dns_names, ip_addresses)
    encryption = _encryption(passphrase)  # every argument is checked before the key is made
    key = generate_key(key_size)
    csr = _csr_builder(name, sans).sign(key, hashes.SHA256())
    return _key_pem(key, encryption), csr.public_bytes(serialization.Encoding.PEM)


def _csr_builder(
    name: x509.Name, sans: list[x509.GeneralName]
) -> x509.CertificateSigningRequestBuilder:
    """keyUsage digitalSignature+keyEncipherment (critical), EKU clientAuth, SANs if any."""
    usage = x509.KeyUsage(
        digital_signature=True, key_encipherment=True, content_commitment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder


def _plain_attributes(
    common_name: str,
    organization: str | None,
    country: str,
    state: str | None,
    locality: str | None,
) -> list[x509.NameAttribute[str]]:
    country = _country(country)
    return [
        _attribute(NameOID.COUNTRY_NAME, country, "country", printable=True),
        *(
            _attribute(oid, value, field)
            for oid, value, field in (
                (NameOID.STATE_OR_PROVINCE_NAME, state, "state"),
                (NameOID.LOCALITY_NAME, locality, "locality"),
                (NameOID.ORGANIZATION_NAME, organization, "organization"),
                (NameOID.COMMON_NAME, common_name, "common_name"),
            )
            if value
        ),
    ]


def _country(country: str) -> str:
    if not isinstance(country, str) or len(country) != 2 or not country.isascii():
        raise ConfigurationError(f"country must be a 2-letter code such as BR, got '{country}'.")
    return country.upper()


def _dns_name(name: str) -> x509.DNSName:
    try:
        return x509.DNSName(name)
    except ValueError:
        pass
    try:
        a_label = f": write it as its A-label '{name.encode('idna').decode('ascii')}'"
    except UnicodeError:
        a_label = ", and it is not a valid internationalised name either"
    raise ConfigurationError(
        f"The DNS name (dns_names) '{name}' is not ASCII; a certificate holds DNS names in "
        f"their ASCII form{a_label}."
    )


def _alt_names(dns_names: Sequence[str], ip_addresses: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [_dns_name(d) for d in dns_names]
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
