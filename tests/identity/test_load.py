"""Identity.load: every format, from paths, bytes and PEM text, and every bad input we know.

Each bad input asserts the same three things (`raises_clean`): the exact error class, a
message that names the problem, and no library exception chained in.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID

from bradesco_explore.errors import (
    BradescoExploreError,
    CertificateRejectedError,
    ConfigurationError,
    IdentityFormatError,
    IdentityPasswordError,
    KeyMismatchError,
    MissingKeyError,
)
from bradesco_explore.identity import (
    CertificateAuthority,
    Finding,
    Identity,
    OpenFinanceSubject,
    Severity,
    make_csr,
    self_signed_identity,
)
from bradesco_explore.identity._formats import PrivateKey

from . import _certs as certs
from ._checks import raises_clean

E = TypeVar("E", bound=BradescoExploreError)

OF_SUBJECT = OpenFinanceSubject(
    organisation_id="org-1", software_id="software-1", cnpj="12.345.678/0001-95",
    organisation_name="Analytics, Ltda", state="SP", locality="Osasco",
)  # fmt: skip
PRINTABLE = 0x13  # the string tag of the Open Finance attributes (reference §5.4)
PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER
PKCS8 = serialization.PrivateFormat.PKCS8
NOENC = serialization.NoEncryption()


def hex_der(tag: int, text: str) -> str:
    """`#` and the short-form DER of a directory string, as RFC 4514 writes it."""
    data = text.encode()
    return f"#{tag:02x}{len(data):02x}{data.hex()}"


def cert_pem(identity: Identity) -> bytes:
    return identity.certificate.public_bytes(PEM)


def key_pem(identity: Identity, password: bytes | None = None) -> bytes:
    enc = serialization.BestAvailableEncryption(password) if password else NOENC
    return identity._private_key().private_bytes(PEM, PKCS8, enc)


def pfx(identity: Identity, password: bytes | None, *, with_key: bool = True) -> bytes:
    enc = serialization.BestAvailableEncryption(password) if password else NOENC
    key = identity._private_key() if with_key else None
    return pkcs12.serialize_key_and_certificates(b"client", key, identity.certificate, None, enc)


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

    def test_der_key_with_a_password_for_something_else(self, client_identity: Identity) -> None:
        # An unencrypted DER key next to a password (meant for a .pfx): the key still loads.
        der_key = client_identity._private_key().private_bytes(DER, PKCS8, NOENC)
        ident = Identity.load(cert_pem(client_identity), key=der_key, password="unused")
        assert ident.has_key and ident.ok

    def test_encrypted_der_key_with_its_passphrase(self, client_identity: Identity) -> None:
        key = encrypted_der_key(client_identity, b"frase")
        assert Identity.load(cert_pem(client_identity), key=key, password="frase").ok

    def test_ec_p256_key_and_certificate(self, ca: CertificateAuthority) -> None:
        issued = ca.issue_client("ec-client", key=ec.generate_private_key(ec.SECP256R1()))
        ident = Identity.load(cert_pem(issued) + key_pem(issued))
        assert ident.key_description == "EC secp256r1"
        assert ident.has_key and ident.ok

    def test_pem_with_a_utf8_bom(self, client_identity: Identity) -> None:
        data = b"\xef\xbb\xbf" + cert_pem(client_identity) + key_pem(client_identity)
        assert Identity.load(data).ok
        assert Identity.load(data.decode("utf-8")).ok  # the BOM as text: U+FEFF

    def test_pem_with_crlf_line_endings(self, client_identity: Identity, tmp_path: Path) -> None:
        data = (cert_pem(client_identity) + key_pem(client_identity)).replace(b"\n", b"\r\n")
        (tmp_path / "windows.pem").write_bytes(data)
        ident = Identity.load(tmp_path / "windows.pem")
        assert ident.has_key and ident.x5t_s256 == client_identity.x5t_s256

    def test_certificate_alone_loads_for_inspection(self, client_identity: Identity) -> None:
        ident = Identity.load(cert_pem(client_identity))
        assert not ident.has_key
        assert [f.code for f in ident.findings] == ["no_key", "ok"] or ident.findings[
            0
        ].code == "no_key"


# ----------------------------------------------------------------------------------- bad input
def _load_error(source: object, expected: type[E], message: str, **kwargs: object) -> E:
    """`Identity.load(source, **kwargs)` fails with exactly `expected`, saying `message`."""
    return raises_clean(expected, message, lambda: Identity.load(source, **kwargs))  # type: ignore[arg-type]


def _unusable(identity: Identity, expected: type[E], message: str) -> E:
    """An identity that loads (to be inspected) but `require_usable` refuses."""
    return raises_clean(expected, message, identity.require_usable)


def encrypted_der_key(identity: Identity, password: bytes) -> bytes:
    encryption = serialization.BestAvailableEncryption(password)
    return identity._private_key().private_bytes(DER, PKCS8, encryption)


class TestBadInput:
    def test_garbage_bytes(self) -> None:
        _load_error(b"\x89PNG\r\n\x1a\n not a certificate", IdentityFormatError, "neither PEM")

    def test_empty_file(self, tmp_path: Path) -> None:
        (tmp_path / "empty.pem").write_bytes(b"")
        _load_error(tmp_path / "empty.pem", IdentityFormatError, r"empty\.pem is empty")

    def test_whitespace_only(self) -> None:
        _load_error(b"   \n\n  ", IdentityFormatError, "empty")

    def test_truncated_pem(self, client_identity: Identity) -> None:
        data = cert_pem(client_identity)
        _load_error(data[: len(data) // 2], IdentityFormatError, "truncated")

    def test_damaged_base64_in_pem(self, client_identity: Identity) -> None:
        lines = cert_pem(client_identity).splitlines()
        lines[3] = b"!!!!" + lines[3][4:]
        _load_error(b"\n".join(lines) + b"\n", IdentityFormatError, "does not decode")

    @pytest.mark.parametrize("encoding", ["DER", "PEM"])
    def test_certificate_with_an_invalid_version(
        self, client_identity: Identity, encoding: str
    ) -> None:
        # one byte changed (v3 -> "v4"): cryptography raises InvalidVersion, not ValueError
        der = client_identity.certificate_der.replace(
            b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x03", 1
        )
        assert der != client_identity.certificate_der
        if encoding == "DER":
            _load_error(der, IdentityFormatError, "neither a certificate nor a private key")
        else:
            body = base64.encodebytes(der).replace(b"\n", b"")
            lines = [body[i : i + 64] for i in range(0, len(body), 64)]
            pem = b"\n".join(
                [b"-----BEGIN CERTIFICATE-----", *lines, b"-----END CERTIFICATE-----", b""]
            )
            _load_error(pem, IdentityFormatError, "does not decode")

    def test_pkcs12_wrong_password(self, client_identity: Identity) -> None:
        _load_error(
            pfx(client_identity, b"right"), IdentityPasswordError, "wrong", password="wrong"
        )

    def test_pkcs12_without_password(self, client_identity: Identity) -> None:
        _load_error(pfx(client_identity, b"right"), IdentityPasswordError, "password")

    def test_pkcs12_without_key(self, client_identity: Identity) -> None:
        ident = Identity.load(pfx(client_identity, b"pw", with_key=False), password="pw")
        _unusable(ident, MissingKeyError, "no private key")

    def test_truncated_pkcs12(self, client_identity: Identity) -> None:
        data = pfx(client_identity, b"pw")
        _load_error(data[:200], IdentityPasswordError, "damaged", password="pw")

    def test_mismatched_key(self, client_identity: Identity, ca: CertificateAuthority) -> None:
        other = ca.issue_client("someone else")
        ident = Identity.load(cert_pem(client_identity), key=key_pem(other))
        assert ident.findings[0].code == "key_mismatch"
        _unusable(ident, KeyMismatchError, "does not belong")

    def test_encrypted_key_without_passphrase(self, client_identity: Identity) -> None:
        data = cert_pem(client_identity) + key_pem(client_identity, b"frase")
        _load_error(data, IdentityPasswordError, "encrypted")

    def test_encrypted_key_wrong_passphrase(self, client_identity: Identity) -> None:
        data = cert_pem(client_identity) + key_pem(client_identity, b"frase")
        _load_error(data, IdentityPasswordError, "wrong", password="nope")

    def test_legacy_encrypted_rsa_key_without_passphrase(self, client_identity: Identity) -> None:
        legacy = client_identity._private_key().private_bytes(
            PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.BestAvailableEncryption(b"x"),
        )
        _load_error(cert_pem(client_identity) + legacy, IdentityPasswordError, "is encrypted")

    def test_encrypted_der_key_wrong_passphrase(self, client_identity: Identity) -> None:
        # DER has no armour to say "ENCRYPTED": before the fix this was "neither a certificate
        # nor a private key (damaged or truncated?)".
        key = encrypted_der_key(client_identity, b"frase")
        _load_error(
            cert_pem(client_identity), IdentityPasswordError, "passphrase .* is wrong",
            key=key, password="nope",
        )  # fmt: skip

    def test_encrypted_der_key_without_passphrase(self, client_identity: Identity) -> None:
        key = encrypted_der_key(client_identity, b"frase")
        _load_error(cert_pem(client_identity), IdentityPasswordError, "is encrypted", key=key)

    def test_csr_instead_of_certificate_pem(self) -> None:
        _, csr = make_csr(common_name="app.example.com.br")
        _load_error(csr, IdentityFormatError, "CSR")

    def test_csr_instead_of_certificate_der(self) -> None:
        _, csr = make_csr(common_name="app.example.com.br")
        der = x509.load_pem_x509_csr(csr).public_bytes(DER)
        _load_error(der, IdentityFormatError, "signing request")

    def test_key_without_certificate(self, client_identity: Identity) -> None:
        _load_error(key_pem(client_identity), IdentityFormatError, "no certificate")

    def test_missing_file(self, tmp_path: Path) -> None:
        _load_error(tmp_path / "nope.pfx", IdentityFormatError, r"nope\.pfx does not exist")

    def test_directory_instead_of_file(self, tmp_path: Path) -> None:
        _load_error(tmp_path, IdentityFormatError, "is a directory")

    @pytest.mark.timeout(20)  # before the fix, opening the FIFO waited for a writer forever
    def test_named_pipe_instead_of_file(self, tmp_path: Path) -> None:
        fifo = tmp_path / "client.pem"
        os.mkfifo(fifo)
        _load_error(fifo, IdentityFormatError, r"client\.pem is a named pipe \(FIFO\)")

    def test_two_keys(self, client_identity: Identity) -> None:
        combined = cert_pem(client_identity) + key_pem(client_identity)
        _load_error(combined, IdentityFormatError, "Both", key=key_pem(client_identity))

    def test_two_keys_in_one_file(self, client_identity: Identity) -> None:
        data = cert_pem(client_identity) + key_pem(client_identity) * 2
        _load_error(data, IdentityFormatError, "more than one private key")

    def test_key_argument_without_key(self, client_identity: Identity) -> None:
        _load_error(
            cert_pem(client_identity), IdentityFormatError, "holds no private key",
            key=cert_pem(client_identity),
        )  # fmt: skip

    def test_only_public_key_block(self, client_identity: Identity) -> None:
        public = client_identity.certificate.public_key().public_bytes(
            PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _load_error(public, IdentityFormatError, "PUBLIC KEY")

    def test_truncated_der(self, client_identity: Identity) -> None:
        der = client_identity.certificate.public_bytes(DER)
        _load_error(der[:100], IdentityFormatError, "DER")

    def test_unsupported_key_type(self, client_identity: Identity) -> None:
        dsa_key = dsa.generate_private_key(2048).private_bytes(PEM, PKCS8, NOENC)
        _load_error(cert_pem(client_identity) + dsa_key, IdentityFormatError, "RSA or EC")

    def test_too_large(self) -> None:
        data = b"-----BEGIN CERTIFICATE-----\n" + b"A" * (2 << 20)
        _load_error(data, IdentityFormatError, "too large")

    def test_password_of_wrong_type(self, client_identity: Identity) -> None:
        # ConfigurationError itself, not a subclass: a programming mistake, not a bad file.
        _load_error(
            pfx(client_identity, b"pw"), ConfigurationError, "password must be str, bytes",
            password=1234,
        )  # fmt: skip


class TestArguments:
    """What a notebook user passes by mistake: the right content as the wrong type, and so on."""

    @pytest.mark.parametrize(
        ("cert", "shown"), [(12345, "int"), (None, "NoneType"), ([b"pem"], "list")]
    )
    def test_cert_of_wrong_type(self, cert: object, shown: str) -> None:
        _load_error(cert, ConfigurationError, f"^cert must be a file path.* not {shown}")

    def test_key_of_wrong_type(self, client_identity: Identity) -> None:
        _load_error(
            cert_pem(client_identity), ConfigurationError, "^key must be a file path.* not int",
            key=12345,
        )  # fmt: skip

    def test_a_path_with_a_nul_byte(self) -> None:
        _load_error("a\x00b", IdentityFormatError, r"cert a\\x00b contains a NUL")

    def test_a_str_that_is_neither_a_path_nor_pem(self) -> None:
        _load_error("MIIBcertificate", IdentityFormatError, "^MIIBcertificate does not exist")

    def test_ca_bundle_given_as_bytes(
        self, client_identity: Identity, ca: CertificateAuthority
    ) -> None:
        _load_error(
            cert_pem(client_identity), ConfigurationError, "ca_bundle must be the path .* not bytes",
            ca_bundle=ca.certificate_pem,
        )  # fmt: skip

    def test_pem_text_is_content_not_a_path(self, client_identity: Identity) -> None:
        # What `key=os.environ["KEY_PEM"]` means. Before the fix the key PEM was taken for a
        # path, and the "does not exist" message repeated the whole private key.
        ident = Identity.load(
            cert_pem(client_identity).decode(), key=key_pem(client_identity).decode()
        )
        assert ident.has_key and ident.ok
        assert ident.source == "the text given as cert"

    def test_a_key_whose_line_breaks_were_lost_is_not_repeated(
        self, client_identity: Identity
    ) -> None:
        one_line = " ".join(key_pem(client_identity).decode().splitlines())
        err = _load_error(cert_pem(client_identity), IdentityFormatError, "truncated", key=one_line)
        self._assert_no_key_material(client_identity, str(err), str(err.source))

    def test_a_path_label_is_short_and_redacted(self, client_identity: Identity) -> None:
        # A PathLike is always a path, whatever it holds: its label is cut and redacted.
        text = key_pem(client_identity).decode()
        err = _load_error(
            Path(text), IdentityFormatError, r"REDACTED.* cannot be read|does not exist"
        )
        assert len(str(err.source)) <= 120
        self._assert_no_key_material(client_identity, str(err), str(err.source))

    def test_a_str_longer_than_any_path_is_content(self) -> None:
        # base64 of a DER file pasted without line breaks: content, never echoed as a path.
        text = "MIIE" + "A" * 5000
        err = _load_error(text, IdentityFormatError, "^the text given as cert is not a certificate")
        assert "AAAA" not in str(err)

    def test_a_long_missing_path_is_cut_in_the_message(self, tmp_path: Path) -> None:
        long = str(tmp_path / ("d" * 300) / "client.pem")
        err = _load_error(long, IdentityFormatError, "…")
        assert len(str(err.source)) <= 120 and len(str(err)) < 200

    @staticmethod
    def _assert_no_key_material(identity: Identity, *texts: str) -> None:
        body = "".join(key_pem(identity).decode().splitlines()[1:-1])
        for text in texts:
            assert "PRIVATE KEY-----" not in text
            for at in range(0, len(body) - 16, 16):
                assert body[at : at + 16] not in text


class TestUnboundedInput:
    """Input that never ends, or claims gigabytes, is refused after at most 1 MiB read.

    Run in a child process whose address space is capped: before the fix these read the
    whole input and died of MemoryError there (instead of exhausting the machine here).
    """

    @pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
    def test_a_device_is_refused(self, device: str) -> None:
        if not Path(device).exists():
            pytest.skip(f"no {device}")
        kind, message = _load_in_capped_process(device)
        assert kind == "IdentityFormatError"
        assert (
            message
            == f"{device} is a character device, not a regular file; give the certificate file."
        )

    def test_a_huge_sparse_file_is_refused(self, tmp_path: Path) -> None:
        sparse = tmp_path / "huge.pem"
        with sparse.open("wb") as handle:
            handle.truncate(4 << 30)  # 4 GiB of holes: no disk used
        kind, message = _load_in_capped_process(str(sparse))
        assert kind == "IdentityFormatError" and "larger than 1 MiB" in message

    def test_a_file_just_over_the_limit(self, tmp_path: Path) -> None:
        path = tmp_path / "big.pem"
        path.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + b"A" * (1 << 20))
        _load_error(path, IdentityFormatError, r"big\.pem is larger than 1 MiB")


_CAPPED_LOAD = """
import resource, sys
from bradesco_explore.errors import BradescoExploreError
from bradesco_explore.identity import Identity
with open("/proc/self/status") as status:
    size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
cap = size + (256 << 20)
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
try:
    Identity.load(sys.argv[1])
except BradescoExploreError as error:
    print(type(error).__name__)
    print(error)
"""


def _load_in_capped_process(path: str) -> tuple[str, str]:
    """(error class, message) of `Identity.load(path)` in a process allowed 256 MiB more."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux /proc to cap the child's memory")
    result = subprocess.run(
        [sys.executable, "-c", _CAPPED_LOAD, path],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    kind, _, message = result.stdout.strip().partition("\n")
    return kind, message


# --------------------------------------------------------------------------------- findings
def _rejected(identity: Identity) -> CertificateRejectedError:
    return raises_clean(
        CertificateRejectedError, "cannot be used for mTLS", identity.require_usable
    )


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
        raises_clean(
            ConfigurationError, "^key size must be one of",
            lambda: make_csr(common_name="x", key_size=1024),
        )  # fmt: skip


class TestChain:
    """Every issuer on the path to the bundle must be a CA, allowed to sign, and valid now.

    Before the fix only signatures were followed: a leaf signed by another leaf, or issued
    by an expired CA, gave no finding at all.
    """

    @staticmethod
    def _chain_finding(
        leaf: x509.Certificate,
        key: PrivateKey,
        bundle: list[x509.Certificate],
        tmp_path: Path,
        chain: Sequence[x509.Certificate] = (),
    ) -> Finding | None:
        path = tmp_path / "bundle.pem"
        path.write_bytes(b"".join(c.public_bytes(PEM) for c in bundle))
        ident = Identity.from_objects(leaf, key, chain=chain, ca_bundle=path)
        found = [f for f in ident.findings if f.code.startswith("chain")]
        assert len(found) <= 1
        return found[0] if found else None

    def test_a_leaf_issued_by_an_expired_ca(self, tmp_path: Path) -> None:
        root_key, leaf_key = certs.ec_key(), certs.ec_key()
        root = certs.certificate(
            certs.name("Old Root"), root_key, ca=True, cert_sign=True,
            not_before=certs.NOW - 400 * certs.DAY, not_after=certs.NOW - certs.DAY,
        )  # fmt: skip
        leaf = certs.certificate(
            certs.name("client"), leaf_key, issuer=root.subject, issuer_key=root_key
        )
        finding = self._chain_finding(leaf, leaf_key, [root], tmp_path)
        assert finding is not None and finding.code == "chain_invalid"
        assert finding.severity is Severity.ERROR
        assert (
            f"CN=Old Root, which expired on {root.not_valid_after_utc:%Y-%m-%d}" in finding.message
        )

    def test_a_leaf_signed_by_another_leaf(
        self, client_identity: Identity, ca_bundle: Path, tmp_path: Path
    ) -> None:
        key = certs.ec_key()
        forged = certs.certificate(
            certs.name("mallory"), key,
            issuer=client_identity.certificate.subject, issuer_key=client_identity._private_key(),
        )  # fmt: skip
        ident = Identity.from_objects(
            forged, key, chain=[client_identity.certificate], ca_bundle=ca_bundle
        )
        finding = ident.findings[0]
        assert finding.code == "chain_invalid"
        assert f"{client_identity.subject}, which is not a CA certificate" in finding.message
        assert not ident.ok

    @pytest.mark.parametrize(
        ("ca", "cert_sign", "not_after", "reason"),
        [
            (None, None, certs.NOW + 30 * certs.DAY, "which is not a CA certificate"),
            (True, False, certs.NOW + 30 * certs.DAY, "whose key usage does not allow signing"),
            (True, True, certs.NOW - certs.DAY, "which expired on"),
        ],
        ids=["no basicConstraints", "keyUsage without keyCertSign", "expired"],
    )
    def test_an_intermediate_that_may_not_issue(
        self,
        tmp_path: Path,
        ca: bool | None,
        cert_sign: bool | None,
        not_after: dt.datetime,
        reason: str,
    ) -> None:
        root_key, middle_key, leaf_key = certs.ec_key(), certs.ec_key(), certs.ec_key()
        root = certs.certificate(certs.name("Root"), root_key, ca=True, cert_sign=True)
        middle = certs.certificate(
            certs.name("Middle"), middle_key, issuer=root.subject, issuer_key=root_key,
            ca=ca, cert_sign=cert_sign, not_before=certs.NOW - 60 * certs.DAY, not_after=not_after,
        )  # fmt: skip
        leaf = certs.certificate(
            certs.name("client"), leaf_key, issuer=middle.subject, issuer_key=middle_key
        )
        finding = self._chain_finding(leaf, leaf_key, [root], tmp_path, chain=[middle])
        assert finding is not None and finding.code == "chain_invalid"
        assert f"CN=Middle, {reason}" in finding.message

    def test_a_valid_intermediate(self, tmp_path: Path) -> None:
        root_key, middle_key, leaf_key = certs.ec_key(), certs.ec_key(), certs.ec_key()
        root = certs.certificate(certs.name("Root"), root_key, ca=True, cert_sign=True)
        middle = certs.certificate(
            certs.name("Middle"), middle_key, issuer=root.subject, issuer_key=root_key,
            ca=True, cert_sign=True,
        )  # fmt: skip
        leaf = certs.certificate(
            certs.name("client"), leaf_key, issuer=middle.subject, issuer_key=middle_key
        )
        assert self._chain_finding(leaf, leaf_key, [root], tmp_path, chain=[middle]) is None
        assert self._chain_finding(leaf, leaf_key, [root], tmp_path)  # no intermediate given

    def test_an_expired_and_a_renewed_copy_of_the_same_ca(self, tmp_path: Path) -> None:
        # A CA renewed with the same key: the bundle often holds both; the valid one counts.
        root_key, leaf_key = certs.ec_key(), certs.ec_key()
        expired = certs.certificate(
            certs.name("Root"), root_key, ca=True, cert_sign=True,
            not_before=certs.NOW - 400 * certs.DAY, not_after=certs.NOW - certs.DAY,
        )  # fmt: skip
        renewed = certs.certificate(certs.name("Root"), root_key, ca=True, cert_sign=True)
        leaf = certs.certificate(
            certs.name("client"), leaf_key, issuer=renewed.subject, issuer_key=root_key
        )
        assert self._chain_finding(leaf, leaf_key, [expired, renewed], tmp_path) is None
        assert self._chain_finding(leaf, leaf_key, [expired], tmp_path) is not None


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

    def test_open_finance_subject_is_rfc4514_with_hex_values(
        self, ca: CertificateAuthority
    ) -> None:
        # RFC 4514 §2.4: a type written as a dotted OID takes `#` and the value's DER. Before
        # the fix Identity.subject showed `2.5.4.97=OFBBR-...,1.3.6.1.4.1.311.60.2.1.3=BR`.
        ident = ca.issue_client("tpp.example.com.br", open_finance=OF_SUBJECT)
        expected = ",".join([
            "UID=software-1",
            f"2.5.4.97={hex_der(PRINTABLE, 'OFBBR-org-1')}",
            f"1.3.6.1.4.1.311.60.2.1.3={hex_der(PRINTABLE, 'BR')}",
            f"2.5.4.15={hex_der(PRINTABLE, 'Private Organization')}",
            f"2.5.4.5={hex_der(PRINTABLE, '12345678000195')}",
            "CN=tpp.example.com.br", "O=Analytics\\, Ltda", "L=Osasco", "ST=SP", "C=BR",
        ])  # fmt: skip
        assert ident.subject == expected
        assert ident.summary()["subject"] == expected

    def test_issuer_uses_the_same_rfc4514_text(self) -> None:
        key = certs.ec_key()
        of_name = x509.Name(OF_SUBJECT.attributes("ca.example"))
        ident = Identity.from_objects(certs.certificate(of_name, key, ca=True), key)
        assert ident.issuer == ident.subject
        assert ident.issuer.startswith(
            f"UID=software-1,2.5.4.97={hex_der(PRINTABLE, 'OFBBR-org-1')},"
        )

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
