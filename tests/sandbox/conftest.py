"""Fixtures for the sandbox tests: running sandboxes and plain `requests` sessions.

These tests talk to the sandbox with `requests` and PyJWT only (never the package's own
client), so the server's behaviour is checked independently of the client that uses it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from bradesco_explore.sandbox import Sandbox

from ._wire import Wire


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[Sandbox]:
    """One sandbox for tests that do not change its switches (clock, consent mode, JWKS)."""
    with Sandbox(seed=7, transactions=3000) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh sandbox for tests that flip switches or expire tokens."""
    with Sandbox(seed=7, transactions=500) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def wire(shared_sandbox: Sandbox) -> Wire:
    """Plain-requests helpers bound to the shared sandbox."""
    return Wire(shared_sandbox)


@pytest.fixture
def fresh_wire(sandbox: Sandbox) -> Wire:
    """Plain-requests helpers bound to the fresh sandbox."""
    return Wire(sandbox)


@pytest.fixture
def no_cert_session(shared_sandbox: Sandbox) -> Iterator[requests.Session]:
    """A session that trusts the sandbox CA but presents no client certificate."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify=
    session.verify = str(shared_sandbox.ca_bundle)
    yield session
    session.close()
