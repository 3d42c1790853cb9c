"""Distinguished names as RFC 4514 text, the way Open Finance Brasil registers them."""

from __future__ import annotations

from typing import Any, Final

from cryptography import x509
from cryptography.x509.oid import NameOID

# RFC 4514 §3: the only attribute types written by name; every other one is a dotted OID.
_SHORT_NAMES: Final = frozenset(
    {NameOID.COMMON_NAME, NameOID.LOCALITY_NAME, NameOID.STATE_OR_PROVINCE_NAME,
     NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COUNTRY_NAME,
     NameOID.STREET_ADDRESS, NameOID.DOMAIN_COMPONENT, NameOID.USER_ID}
)  # fmt: skip


def distinguished_name(name: x509.Name) -> str:
    """`name` as RFC 4514 text: last RDN first, `+` inside a multi-valued RDN.

    Attribute types with an RFC 4514 short name (CN, L, ST, O, OU, C, STREET, DC, UID) are
    written by name; every other one (serialNumber, businessCategory, jurisdiction country,
    organizationIdentifier) as `dotted.oid=#hex` of the value's DER, as RFC 4514 §2.4 says,
    which is also what `tls_client_auth_subject_dn` must be in Open Finance Brasil.
    (cryptography's `rfc4514_string()` writes those as `2.5.4.97=OFBBR-...`, which is not.)
    """
    rdns = reversed(list(name.rdns))
    return ",".join("+".join(_attribute_text(a) for a in rdn) for rdn in rdns)


def _attribute_text(attribute: x509.NameAttribute[Any]) -> str:
    if attribute.oid in _SHORT_NAMES:
        return attribute.rfc4514_string()
    return f"{attribute.oid.dotted_string}=#{_value_der(attribute).hex()}"


def _value_der(attribute: x509.NameAttribute[Any]) -> bytes:
    """DER of the attribute's value, string type included, as the certificate encodes it."""
    name = x509.Name([x509.RelativeDistinguishedName([attribute])]).public_bytes()
    rdn_set, _ = _tlv(name)  # Name ::= SEQUENCE OF RelativeDistinguishedName
    type_and_value, _ = _tlv(rdn_set)  # RDN ::= SET OF AttributeTypeAndValue
    oid_and_value, _ = _tlv(type_and_value)  # SEQUENCE { type OID, value ANY }
    _, value = _tlv(oid_and_value)
    return value


def _tlv(data: bytes) -> tuple[bytes, bytes]:
    """(contents of the first DER element, the bytes after it)."""
    length, offset = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        length, offset = int.from_bytes(data[2 : 2 + count], "big"), 2 + count
    return data[offset : offset + length], data[offset + length :]
