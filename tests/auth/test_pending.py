"""`PendingAuthorization`: serialisable, redacted, finished in a fresh process."""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.auth import Client, PendingAuthorization
from bradesco_explore.errors import ConfigurationError, ServerRejectedError
from bradesco_explore.identity import Identity

from ._as import FapiServer
from ._processes import finish, run_python, write_client_files
from .conftest import REDIRECT


def test_saved_0600_and_reloaded_identically(
    make_client: Callable[..., Client], tmp_path: Path
) -> None:
    pending = make_client().authorize(scopes=["openid", "accounts"])
    path = pending.save(tmp_path / "pending.json")
    assert path.stat().st_mode & 0o777 == 0o600
    again = PendingAuthorization.load(path)
    assert again.to_json() == pending.to_json()
    assert 43 <= len(again.code_verifier.reveal()) <= 128


def test_repr_and_html_hide_state_nonce_and_verifier(make_client: Callable[..., Client]) -> None:
    pending = make_client().authorize(scopes=["openid", "accounts"])
    shown = repr(pending) + pending._repr_html_()
    for secret in (pending.state, pending.nonce, pending.code_verifier):
        assert secret.reveal() not in shown
    assert "pending.url" in pending._repr_html_() and pending.url not in pending._repr_html_()
    assert "link valid" in repr(pending)
    with pytest.raises(TypeError):
        pickle.dumps(pending)


def test_a_file_readable_by_others_or_not_ours_is_refused(
    make_client: Callable[..., Client], tmp_path: Path
) -> None:
    path = make_client().authorize(scopes=["openid", "accounts"]).save(tmp_path / "p.json")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        PendingAuthorization.load(path)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"version": 99}))
    os.chmod(other, 0o600)
    with pytest.raises(ConfigurationError, match="start again"):
        PendingAuthorization.load(other)


def test_finished_in_a_fresh_process_after_a_restart(
    fapi: FapiServer,
    make_client: Callable[..., Client],
    ca_bundle: Path,
    client_identity: Identity,
    client_key: rsa.RSAPrivateKey,
    tmp_path: Path,
) -> None:
    pending = make_client().authorize(
        scopes=["openid", "accounts"], consent="urn:bancoex:C1DD33123"
    )
    saved = pending.save(tmp_path / "pending.json")
    files = write_client_files(tmp_path, client_identity, client_key, ca_bundle)
    code = f"""
        from bradesco_explore.auth import Client, Environment, PendingAuthorization
        from bradesco_explore.identity import Identity
        env = Environment.discover({fapi.discovery_url!r}, ca_bundle={str(files.ca_bundle)!r})
        identity = Identity.load({str(files.cert)!r}, key={str(files.key)!r})
        with Client(env, identity=identity, client_id="fapi-client", signing_key={str(files.signing_key)!r},
                    signing_kid="client-1", redirect_uri={REDIRECT!r}) as client:
            pending = PendingAuthorization.load({str(saved)!r})
            token = client.finish(pending, client.follow(pending))
            print(repr(token))
            print(client.get("/accounts").json()["data"][0]["accountId"])
    """
    out = finish(run_python(code))
    assert "Token(Bearer, scope='openid accounts consent:urn:bancoex:C1DD33123'" in out
    assert out.strip().endswith("acc-1")
    assert fapi.calls("/token") == 1 and fapi.calls("/par") == 1
    assert pending.code_verifier.reveal() not in out


def test_finishing_with_another_client_is_refused(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    pending = make_client().authorize(scopes=["openid", "accounts"])
    other = make_client(client_id="mtls-client", auth="tls_client_auth")
    with pytest.raises(ConfigurationError, match="belongs to client 'fapi-client'"):
        other.finish(pending, other.follow(pending))
    assert fapi.calls("/token") == 0


def test_follow_reports_a_server_that_needs_a_person(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    fapi.settings.auto_consent = False
    client = make_client()
    pending = client.authorize(scopes=["openid", "accounts"])
    with pytest.raises(ServerRejectedError, match="a person must consent") as info:
        client.follow(pending)
    assert getattr(info.value, "status", None) == 200


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"scopes": ["accounts"]}, "openid"),
        ({"scopes": ["openid"], "response_mode": "form_post"}, "not supported"),
    ],
)
def test_authorize_refuses_what_fapi_forbids(
    make_client: Callable[..., Client], options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_client().authorize(**options)  # type: ignore[arg-type]


def test_authorize_needs_a_redirect_uri(
    make_client: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRADESCO_REDIRECT_URI", raising=False)
    with pytest.raises(ConfigurationError, match="redirect URI"):
        make_client(redirect_uri=None).authorize(scopes=["openid"])


def test_plain_oauth_with_jarm_needs_no_openid(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    client = make_client()
    pending = client.authorize(scopes=["accounts"], response_mode="jwt")
    token = client.finish(pending, client.follow(pending))
    assert token.id_token_claims is None and token.scope == ("accounts",)
