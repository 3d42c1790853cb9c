"""TLS contexts for mutual TLS, built from an in-memory identity.

Python's `ssl` module loads certificate chains only from files (cpython #118557 is still open),
so the identity is written to a 0600 file in a fresh 0700 directory, with the key encrypted
under a random one-time passphrase, loaded, and deleted before this function returns. The
returned context is then shared by every connection of a session.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import ssl
from pathlib import Path
from urllib.parse import urlsplit

import certifi
from cryptography.hazmat.primitives import serialization

from .._files import private_directory
from .._secret import redact
from ..errors import ConfigurationError, IdentityError, InsecureConfigurationError
from ..identity import Identity

_CA_ENV_VARS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def default_ca_bundle() -> str:
    """The trust store used when none is given: `REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE`, else certifi.

    This matches what `requests` itself does; an explicit `ca_bundle` always wins over it.
    """
    for name in _CA_ENV_VARS:
        value = os.environ.get(name)
        if value:
            return value
    return certifi.where()


def build_ssl_context(
    identity: Identity | None, *, ca_bundle: str | os.PathLike[str] | None
) -> ssl.SSLContext:
    """A client context: TLS 1.2+, hostname and chain verification on, our client certificate.

    `ca_bundle` (a PEM file or a directory of hashed certificates) replaces the default trust
    store; it is not added to it. `identity=None` gives a context without a client certificate.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    _load_trust(context, str(ca_bundle) if ca_bundle is not None else default_ca_bundle())
    if identity is not None:
        identity.require_usable()
        load_identity(context, identity)
    return context


def _load_trust(context: ssl.SSLContext, bundle: str) -> None:
    path = Path(bundle).expanduser()
    try:
        if path.is_dir():
            context.load_verify_locations(capath=str(path))
        else:
            context.load_verify_locations(cafile=str(path))
    except FileNotFoundError:
        raise ConfigurationError(f"CA bundle {path} does not exist; check ca_bundle.") from None
    except (ssl.SSLError, OSError):
        raise ConfigurationError(
            f"CA bundle {path} holds no PEM certificates we can read; give a PEM file of CA certificates."
        ) from None


def load_identity(context: ssl.SSLContext, identity: Identity) -> None:
    passphrase = secrets.token_urlsafe(32).encode()
    key_pem = identity._private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    folder = private_directory("bx-mtls-")
    try:
        cert_path, key_path = folder / "cert.pem", folder / "key.pem"
        for path, data in ((cert_path, identity.certificate_pem), (key_path, key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        context.load_cert_chain(str(cert_path), str(key_path), password=passphrase)
    except ssl.SSLError:
        raise IdentityError(
            f"OpenSSL refused the identity from {identity.source} (unsupported key or certificate).",
            source=identity.source,
        ) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Refuse anything but https://, except plain http:// to the loopback sandbox."""
    try:
        parts = urlsplit(url)
        hostname, _ = parts.hostname, parts.port
    except ValueError as exc:  # a broken IPv6 literal ("https://[..."), a port above 65535
        raise ConfigurationError(
            f"'{redact(url)}' is not a URL ({exc}); give an absolute https:// address."
        ) from None
    scheme = parts.scheme.lower()
    if scheme == "https" and hostname:
        return
    if scheme == "http" and hostname and is_loopback(hostname):
        return
    if scheme == "http":
        raise InsecureConfigurationError(
            f"Refusing plain http:// to {hostname}: tokens and personal data must travel over "
            "TLS. Use https:// (plain http is allowed only to the loopback sandbox)."
        )
    raise ConfigurationError(f"'{url}' is not an https:// URL; give an absolute https:// address.")
