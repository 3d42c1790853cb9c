"""Many threads, one client: one token request per expiry, never a call without a valid token.

Client and server share a clock the test moves by hand, so expiries happen exactly when the
test says and the counts are deterministic (no timing assertions).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore._secret import Secret
from bradesco_explore.auth import Client, Token
from bradesco_explore.auth._tokens import cache_key
from bradesco_explore.identity import CertificateAuthority, Identity

from ._as import FakeClock, FapiServer, Issued, Registration, SigningKey, start_server
from .conftest import api_environment

THREADS = 32
TICKS = 30
TICK_SECONDS = 10.0
LIFETIME = 60
MARGIN = 10.0


@pytest.fixture
def clocked(
    ca: CertificateAuthority, server_identity: Identity, as_key: rsa.RSAPrivateKey
) -> Iterator[tuple[FapiServer, FakeClock]]:
    clock = FakeClock(now=float(int(time.time())))  # whole seconds: datetimes hold them exactly
    server = start_server(ca, server_identity, [SigningKey("as-1", as_key)], clock=clock)
    server.register(
        Registration("post-client", "client_secret_post", secret="post-secret-value-123")
    )
    server.settings.token_lifetime = LIFETIME
    yield server, clock
    server.stop()


def _expected_token_requests() -> int:
    refresh_every = LIFETIME - MARGIN  # refreshed MARGIN seconds ahead of expiry
    last = (TICKS - 1) * TICK_SECONDS
    return 1 + int(last // refresh_every)


def test_32_threads_across_several_expiries(
    clocked: tuple[FapiServer, FakeClock], ca_bundle: Path, client_identity: Identity
) -> None:
    server, clock = clocked
    env = api_environment(server, ca_bundle, auth_method="client_secret_post")
    client = Client(env, identity=client_identity, client_id="post-client", client_secret="post-secret-value-123",
                    refresh_margin=MARGIN, clock=clock)  # fmt: skip
    start, done = threading.Barrier(THREADS + 1), threading.Barrier(THREADS + 1)
    failures: list[BaseException] = []

    def worker() -> None:
        for _ in range(TICKS):
            start.wait()
            try:
                client.get("/accounts")
            except BaseException as exc:  # collected and asserted below
                failures.append(exc)
            done.wait()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for _ in range(TICKS):
        start.wait()  # every thread calls at once: at refresh ticks, all 32 find the token stale
        done.wait()
        clock.advance(TICK_SECONDS)
    for thread in threads:
        thread.join()
    client.close()

    assert failures == []
    assert server.counters["token"] == _expected_token_requests() == 6
    assert client.stats["token_requests"] == 6
    assert server.problems == [], "a request went out without a valid token"
    assert server.counters["resource_ok"] == THREADS * TICKS
    assert client.stats.get("reactive_refreshes", 0) == 0


def test_threads_share_one_refresh_of_a_user_token(
    clocked: tuple[FapiServer, FakeClock], ca_bundle: Path, client_identity: Identity
) -> None:
    """Rotating refresh tokens: N concurrent refreshes would burn N-1; here exactly one happens."""
    server, clock = clocked
    env = api_environment(server, ca_bundle, auth_method="client_secret_post")
    client = Client(
        env,
        identity=client_identity,
        client_id="post-client",
        client_secret="post-secret-value-123",
        clock=clock,
    )
    seeded = _seed_user_token(server, client, clock)
    clock.advance(LIFETIME)
    barrier = threading.Barrier(THREADS)
    results: list[Token] = []

    def refresh() -> None:
        barrier.wait()
        results.append(client.refresh(seeded))

    threads = [threading.Thread(target=refresh) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert server.counters["refreshes"] == 1
    assert len(results) == THREADS and all(r is results[0] for r in results)
    assert results[0].refresh_token is not None and results[0].refresh_token != seeded.refresh_token


def _seed_user_token(server: FapiServer, client: Client, clock: FakeClock) -> Token:
    """A refreshable user token known to the server, as `finish` would have stored it."""
    server._refresh["rt-seeded-token-0001"] = Issued(
        "post-client", "accounts", clock() + 86400, None, 0, "authorization_code"
    )
    now = dt.datetime.fromtimestamp(clock(), dt.UTC)
    key = cache_key(server.issuer, "post-client", "authorization_code", ("accounts",))
    token = Token(Secret("at-seeded-token-0001"), scope=("accounts",), expires_at=now + dt.timedelta(seconds=LIFETIME),
                  refresh_token=Secret("rt-seeded-token-0001"), grant="authorization_code", issued_at=now, cache_key=key)  # fmt: skip
    client.cache.put(key, token)
    return token
