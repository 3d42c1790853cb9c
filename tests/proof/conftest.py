"""Shared pieces of the proof tests: one sandbox per module, clients built only from it.

Every client here is configured from `sb.environment`, `sb.identity` and `sb.credentials`,
as a notebook would be; a test that needs to watch the transport (its timeout, the waits
between retries) passes its own `Session`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bradesco_explore.apis import openfinance
from bradesco_explore.auth import Client, Token
from bradesco_explore.sandbox import Sandbox
from bradesco_explore.transport import Exchange, Session


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """One sandbox per test module (about 0.3 s to start)."""
    with Sandbox(seed=5, transactions=300) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _clean_sandbox(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test starts with no faults armed, no clock skew and zeroed counters."""
    if "sb" not in request.fixturenames:
        yield
        return
    sandbox: Sandbox = request.getfixturevalue("sb")
    sandbox.faults.clear()
    sandbox.clock_skew = 0
    sandbox.reset_stats()
    yield
    sandbox.faults.clear()
    sandbox.clock_skew = 0


def client_for(
    sb: Sandbox,
    family: str,
    *,
    timeout: float | tuple[float, float] = (5.0, 30.0),
    sleep: Callable[[float], None] = time.sleep,
    **options: Any,
) -> Client:
    """A client for `family` of the sandbox, over its own session."""
    session = Session(sb.identity, ca_bundle=sb.environment.ca_bundle, timeout=timeout, sleep=sleep)
    return Client(
        sb.environment,
        family,
        identity=sb.identity,
        credentials=sb.credentials,
        session=session,
        **options,
    )


def authorize_accounts(
    sb: Sandbox, client: Client, *, before_finish: Callable[[], Any] | None = None
) -> Token:
    """The whole Open Finance journey up to the user's token: consent, PAR, redirect, finish."""
    consent = openfinance.create_consent(client, cpf=sb.customer.cpf).json()["data"]["consentId"]
    pending = client.authorize(scopes=["openid", "accounts"], consent=consent)
    redirect = client.follow(pending)
    if before_finish is not None:
        before_finish()
    return client.finish(pending, redirect)


def attempts(client: Client, path: str) -> list[Exchange]:
    """The exchanges of `client` whose URL path ends with `path`, oldest first."""
    return [e for e in client.log if e.url.split("?", 1)[0].endswith(path)]


def wait_until(condition: Callable[[], bool], *, seconds: float = 10.0) -> bool:
    """Poll `condition` until it holds (for server work that finishes after the client gave up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
