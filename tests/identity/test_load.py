"""Identity.load: every format, from paths and bytes, and 25+ distinct bad inputs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from bradesco_explore.errors import (
    CertificateRejectedError,
    ConfigurationError,
    IdentityError,
    IdentityFormatError,
    IdentityPasswordError,
    KeyMismatchError,
    MissingKeyError,
)
from bradesco_explore.identity import CertificateAuthority, Identity, make_csr, self_signed_identity

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER
PKCS8 = serialization.PrivateFormat.PKCS8
NOENC = serialization.NoEncryption()


def cert_pem(identity: Identity) -> bytes:
    return identity.certificate.public_bytes(PEM)


def key_pem(identity: Identity, password: bytes | None = None) -> bytes:
    enc = serialization.BestAvailableEncryption(password) if password else NOENC
    return identity._private_key().private_bytes(PEM, PKCS8, enc)


def pfx(identity: Identity, password: bytes | None, *, with_key: bool = True) -> bytes:
    enc = serialization.BestAvailableEncryption(password) if password else NOENC
    key = identity._private_key() if with_key else None
    return pkcs12.serialize_key_and_certificates(b"client", key, identity.certificate, None, enc)


def assert_clean(exc: BaseException) -> None:
    """No library exception chained in: the traceback ends in our code."""
    assert exc.__cause__ is None
    assert exc.__suppress_context__ or exc.__context__ is None


# ---------------------------------------------------------------------------------- good input
class TestFormats:
    def test_separate_pem_files(self, client_identity: Identity, tmp_path: Path) -> None:
        (tmp_path / "c.pem").write_bytes(cert_pem(client_identity))
        (tmp_path / "k.pem").write_bytes(key_pem(client_identity))
        ident = Identity.load(tmp_path / "c.pem", key=tmp_path / "k.pem")
        assert ident.has_key
        assert ident.x5t_s256 == client_identity.x5t_s256

    def test_combined_pem_bytes_key_first(self, client_identity: Identity) -> None:
        ident = Identity.load(key_pem(client_identity) + cert_pem(client_identity))
        assert ident.has_key and ident.subject == client_identity.subject

    def test_pem_with_chain_picks_leaf_matching_key(
        self, ca: CertificateAuthority, client_identity: Identity
    ) -> None:
        data = ca.certificate_pem + cert_pem(client_identity) + key_pem(client_identity)
        ident = Identity.load(data)
        assert ident.subject == client_identity.subject
        assert len(ident.chain) == 1

    def test_der_certificate_named_pem_is_detected(
        self, client_identity: Identity, tmp_path: Path
    ) -> None:
        # "DER given as PEM": the file name lies, the bytes decide.
        path = tmp_path / "client.pem"
        path.write_bytes(client_identity.certificate.public_bytes(DER))
        der_key = client_identity._private_key().private_bytes(DER, PKCS8, NOENC)
        ident = Identity.load(path, key=der_key)
        assert ident.has_key and ident.ok

    def test_pkcs12_with_password_from_path(
        self, client_identity: Identity, tmp_path: Path
    ) -> None:
        path = tmp_path / "client.pfx"
        path.write_bytes(pfx(client_identity, b"s3nha"))
        ident = Identity.load(path, password="s3nha")
        assert ident.has_key and ident.ok

    def test_pkcs12_from_memoryview_upload(self, client_identity: Identity) -> None:
        upload = memoryview(pfx(client_identity, b"pw"))
        ident = Identity.load(upload, password=b"pw", name="client.pfx")
        assert ident.source == "client.pfx"

    def test_encrypted_pem_key_with_passphrase(self, client_identity: Identity) -> None:
        ident = Identity.load(
            cert_pem(client_identity), key=key_pem(client_identity, b"frase"), password="frase"
        )
        assert ident.has_key

    def test_certificate_alone_loads_for_inspection(self, client_identity: Identity) -> None:
        ident = Identity.load(cert_pem(client_identity))
        assert not ident.has_key
        assert [f.code for f in ident.findings] == ["no_key", "ok"] or ident.findings[
            0
        ].code == "no_key"


# ----------------------------------------------------------------------------------- bad input
def _load_error(data: bytes, **kwargs: object) -> IdentityError:
    with pytest.raises(IdentityError) as info:
        Identity.load(data, **kwargs)  # type: ignore[arg-type]
    assert_clean(info.value)
    return info.value


class TestBadInput:
    def test_garbage_bytes(self) -> None:
        err = _load_error(b"\x89PNG\r\n\x1a\n not a certificate")
        assert type(err) is IdentityFormatError
        assert "neither PEM" in str(err)

    def test_empty_file(self, tmp_path: Path) -> None:
        (tmp_path / "empty.pem").write_bytes(b"")
        with pytest.raises(IdentityFormatError, match="empty") as info:
            Identity.load(tmp_path / "empty.pem")
        assert "empty.pem" in str(info.value)

    def test_whitespace_only(self) -> None:
        err = _load_error(b"   \n\n  ")
        assert type(err) is IdentityFormatError and "empty" in str(err)

    def test_truncated_pem(self, client_identity: Identity) -> None:
        data = cert_pem(client_identity)
        err = _load_error(data[: len(data) // 2])
        assert type(err) is IdentityFormatError and "truncated" in str(err)

    def test_damaged_base64_in_pem(self, client_identity: Identity) -> None:
        lines = cert_pem(client_identity).splitlines()
        lines[3] = b"!!!!" + lines[3][4:]
        err = _load_error(b"\n".join(lines) + b"\n")
        assert type(err) is IdentityFormatError and "does not decode" in str(err)

    def test_pkcs12_wrong_password(self, client_identity: Identity) -> None:
        err = _load_error(pfx(client_identity, b"right"), password="wrong")
        assert type(err) is IdentityPasswordError and "wrong" in str(err)

    def test_pkcs12_without_password(self, client_identity: Identity) -> None:
        err = _load_error(pfx(client_identity, b"right"))
        assert type(err) is IdentityPasswordError and "password" in str(err)

    def test_pkcs12_without_key(self, client_identity: Identity) -> None:
        ident = Identity.load(pfx(client_identity, b"pw", with_key=False), password="pw")
        with pytest.raises(MissingKeyError, match="no private key"):
            ident.require_usable()

    def test_truncated_pkcs12(self, client_identity: Identity) -> None:
        data = pfx(client_identity, b"pw")
        err = _load_error(data[:200], password="pw")
        assert type(err) is IdentityPasswordError and "damaged" in str(err)

    def test_mismatched_key(self, client_identity: Identity, ca: CertificateAuthority) -> None:
        other = ca.issue_client("someone else")
        ident = Identity.load(cert_pem(client_identity), key=key_pem(other))
        assert ident.findings[0].code == "key_mismatch"
        with pytest.raises(KeyMismatchError, match="does not belong"):
            ident.require_usable()

    def test_encrypted_key_without_passphrase(self, client_identity: Identity) -> None:
        err = _load_error(cert_pem(client_identity) + key_pem(client_identity, b"frase"))
        assert type(err) is IdentityPasswordError and "encrypted" in str(err)

    def test_encrypted_key_wrong_passphrase(self, client_identity: Identity) -> None:
        err = _load_error(
            cert_pem(client_identity) + key_pem(client_identity, b"frase"), password="nope"
        )
        assert type(err) is IdentityPasswordError and "wrong" in str(err)

    def test_legacy_encrypted_rsa_key_without_passphrase(self, client_identity: Identity) -> None:
        legacy = client_identity._private_key().private_bytes(
            PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"x"),
        )
        err = _load_error(cert_pem(client_identity) + legacy)
        assert type(err) is IdentityPasswordError

    def test_csr_instead_of_certificate_pem(self) -> None:
        _, csr = make_csr(common_name="app.example.com.br")
        err = _load_error(csr)
        assert type(err) is IdentityFormatError and "CSR" in str(err)

    def test_csr_instead_of_certificate_der(self) -> None:
        from cryptography import x509

        _, csr = make_csr(common_name="app.example.com.br")
        der = x509.load_pem_x509_csr(csr).public_bytes(DER)
        err = _load_error(der)
        assert type(err) is IdentityFormatError and "signing request" in str(err)

    def test_key_without_certificate(self, client_identity: Identity) -> None:
        err = _load_error(key_pem(client_identity))
        assert type(err) is IdentityFormatError and "no certificate" in str(err)

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(IdentityFormatError, match="does not exist") as info:
            Identity.load(tmp_path / "nope.pfx")
        assert_clean(info.value)

    def test_directory_instead_of_file(self, tmp_path: Path) -> None:
        with pytest.raises(IdentityFormatError, match="is a directory"):
            Identity.load(tmp_path)

    def test_two_keys(self, client_identity: Identity) -> None:
        combined = cert_pem(client_identity) + key_pem(client_identity)
        with pytest.raises(IdentityFormatError, match="Both"):
            Identity.load(combined, key=key_pem(client_identity))

    def test_key_argument_without_key(self, client_identity: Identity) -> None:
        with pytest.raises(IdentityFormatError, match="holds no private key"):
            Identity.load(cert_pem(client_identity), key=cert_pem(client_identity))

    def test_only_public_key_block(self, client_identity: Identity) -> None:
        public = client_identity.certificate.public_key().public_bytes(
            PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        err = _load_error(public)
        assert type(err) is IdentityFormatError and "PUBLIC KEY" in str(err)

    def test_truncated_der(self, client_identity: Identity) -> None:
        der = client_identity.certificate.public_bytes(DER)
        err = _load_error(der[:100])
        assert type(err) is IdentityFormatError and "DER" in str(err)

    def test_unsupported_key_type(self, client_identity: Identity) -> None:
        dsa_key = dsa.generate_private_key(2048).private_bytes(PEM, PKCS8, NOENC)
        err = _load_error(cert_pem(client_identity) + dsa_key)
        assert type(err) is IdentityFormatError and "RSA or EC" in str(err)

    def test_too_large(self) -> None:
        err = _load_error(b"-----BEGIN CERTIFICATE-----\n" + b"A" * (2 << 20))
        assert type(err) is IdentityFormatError and "too large" in str(err)

    def test_password_of_wrong_type(self, client_identity: Identity) -> None:
        with pytest.raises(ConfigurationError, match="password"):
            Identity.load(pfx(client_identity, b"pw"), password=1234)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------- findings
def _rejected(identity: Identity) -> CertificateRejectedError:
    with pytest.raises(CertificateRejectedError) as info:
        identity.require_usable()
    return info.value


class TestFindings:
    now = dt.datetime.now(dt.UTC)

    def test_expired(self, ca: CertificateAuthority) -> None:
        ident = ca.issue_client(
            "old",
            not_before=self.now - dt.timedelta(days=400),
            not_after=self.now - dt.timedelta(days=2),
        )
        err = _rejected(ident)
        assert [f.code for f in err.findings] == ["expired"]
        assert "expired on" in str(err)

    def test_not_yet_valid(self, ca: CertificateAuthority) -> None:
        ident = ca.issue_client("future", not_before=self.now + dt.timedelta(days=3))
        assert _rejected(ident).findings[0].code == "not_yet_valid"

    def test_expires_soon_is_a_warning_with_the_date(self, ca: CertificateAuthority) -> None:
        end = self.now + dt.timedelta(days=10)
        ident = ca.issue_client("soon", not_after=end)
        ident.require_usable()  # a warning does not block
        first = ident.findings[0]
        assert first.code == "expires_soon" and f"{end:%Y-%m-%d}" in first.message

    def test_1024_bit_key(self, ca: CertificateAuthority) -> None:
        ident = ca.issue_client("weak", key_size=1024)
        err = _rejected(ident)
        assert err.findings[0].code == "weak_key" and "1024 bits" in str(err)

    def test_missing_client_auth_eku(self, ca: CertificateAuthority) -> None:
        ident = ca.issue_client("server-only", eku=[ExtendedKeyUsageOID.SERVER_AUTH])
        err = _rejected(ident)
        assert err.findings[0].code == "no_client_auth" and "clientAuth" in str(err)

    def test_no_eku_extension_is_a_warning(self, ca: CertificateAuthority) -> None:
        ident = ca.issue_client("no-eku", eku=None)
        assert ident.findings[0].code == "no_eku"
        ident.require_usable()

    def test_wrong_ca(self, client_identity: Identity, other_ca_bundle: Path) -> None:
        ident = Identity.load(
            cert_pem(client_identity) + key_pem(client_identity), ca_bundle=other_ca_bundle
        )
        err = _rejected(ident)
        assert err.findings[0].code == "chain_untrusted" and "other-ca.pem" in str(err)

    def test_right_ca(self, client_identity: Identity, ca_bundle: Path) -> None:
        ident = Identity.load(
            cert_pem(client_identity) + key_pem(client_identity), ca_bundle=ca_bundle
        )
        assert ident.ok and ident.findings[0].code == "ok"

    def test_unreadable_ca_bundle(self, client_identity: Identity, tmp_path: Path) -> None:
        bad = tmp_path / "ca.pem"
        bad.write_text("not pem")
        ident = Identity.load(cert_pem(client_identity) + key_pem(client_identity), ca_bundle=bad)
        assert ident.findings[0].code == "ca_bundle_unreadable"

    def test_self_signed_when_ca_expected(self) -> None:
        ident = self_signed_identity("me")
        reloaded = Identity.load(cert_pem(ident) + key_pem(ident))
        assert _rejected(reloaded).findings[0].code == "self_signed"
        assert Identity.load(cert_pem(ident) + key_pem(ident), self_signed_ok=True).ok

    def test_findings_are_worst_first(self, ca: CertificateAuthority) -> None:
        ident = ca.issue_client(
            "many", key_size=1024, eku=None, not_after=self.now + dt.timedelta(days=5)
        )
        severities = [f.severity for f in ident.findings]
        assert severities == sorted(severities)
        assert {f.code for f in ident.findings} == {"weak_key", "no_eku", "expires_soon"}

    def test_rsa_generation_rejects_odd_sizes(self) -> None:
        assert rsa.generate_private_key(65537, 2048).key_size == 2048
        with pytest.raises(ConfigurationError, match="key size"):
            make_csr(common_name="x", key_size=1024)


class TestFactsAndDisplay:
    def test_facts(self, client_identity: Identity) -> None:
        import base64
        import hashlib

        der = client_identity.certificate_der
        assert (
            client_identity.fingerprint_sha256.replace(":", "")
            == hashlib.sha256(der).hexdigest().upper()
        )
        expected = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
        assert client_identity.x5t_s256 == expected
        assert (
            client_identity.subject.startswith("O=bradesco-explore sandbox,CN=analyst")
            or "CN=analyst" in client_identity.subject
        )
        assert client_identity.key_description == "RSA 2048"
        assert 360 <= client_identity.days_to_expiry <= 366

    def test_reprs_hold_no_key_material(self, client_identity: Identity) -> None:
        pem = key_pem(client_identity).decode()
        body = "".join(pem.splitlines()[1:-1])
        for text in (
            repr(client_identity),
            str(client_identity),
            client_identity._repr_html_(),
            str(client_identity.summary()),
        ):
            assert "PRIVATE KEY" not in text
            assert body[:40] not in text and body[-40:] not in text
        assert "badge" in client_identity._repr_html_()
        assert client_identity.x5t_s256 in repr(client_identity)
