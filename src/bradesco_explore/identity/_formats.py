"""Read certificates and private keys from PEM, DER or PKCS#12 bytes, detecting the format.

The format is decided by the bytes, never by the file name: PEM has `-----BEGIN` armour; a
PKCS#12 file is a DER SEQUENCE whose first element is the INTEGER 3 (RFC 7292 PFX version);
any other DER SEQUENCE is tried as a certificate and then as a private key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ..errors import IdentityFormatError, IdentityPasswordError
from ._source import MAX_INPUT

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)

_PEM_BLOCK: Final = re.compile(
    rb"-----BEGIN (?P<label>[A-Z0-9 ]+)-----\r?\n(?P<body>.*?)-----END (?P=label)-----", re.S
)
_KEY_LABELS: Final = {
    b"PRIVATE KEY",
    b"RSA PRIVATE KEY",
    b"EC PRIVATE KEY",
    b"ENCRYPTED PRIVATE KEY",
}
_CERT_LABELS: Final = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}


@dataclass
class Parsed:
    """What one input held: certificates in file order and at most one private key."""

    certificates: list[x509.Certificate] = field(default_factory=list)
    key: PrivateKey | None = None
    format: str = ""


def parse(data: bytes, *, password: bytes | None, source: str) -> Parsed:
    """Parse `data` as PEM, PKCS#12 or DER; raise a precise `IdentityError` if it is none."""
    if not data or not data.strip():
        raise IdentityFormatError(
            f"{source} is empty: expected a certificate or key.", source=source
        )
    if len(data) > MAX_INPUT:
        raise IdentityFormatError(
            f"{source} is {len(data):,} bytes, far too large for a certificate or key (limit 1 MiB).",
            source=source,
        )
    if b"-----BEGIN" in data:
        return _decodable(_parse_pem(data, password=password, source=source), source)
    if _looks_like_pkcs12(data):
        return _decodable(_parse_pkcs12(data, password=password, source=source), source)
    if data[:1] == b"\x30":
        return _decodable(_parse_der(data, password=password, source=source), source)
    raise IdentityFormatError(
        f"{source} is not a certificate or key: it is neither PEM (no '-----BEGIN' line), "
        "DER nor PKCS#12. Export the certificate as .pem, .der/.cer or .pfx/.p12.",
        source=source,
    )


def _decodable(parsed: Parsed, source: str) -> Parsed:
    """`parsed`, once every certificate field we read later has decoded.

    cryptography parses names, extensions and keys lazily, so a damaged certificate loads
    and only fails when `findings` or `summary()` reads it; here it fails at load instead.
    """
    for certificate in parsed.certificates:
        try:
            _ = (certificate.subject, certificate.issuer, certificate.extensions)
            _ = (certificate.not_valid_before_utc, certificate.not_valid_after_utc)
            _ = (certificate.public_key(), certificate.serial_number)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise IdentityFormatError(
                f"{source} holds a certificate whose fields do not decode ({_first_line(exc)}); "
                "it is damaged. Export the certificate again.",
                source=source,
            ) from None
    return parsed


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:160] if str(error) else type(error).__name__


def _parse_pem(data: bytes, *, password: bytes | None, source: str) -> Parsed:
    blocks = list(_PEM_BLOCK.finditer(data))
    if not blocks:
        raise IdentityFormatError(
            f"{source} has a '-----BEGIN' line but no matching '-----END' line: the PEM is "
            "truncated. Copy the whole file, including the END line.",
            source=source,
        )
    result = Parsed(format="PEM")
    for block in blocks:
        _add_pem_block(result, block, password=password, source=source)
    if not result.certificates and result.key is None:
        labels = ", ".join(sorted({b.group("label").decode() for b in blocks}))
        hint = (
            " A CSR is a request, not a certificate: send it to the CA and load what comes back."
            if "REQUEST" in labels
            else ""
        )
        raise IdentityFormatError(
            f"{source} holds PEM blocks of type {labels}, but no certificate or private key.{hint}",
            source=source,
        )
    return result


# cryptography raises InvalidVersion (not a ValueError) for a certificate whose version
# field is neither v1 nor v3: one damaged byte, found by tests/proof/test_fuzz.py
_UNREADABLE_CERTIFICATE = (ValueError, x509.InvalidVersion)


def _add_pem_block(
    result: Parsed, block: re.Match[bytes], *, password: bytes | None, source: str
) -> None:
    label = block.group("label")
    pem = block.group(0)
    if label in _CERT_LABELS:
        try:
            result.certificates.append(x509.load_pem_x509_certificate(pem))
        except _UNREADABLE_CERTIFICATE:
            raise IdentityFormatError(
                f"{source} has a CERTIFICATE block that does not decode (damaged base64 or "
                "truncated DER). Export the certificate again.",
                source=source,
            ) from None
    elif label in _KEY_LABELS:
        if result.key is not None:
            raise IdentityFormatError(
                f"{source} holds more than one private key; give one key per identity.",
                source=source,
            )
        result.key = _load_key(
            pem,
            der=False,
            encrypted=label == b"ENCRYPTED PRIVATE KEY" or b"ENCRYPTED" in pem,
            password=password,
            source=source,
        )


def _load_key(
    data: bytes, *, der: bool, encrypted: bool, password: bytes | None, source: str
) -> PrivateKey:
    """One private key block (PEM) or file (DER); `encrypted` as its armour or ASN.1 says."""
    if encrypted and password is None:
        raise _needs_passphrase(source)
    load = serialization.load_der_private_key if der else serialization.load_pem_private_key
    try:
        key = load(data, password=password if encrypted else None)
    except TypeError:  # encrypted after all (a legacy header we did not recognise)
        raise _needs_passphrase(source) from None
    except ValueError:
        if encrypted:
            raise IdentityPasswordError(
                f"The passphrase for the private key in {source} is wrong (or the key is damaged).",
                source=source,
            ) from None
        raise _undecodable_key(data, der=der, source=source) from None
    except Exception as exc:  # cryptography raises UnsupportedAlgorithm for exotic keys
        raise IdentityFormatError(
            f"The private key in {source} uses an unsupported algorithm ({type(exc).__name__}); "
            "use an RSA or EC key.",
            source=source,
        ) from None
    return _check_key_type(key, source)


def _needs_passphrase(source: str) -> IdentityPasswordError:
    return IdentityPasswordError(
        f"The private key in {source} is encrypted: give its passphrase (password=...).",
        source=source,
    )


def _undecodable_key(data: bytes, *, der: bool, source: str) -> IdentityFormatError:
    if not der:
        return IdentityFormatError(
            f"The private key block in {source} does not decode (damaged or truncated). "
            "Export the key again.",
            source=source,
        )
    if _is_csr_der(data):
        return IdentityFormatError(
            f"{source} is a certificate signing request (CSR), not a certificate: send it to the "
            "CA and load the certificate it issues.",
            source=source,
        )
    return IdentityFormatError(
        f"{source} is DER-encoded but is neither a certificate nor a private key (damaged or "
        "truncated?). Export it again.",
        source=source,
    )


def _check_key_type(key: object, source: str) -> PrivateKey:
    if isinstance(
        key,
        rsa.RSAPrivateKey
        | ec.EllipticCurvePrivateKey
        | ed25519.Ed25519PrivateKey
        | ed448.Ed448PrivateKey,
    ):
        return key
    raise IdentityFormatError(
        f"The private key in {source} is a {type(key).__name__}; use an RSA or EC key.",
        source=source,
    )


def _looks_like_pkcs12(data: bytes) -> bool:
    """True if `data` starts like a PFX: SEQUENCE { INTEGER 3, ContentInfo ... }."""
    header = _der_header(data, 0)
    if header is None or data[0] != 0x30:
        return False
    _, body_start = header
    return data[body_start : body_start + 3] == b"\x02\x01\x03"


def _der_header(data: bytes, offset: int) -> tuple[int, int] | None:
    """Return (length, body offset) of the DER element at `offset`, or None if malformed."""
    if len(data) < offset + 2:
        return None
    first = data[offset + 1]
    if first < 0x80:
        return first, offset + 2
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < offset + 2 + count:
        return None
    return int.from_bytes(data[offset + 2 : offset + 2 + count], "big"), offset + 2 + count


def _parse_pkcs12(data: bytes, *, password: bytes | None, source: str) -> Parsed:
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        if password is None:
            raise IdentityPasswordError(
                f"{source} is a PKCS#12 (.pfx/.p12) file protected by a password: give it "
                "(password=..., or --password-env VAR on the command line).",
                source=source,
            ) from None
        raise IdentityPasswordError(
            f"The password for the PKCS#12 file {source} is wrong (or the file is damaged).",
            source=source,
        ) from None
    except Exception as exc:
        raise IdentityFormatError(
            f"{source} looks like PKCS#12 but could not be read ({type(exc).__name__}). Re-export it "
            "with modern encryption: openssl pkcs12 -export -keypbe AES-256-CBC -certpbe AES-256-CBC.",
            source=source,
        ) from None
    result = Parsed(format="PKCS#12")
    if cert is not None:
        result.certificates.append(cert)
    result.certificates.extend(extra)
    if key is not None:
        result.key = _check_key_type(key, source)
    if not result.certificates and result.key is None:
        raise IdentityFormatError(f"The PKCS#12 file {source} is empty.", source=source)
    return result


def _parse_der(data: bytes, *, password: bytes | None, source: str) -> Parsed:
    try:
        return Parsed(certificates=[x509.load_der_x509_certificate(data)], format="DER")
    except _UNREADABLE_CERTIFICATE:
        pass
    key = _load_key(
        data, der=True, encrypted=_is_encrypted_pkcs8(data), password=password, source=source
    )
    return Parsed(key=key, format="DER")


def _is_encrypted_pkcs8(data: bytes) -> bool:
    """True if `data` starts like a PKCS#8 EncryptedPrivateKeyInfo: SEQUENCE { SEQUENCE { OID.

    Only the encrypted form opens with an algorithm identifier: a plain PrivateKeyInfo starts
    SEQUENCE { INTEGER, and a certificate SEQUENCE { SEQUENCE { [0] or INTEGER.
    """
    outer = _der_header(data, 0)
    if outer is None or data[:1] != b"\x30" or data[outer[1] : outer[1] + 1] != b"\x30":
        return False
    algorithm = _der_header(data, outer[1])
    return algorithm is not None and data[algorithm[1] : algorithm[1] + 1] == b"\x06"


def _is_csr_der(data: bytes) -> bool:
    try:
        x509.load_der_x509_csr(data)
    except ValueError:
        return False
    return True
