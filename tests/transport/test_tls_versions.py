"""TLS 1.2 is the floor: a server that offers only TLS 1.1 or 1.0 fails the handshake.

The old-protocol servers are real loopback TLS servers whose context is opened down to the
old version (and OpenSSL's security level 0, which TLS < 1.2 needs in OpenSSL 3). Before the
client is tried, a permissive probe client checks that the server really speaks that version;
where the local OpenSSL cannot offer it at all, that case is skipped and says so.
"""

from __future__ import annotations

import socket
import ssl
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from bradesco_explore.errors import TLSHandshakeError
from bradesco_explore.identity import CertificateAuthority, Identity
from bradesco_explore.transport import Session, build_ssl_context

from .._servers import EchoServer


def _version(name: str) -> ssl.TLSVersion:
    with warnings.catch_warnings():  # TLSv1 and TLSv1_1 are deprecated names, on purpose here
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(ssl.TLSVersion, name)  # type: ignore[no-any-return]


def _offer_only(server: EchoServer, version: ssl.TLSVersion) -> None:
    context = server.server.context
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_2:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")


def _negotiated(server: EchoServer, ca: CertificateAuthority, version: ssl.TLSVersion) -> str:
    """The version a permissive probe client gets from `server` ('' if no handshake)."""
    probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        probe.minimum_version = version
    probe.set_ciphers("DEFAULT:@SECLEVEL=0")
    probe.load_verify_locations(cadata=ca.certificate_pem.decode("ascii"))
    host, port = server.server.server_address[:2]
    try:
        with (
            socket.create_connection((str(host), port), timeout=5) as raw,
            probe.wrap_socket(raw, server_hostname=str(host)) as tls,
        ):
            return tls.version() or ""
    except (ssl.SSLError, OSError):
        return ""


@pytest.fixture
def server(ca: CertificateAuthority) -> Iterator[EchoServer]:
    """An echo server that does not ask for a client certificate (its TLS versions are set
    by each test)."""
    yield from EchoServer.running(ca, client_cert="none")


def test_the_client_context_refuses_anything_below_tls_1_2(
    client_identity: Identity, ca_bundle: Path
) -> None:
    context = build_ssl_context(client_identity, ca_bundle=ca_bundle)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    with Session(client_identity, ca_bundle=ca_bundle) as s:
        shared = s._http.adapters["https://"]._context  # type: ignore[attr-defined]
    assert shared.minimum_version == ssl.TLSVersion.TLSv1_2


@pytest.mark.parametrize(("name", "label"), [("TLSv1_1", "TLSv1.1"), ("TLSv1", "TLSv1")])
def test_a_server_offering_only_an_old_version_fails_the_handshake(
    server: EchoServer, ca: CertificateAuthority, ca_bundle: Path, name: str, label: str
) -> None:
    version = _version(name)
    _offer_only(server, version)
    if _negotiated(server, ca, version) != label:
        pytest.skip(f"the local OpenSSL ({ssl.OPENSSL_VERSION}) cannot offer {label} as a server")
    with Session(None, ca_bundle=ca_bundle) as s, pytest.raises(TLSHandshakeError) as info:
        s.get(server.url + "/echo")
    assert "TLS 1.2 or newer" in str(info.value)
    assert server.hits["/echo"] == 0


def test_a_tls_1_2_only_server_works(
    server: EchoServer, ca: CertificateAuthority, ca_bundle: Path
) -> None:
    _offer_only(server, ssl.TLSVersion.TLSv1_2)
    assert _negotiated(server, ca, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    with Session(None, ca_bundle=ca_bundle) as s:
        assert s.get(server.url + "/echo").ok


def test_a_tls_1_3_only_server_works(
    server: EchoServer, ca: CertificateAuthority, ca_bundle: Path
) -> None:
    _offer_only(server, ssl.TLSVersion.TLSv1_3)
    with Session(None, ca_bundle=ca_bundle) as s:
        assert s.get(server.url + "/echo").ok
