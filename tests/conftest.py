"""Shared fixtures: a throwaway CA, identities, and real loopback HTTPS servers."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from bradesco_explore.identity import CertificateAuthority, Identity

from ._servers import EchoServer

# CI explores the same examples on every run (a red build always means a change broke
# something); locally each run explores new ones and remembers failures in .hypothesis/.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def ca() -> CertificateAuthority:
    """The test CA (also the sandbox's kind of CA)."""
    return CertificateAuthority("bradesco-explore test CA")


@pytest.fixture(scope="session")
def other_ca() -> CertificateAuthority:
    """An unrelated CA, for 'wrong CA' cases."""
    return CertificateAuthority("some other CA")


@pytest.fixture(scope="session")
def client_identity(ca: CertificateAuthority) -> Identity:
    """A valid client identity issued by `ca`."""
    return ca.issue_client("analyst")


@pytest.fixture(scope="session")
def ca_bundle(ca: CertificateAuthority, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ca` as a PEM bundle file."""
    return ca.write_bundle(tmp_path_factory.mktemp("ca") / "ca.pem")


@pytest.fixture(scope="session")
def other_ca_bundle(
    other_ca: CertificateAuthority, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """`other_ca` as a PEM bundle file."""
    return other_ca.write_bundle(tmp_path_factory.mktemp("other-ca") / "other-ca.pem")


@pytest.fixture
def echo_server(ca: CertificateAuthority) -> Iterator[EchoServer]:
    """An HTTPS server on 127.0.0.1 that requires a client certificate issued by `ca`."""
    yield from EchoServer.running(ca, client_cert="required")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every logger at DEBUG."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "urllib3.connectionpool", "bradesco_explore", "requests"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog
