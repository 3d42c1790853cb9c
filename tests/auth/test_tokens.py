"""`Token` display and `TokenCache`: margins, unknown expiry, persistence, other kernels."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore._secret import Secret
from bradesco_explore.auth import Client, Token, TokenCache
from bradesco_explore.auth._tokens import cache_key
from bradesco_explore.errors import ConfigurationError
from bradesco_explore.identity import Identity

from ._as import FakeClock, FapiServer
from ._processes import finish, run_python, write_client_files
from .conftest import api_environment
from .test_conformance import run_to_redirect

VALUE = "secret-access-token-value-x9Qz"
KEY = cache_key("https://as.example", "c1", "client_credentials", ("cob.read",))


def token_at(
    clock: FakeClock, lifetime: float | None, value: str = VALUE, **extra: object
) -> Token:
    issued = dt.datetime.fromtimestamp(clock(), dt.UTC)
    expires = issued + dt.timedelta(seconds=lifetime) if lifetime is not None else None
    return Token(Secret(value), scope=("cob.read",), expires_at=expires, issued_at=issued, **extra)  # type: ignore[arg-type]


class TestToken:
    def test_repr_shows_type_scope_countdown_and_last4_only(self) -> None:
        token = token_at(FakeClock(), 298)
        text = repr(token)
        assert text.startswith("Token(Bearer, scope='cob.read', expires in 4m5")
        assert text.endswith("…x9Qz)") and VALUE not in text and VALUE not in str(token)
        assert f"{token}" == text

    def test_html_card_has_a_countdown_and_no_value(self) -> None:
        html = token_at(
            FakeClock(), 120, refresh_token=Secret("refresh-token-value-abcd")
        )._repr_html_()
        assert "bx-countdown" in html and "data-expires-at" in html
        assert VALUE not in html and "refresh-token-value-abcd" not in html

    def test_unknown_and_past_expiry_read_plainly(self) -> None:
        assert "expiry unknown" in repr(token_at(FakeClock(), None))
        assert "expired" in repr(token_at(FakeClock(now=0), 10))

    def test_cannot_be_pickled(self) -> None:
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(token_at(FakeClock(), 60))


class TestCacheFreshness:
    def test_refresh_margin_applies_and_is_capped_at_half_the_lifetime(self) -> None:
        clock = FakeClock(now=1000)
        cache = TokenCache(clock=clock)
        long, short = token_at(clock, 600), token_at(clock, 60)
        clock.advance(539)
        assert cache.usable(long, margin=60)
        clock.advance(1)
        assert not cache.usable(long, margin=60)
        clock.now = 1000 + 29
        assert cache.usable(short, margin=60), (
            "a 60 s token with a 60 s margin is still used for 30 s"
        )
        clock.advance(1)
        assert not cache.usable(short, margin=60)

    def test_unknown_expiry_is_not_forever(self) -> None:
        clock = FakeClock(now=0)
        cache = TokenCache(clock=clock, unknown_lifetime=300)
        token = token_at(clock, None)
        clock.advance(299)
        assert cache.usable(token, margin=60)
        clock.advance(1)
        assert not cache.usable(token, margin=60)

    def test_obtain_fetches_once_and_a_rejected_token_is_replaced(self) -> None:
        clock = FakeClock()
        cache = TokenCache(clock=clock)
        fetched: list[Token] = []

        def fetch(current: Token | None) -> Token:
            fetched.append(token_at(clock, 300, value=f"token-number-{len(fetched)}"))
            return fetched[-1]

        first, was_fetched = cache.obtain(KEY, fetch, margin=60)
        again, _ = cache.obtain(KEY, fetch, margin=60)
        assert was_fetched and again is first and len(fetched) == 1
        replaced, _ = cache.obtain(KEY, fetch, margin=60, reject=first)
        assert not replaced.same_as(first) and len(fetched) == 2


class TestCacheFile:
    def test_tokens_survive_in_a_0600_file(self, tmp_path: Path) -> None:
        path = tmp_path / "tokens.json"
        clock = FakeClock()
        TokenCache(path, clock=clock).put(
            KEY, token_at(clock, 300, refresh_token=Secret("refresh-value-0001"))
        )
        assert path.stat().st_mode & 0o777 == 0o600
        again = TokenCache(path, clock=clock).get(KEY)
        assert again is not None and again.access_token.reveal() == VALUE
        assert again.refresh_token == Secret("refresh-value-0001") and again.cache_key is None
        assert "tokens=" not in repr(TokenCache(path)) and str(path) in repr(TokenCache(path))

    def test_a_file_readable_by_others_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "tokens.json"
        clock = FakeClock()
        TokenCache(path, clock=clock).put(KEY, token_at(clock, 300))
        os.chmod(path, 0o644)
        with pytest.raises(ConfigurationError, match="chmod 600"):
            TokenCache(path).get(KEY)

    def test_an_unreadable_file_starts_empty(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        path = tmp_path / "tokens.json"
        path.write_text("{not json")
        os.chmod(path, 0o600)
        assert TokenCache(path).get(KEY) is None
        assert "unreadable" in caplog.text

    def test_a_new_kernel_uses_the_rotated_refresh_token(
        self, fapi: FapiServer, make_client: Callable[..., Client], tmp_path: Path
    ) -> None:
        path = tmp_path / "tokens.json"
        first = make_client(cache_file=path)
        token = first.finish(*run_to_redirect(first))
        rotated = first.refresh(token)
        stored = json.loads(path.read_text())["tokens"]
        assert [t["refresh_token"] for t in stored.values()] == [rotated.refresh_token.reveal()]  # type: ignore[union-attr]
        second = make_client(cache_file=path)  # another kernel: no finish() of its own
        again = second.refresh(second.token())
        assert fapi.counters["refreshes"] == 2, "the second kernel used the rotated refresh token"
        assert second.get("/accounts", token=again).ok


def test_kernels_sharing_a_cache_file_make_one_token_request(
    fapi: FapiServer,
    ca_bundle: Path,
    client_identity: Identity,
    client_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    files = write_client_files(tmp_path, client_identity, client_key, ca_bundle)
    cache = tmp_path / "shared-tokens.json"
    code = f"""
        from bradesco_explore.auth import Client, Environment, Family
        from bradesco_explore.identity import Identity
        family = Family("api", {fapi.url!r}, token_url={fapi.url + "/token"!r}, auth_method="client_secret_post", issuer={fapi.issuer!r})
        env = Environment("test", {{"api": family}}, ca_bundle={str(files.ca_bundle)!r})
        identity = Identity.load({str(files.cert)!r}, key={str(files.key)!r})
        with Client(env, identity=identity, cache_file={str(cache)!r}) as client:
            print(repr(client.token(["cob.read"])))
    """
    secrets = {
        "BRADESCO_CLIENT_ID": "post-client",
        "BRADESCO_CLIENT_SECRET": "post-secret-value-123",
    }
    processes = [run_python(code, env=secrets) for _ in range(3)]
    outputs = [finish(p) for p in processes]
    assert fapi.counters["token"] == 1, "three kernels, one token request"
    assert len(set(outputs)) == 1 and outputs[0].startswith("Token(Bearer")


def test_client_credentials_with_an_unknown_lifetime_is_refetched_later(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity
) -> None:
    clock = FakeClock()
    fapi.hooks.mutate_token_response = lambda body, grant: body.pop("expires_in") and None  # type: ignore[func-returns-value]
    env = api_environment(fapi, ca_bundle, auth_method="client_secret_post")
    with Client(
        env,
        identity=client_identity,
        client_id="post-client",
        client_secret="post-secret-value-123",
        clock=clock,
    ) as client:
        first = client.token()
        assert first.expires_at is None and client.token() is first
        clock.advance(301)
        assert not client.token().same_as(first)
