"""Keys and CSRs: plain and Open Finance Brasil subjects, 0600 files, nothing half-written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from bradesco_explore._secret import Secret
from bradesco_explore.errors import ConfigurationError, IdentityPasswordError
from bradesco_explore.identity import (
    CertificateAuthority,
    Identity,
    OpenFinanceSubject,
    generate_key,
    key_to_pem,
    make_csr,
    save_private_key,
)

from ._checks import raises_clean

SUBJECT = OpenFinanceSubject(
    organisation_id="b961c4eb-509d-4edf-afeb-35642b38185d",
    software_id="25556d5a-b9dd-4e27-aa1a-cce732fe74de",
    cnpj="12.345.678/0001-95",
    organisation_name="Analytics Ltda",
    state="SP",
    locality="Osasco",
)


def values(name: x509.Name, oid: ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in name.get_attributes_for_oid(oid)]


def test_plain_csr_has_subject_key_usage_and_client_auth() -> None:
    key_pem, csr_pem = make_csr(
        common_name="app.example.com.br", organization="Analytics", dns_names=["app.example.com.br"]
    )
    csr = x509.load_pem_x509_csr(csr_pem)
    assert csr.is_signature_valid
    assert values(csr.subject, NameOID.COMMON_NAME) == ["app.example.com.br"]
    assert values(csr.subject, NameOID.COUNTRY_NAME) == ["BR"]
    eku = csr.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    ku = csr.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.key_encipherment
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["app.example.com.br"]
    key = serialization.load_pem_private_key(bytes(key_pem), None)
    assert key.public_key() == csr.public_key()
    assert key.key_size == 2048  # type: ignore[union-attr]


def test_open_finance_subject_attributes() -> None:
    _, csr_pem = make_csr(common_name="tpp.example.com.br", open_finance=SUBJECT)
    subject = x509.load_pem_x509_csr(csr_pem).subject
    assert values(subject, NameOID.SERIAL_NUMBER) == ["12345678000195"]
    assert values(subject, NameOID.BUSINESS_CATEGORY) == ["Private Organization"]
    assert values(subject, ObjectIdentifier("1.3.6.1.4.1.311.60.2.1.3")) == ["BR"]
    assert values(subject, ObjectIdentifier("2.5.4.97")) == [f"OFBBR-{SUBJECT.organisation_id}"]
    assert values(subject, NameOID.USER_ID) == [SUBJECT.software_id]
    for oid, expected in (
        (NameOID.COUNTRY_NAME, "BR"),
        (NameOID.STATE_OR_PROVINCE_NAME, "SP"),
        (NameOID.LOCALITY_NAME, "Osasco"),
        (NameOID.ORGANIZATION_NAME, "Analytics Ltda"),
        (NameOID.COMMON_NAME, "tpp.example.com.br"),
    ):
        assert values(subject, oid) == [expected]


@pytest.mark.parametrize("size", [3072, 4096])
def test_larger_keys(size: int) -> None:
    key_pem, _ = make_csr(common_name="x.example", key_size=size)
    assert serialization.load_pem_private_key(bytes(key_pem), None).key_size == size  # type: ignore[union-attr]


def test_encrypted_key_needs_its_passphrase(ca: CertificateAuthority) -> None:
    key_pem, csr_pem = make_csr(common_name="x.example", passphrase="frase secreta")
    assert b"ENCRYPTED PRIVATE KEY" in key_pem
    assert "hidden" in repr(key_pem) and "MII" not in str(key_pem)
    # Signing the CSR with the CA and loading it back proves key and certificate belong together.
    csr = x509.load_pem_x509_csr(csr_pem)
    cert = ca._sign(
        serialization.load_pem_private_key(bytes(key_pem), b"frase secreta"),
        csr.subject,  # type: ignore[arg-type]
        eku=[ExtendedKeyUsageOID.CLIENT_AUTH],
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    raises_clean(
        IdentityPasswordError, "is encrypted", lambda: Identity.load(cert_pem, key=bytes(key_pem))
    )
    assert Identity.load(cert_pem, key=bytes(key_pem), password="frase secreta").ok


def _of(**changes: str) -> OpenFinanceSubject:
    fields = {"organisation_id": "o", "software_id": "s", "cnpj": "12345678000195",
              "organisation_name": "O", "state": "SP", "locality": "L"} | changes  # fmt: skip
    return OpenFinanceSubject(**fields)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"common_name": "  "}, "common_name"),
        ({"common_name": "x", "country": "Brazil"}, "2-letter"),
        ({"common_name": "x", "country": "çã"}, "2-letter"),
        ({"common_name": "x", "ip_addresses": ["not-an-ip"]}, "not an IP"),
        ({"common_name": "x", "open_finance": _of(cnpj="123")}, "14 digits"),
        ({"common_name": "x", "open_finance": _of(business_category="Startup")}, "business_category"),
        # Before the fix these came out of cryptography as raw ValueErrors:
        ({"common_name": "a" * 70}, r"^common_name \(CN\) is 70 characters; .* at most 64"),
        ({"common_name": "x", "organization": "O" * 65}, r"^organization \(O\) is 65 characters"),
        ({"common_name": "x", "open_finance": _of(locality="L" * 129)}, r"^locality \(L\) is 129"),
        ({"common_name": "x", "dns_names": ["ação.com.br"]}, "A-label 'xn--ao-siap.com.br'"),
        ({"common_name": "x", "dns_names": ["ação..com.br"]}, "not a valid internationalised name"),
        # organizationIdentifier is a PrintableString: no underscore, no accents.
        ({"common_name": "x", "open_finance": _of(organisation_id="org_1")}, r"organisation_id \(organizationIdentifier\) is 'OFBBR-org_1'.*PrintableString"),
        ({"common_name": "x", "open_finance": _of(state="")}, r"^state \(ST\) must be non-empty"),
        ({"common_name": "x", "passphrase": ""}, "^passphrase is empty"),
        ({"common_name": "x", "passphrase": b"bytes"}, "^passphrase must be str or Secret, not bytes"),
    ],
)  # fmt: skip
def test_bad_csr_arguments(kwargs: dict[str, object], message: str) -> None:
    raises_clean(ConfigurationError, message, lambda: make_csr(**kwargs))  # type: ignore[arg-type]


def test_an_empty_passphrase_is_refused_not_silently_dropped() -> None:
    # Before the fix key_to_pem("") wrote the key unencrypted, and the CLI said "encrypted".
    key = generate_key()
    raises_clean(ConfigurationError, "passphrase is empty", lambda: key_to_pem(key, ""))
    raises_clean(ConfigurationError, "passphrase is empty", lambda: key_to_pem(key, Secret("")))
    assert key_to_pem(key, "x").encrypted and not key_to_pem(key).encrypted


# OID and string tag, in DER, of each Open Finance attribute (reference §5.4): the example
# DN `2.5.4.97=#13...` is a PrintableString (tag 0x13), UTF8String is 0x0c.
_OID_DER = {
    "C": "0603550406", "serialNumber": "0603550405", "businessCategory": "060355040f",
    "jurisdictionCountryName": "060b2b0601040182373c020103", "organizationIdentifier": "0603550461",
    "CN": "0603550403", "O": "060355040a", "UID": "060a0992268993f22c640101",
}  # fmt: skip


def _encoded(name: x509.Name, attribute: str, tag: int, value: str) -> bool:
    data = value.encode()
    return (
        bytes.fromhex(_OID_DER[attribute]) + bytes([tag, len(data)]) + data in name.public_bytes()
    )


@pytest.mark.parametrize(
    ("attribute", "tag", "value"),
    [
        ("C", 0x13, "BR"),
        ("serialNumber", 0x13, "12345678000195"),
        ("businessCategory", 0x13, "Private Organization"),
        ("jurisdictionCountryName", 0x13, "BR"),
        ("organizationIdentifier", 0x13, f"OFBBR-{SUBJECT.organisation_id}"),
        ("CN", 0x0C, "tpp.example.com.br"),
        ("O", 0x0C, "Analytics Ltda"),
        ("UID", 0x0C, SUBJECT.software_id),
    ],
)
def test_open_finance_string_types(attribute: str, tag: int, value: str) -> None:
    # Before the fix businessCategory and organizationIdentifier were UTF8String (0x0c).
    _, csr_pem = make_csr(common_name="tpp.example.com.br", open_finance=SUBJECT)
    assert _encoded(x509.load_pem_x509_csr(csr_pem).subject, attribute, tag, value)


def test_writing_where_no_file_can_be_is_a_clear_error(tmp_path: Path) -> None:
    key_pem, _ = make_csr(common_name="x.example")
    for path, reason in (
        ("/proc/nope/x.key", r"^Cannot write /proc/nope/x\.key: No such file or directory"),
        (str(tmp_path / "a\x00b.key"), "not a usable file path"),
    ):
        raises_clean(ConfigurationError, reason, lambda p=path: save_private_key(p, key_pem))  # type: ignore[misc]
    assert list(tmp_path.iterdir()) == []


def test_private_key_is_written_0600_and_never_overwritten(tmp_path: Path) -> None:
    key_pem, _ = make_csr(common_name="x.example")
    path = save_private_key(tmp_path / "client.key", key_pem)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == bytes(key_pem)
    raises_clean(ConfigurationError, "already exists", lambda: save_private_key(path, b"other"))
    assert path.read_bytes() == bytes(key_pem)
    assert [p.name for p in tmp_path.iterdir()] == ["client.key"]
