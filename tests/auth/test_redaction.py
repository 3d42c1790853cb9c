"""No secret in DEBUG logs, reprs, HTML views, the exchange log or exception text, for any flow."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.auth import Client
from bradesco_explore.errors import BradescoExploreError
from bradesco_explore.identity import Identity

from ._as import FapiServer
from .conftest import api_environment
from .test_conformance import front


def surfaces(client: Client, *objects: object, errors: list[BaseException]) -> str:
    """Everything a user could see: reprs, HTML, the exchange log, exception messages."""
    shown = [repr(o) for o in objects] + [
        o._repr_html_() for o in objects if hasattr(o, "_repr_html_")
    ]
    shown += [
        repr(client),
        client._repr_html_(),
        repr(client.credentials),
        client.log._repr_html_(),
    ]
    shown += [str(e.as_row()) for e in client.log]
    shown += [f"{type(e).__name__}: {e}" for e in errors]
    return "\n".join(shown)


def assert_hidden(secrets: list[str], text: str) -> None:
    leaked = [s[:6] + "…" for s in secrets if s and s in text]
    assert not leaked, f"secrets visible: {leaked}"


def test_authorization_code_flow_with_refresh_and_failures(
    fapi: FapiServer, make_client: Callable[..., Client], debug_logs: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    pending = client.authorize(scopes=["openid", "accounts"])
    redirect = client.follow(pending)
    token = client.finish(pending, redirect)
    rotated = client.refresh(token)
    client.get("/accounts")
    errors: list[BaseException] = []
    fapi.hooks.mutate_id_token = front(lambda c, h: c.__setitem__("nonce", "other-nonce-value"))
    bad = client.authorize(scopes=["openid", "accounts"])
    bad_redirect = client.follow(bad)
    for attempt in (
        lambda: client.finish(bad, bad_redirect),
        lambda: client.finish(pending, redirect),
    ):
        try:
            attempt()
        except BradescoExploreError as exc:
            errors.append(exc)
    assert len(errors) == 2
    response = dict(parse_qsl(urlsplit(redirect).fragment))
    secrets = [
        token.access_token.reveal(), token.refresh_token.reveal(),  # type: ignore[union-attr]
        rotated.access_token.reveal(), rotated.refresh_token.reveal(),  # type: ignore[union-attr]
        token.id_token.reveal(),  # type: ignore[union-attr]
        response["code"], response["id_token"],
        pending.code_verifier.reveal(), pending.state.reveal(), pending.nonce.reveal(),
        (fapi.last_token_form or {})["client_assertion"], *fapi.raw_request_objects,
    ]  # fmt: skip
    assert_hidden(
        secrets, debug_logs.text + surfaces(client, token, rotated, pending, errors=errors)
    )


def test_request_object_by_value_never_reaches_the_logs(
    fapi: FapiServer, make_client: Callable[..., Client], debug_logs: pytest.LogCaptureFixture
) -> None:
    fapi.settings.par = False
    client = make_client()
    pending = client.authorize(scopes=["openid", "accounts"])
    token = client.finish(pending, client.follow(pending))
    assert "/authorize" in debug_logs.text, "urllib3 logged the authorization request"
    assert_hidden(
        [*fapi.raw_request_objects, token.access_token.reveal()],
        debug_logs.text + surfaces(client, pending, errors=[]),
    )


@pytest.mark.parametrize(
    ("method", "client_id", "secret"),
    [
        ("client_secret_basic", "basic-client", "basic secret/with:odd+chars"),
        ("client_secret_post", "post-client", "post-secret-value-123"),
    ],
)
def test_client_secrets_and_tokens(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity, debug_logs: pytest.LogCaptureFixture,
    method: str, client_id: str, secret: str,
) -> None:  # fmt: skip
    env = api_environment(fapi, ca_bundle, auth_method=method)
    errors: list[BaseException] = []
    with Client(env, identity=client_identity, client_id=client_id, client_secret=secret) as client:
        token = client.token()
        client.get("/accounts")
        fapi.clients[client_id].secret = "rotated-on-the-server"
        try:
            client.token(force=True)
        except BradescoExploreError as exc:
            errors.append(exc)
        assert errors, "the refused secret raised"
        assert_hidden(
            [secret, token.access_token.reveal()],
            debug_logs.text + surfaces(client, token, errors=errors),
        )


def test_legacy_assertions_and_signatures(
    fapi: FapiServer,
    ca_bundle: Path,
    client_identity: Identity,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    env = api_environment(fapi, ca_bundle, auth_method="none", grant="jwt_bearer", scopes=())
    with Client(env, identity=client_identity, client_id="legacy-client") as client:
        client.post("/v1/boleto/registrarBoleto", json={"a": 1})
        token = client.token()
        assertion = (fapi.last_token_form or {})["assertion"]
        assert_hidden(
            [assertion, token.access_token.reveal()],
            debug_logs.text + surfaces(client, token, errors=[]),
        )


def test_private_key_jwt_keys_and_assertions(
    fapi: FapiServer,
    ca_bundle: Path,
    client_identity: Identity,
    client_key: rsa.RSAPrivateKey,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    from bradesco_explore.identity import key_to_pem

    env = api_environment(fapi, ca_bundle, auth_method="private_key_jwt")
    with Client(
        env, identity=client_identity, client_id="fapi-client", signing_key=client_key
    ) as client:
        token = client.token()
        key_body = key_to_pem(client_key).decode().splitlines()[1]
        text = debug_logs.text + surfaces(client, token, errors=[])
        assert_hidden([(fapi.last_token_form or {})["client_assertion"], key_body], text)
