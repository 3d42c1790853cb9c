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


@pytest.fixture(scope="module")
def switchable_sandbox() -> Iterator[Sandbox]:
    """One sandbox per module for the tests that flip switches (reset after each test)."""
    with Sandbox(seed=7, transactions=500) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(switchable_sandbox: Sandbox) -> Iterator[Sandbox]:
    """A sandbox whose switches this test may flip; clock, consent mode, refresh rotation
    and faults are put back afterwards. Tests using it issue their own tokens, since
    `expire_tokens()` expires every token issued before."""
    yield switchable_sandbox
    switchable_sandbox.clock_skew = 0
    switchable_sandbox.consent = "auto"
    switchable_sandbox.rotate_refresh_tokens = False
    switchable_sandbox.faults.clear()


@pytest.fixture(scope="session")
def wire(shared_sandbox: Sandbox) -> Wire:
    """Plain-requests helpers bound to the shared sandbox."""
    return Wire(shared_sandbox)


@pytest.fixture
def fresh_wire(sandbox: Sandbox) -> Wire:
    """Plain-requests helpers (a new session) bound to the switchable sandbox."""
    return Wire(sandbox)


@pytest.fixture
def no_cert_session(shared_sandbox: Sandbox) -> Iterator[requests.Session]:
    """A session that trusts the sandbox CA but presents no client certificate."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify=
    session.verify = str(shared_sandbox.ca_bundle)
    yield session
    session.close()
