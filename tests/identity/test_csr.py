"""Keys and CSRs: plain and Open Finance Brasil subjects, 0600 files, nothing half-written."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from bradesco_explore.errors import ConfigurationError, IdentityPasswordError
from bradesco_explore.identity import (
    CertificateAuthority,
    Identity,
    OpenFinanceSubject,
    make_csr,
    save_private_key,
)

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
    with pytest.raises(IdentityPasswordError):
        Identity.load(cert_pem, key=bytes(key_pem))
    assert Identity.load(cert_pem, key=bytes(key_pem), password="frase secreta").ok


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"common_name": "  "}, "common_name"),
        ({"common_name": "x", "country": "Brazil"}, "2-letter"),
        ({"common_name": "x", "ip_addresses": ["not-an-ip"]}, "not an IP"),
        (
            {
                "common_name": "x",
                "open_finance": OpenFinanceSubject("o", "s", "123", "O", "SP", "L"),
            },
            "14 digits",
        ),
        (
            {
                "common_name": "x",
                "open_finance": OpenFinanceSubject(
                    "o", "s", "12345678000195", "O", "SP", "L", business_category="Startup"
                ),
            },
            "business_category",
        ),
    ],
)
def test_bad_csr_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_csr(**kwargs)  # type: ignore[arg-type]


def test_private_key_is_written_0600_and_never_overwritten(tmp_path: Path) -> None:
    key_pem, _ = make_csr(common_name="x.example")
    path = save_private_key(tmp_path / "client.key", key_pem)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == bytes(key_pem)
    with pytest.raises(ConfigurationError, match="already exists"):
        save_private_key(path, b"other")
    assert path.read_bytes() == bytes(key_pem)
    assert [p.name for p in tmp_path.iterdir()] == ["client.key"]
