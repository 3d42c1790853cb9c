"""Bradesco's legacy grant (JWT bearer, RS256) and X-Brad-Signature on every business call."""

from __future__ import annotations

import re
from pathlib import Path

import jwt
import pytest

from bradesco_explore.auth import Client
from bradesco_explore.auth._bradesco import NonceSource, string_to_sign, timestamp
from bradesco_explore.errors import ConfigurationError
from bradesco_explore.identity import Identity

from ._as import FapiServer
from .conftest import api_environment

BOLETO = {"nuCPFCNPJ": "123456789", "filialCPFCNPJ": "0001", "vlNominalTitulo": 1500}


def legacy_client(fapi: FapiServer, ca_bundle: Path, identity: Identity | None) -> Client:
    env = api_environment(fapi, ca_bundle, auth_method="none", grant="jwt_bearer", scopes=())
    return Client(env, identity=identity, client_id="legacy-client")


def test_assertion_grant_and_signed_calls(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity
) -> None:
    with legacy_client(fapi, ca_bundle, client_identity) as client:
        first = client.post(
            "/v1/boleto/registrarBoleto", json=BOLETO, params={"agencia": "3995", "conta": "75557"}
        )
        second = client.post("/v1/boleto/registrarBoleto", json=BOLETO)
    assert first.json() == second.json() == {"status": "registrado"}
    assert fapi.counters["legacy_ok"] == 2, (
        "two calls, two fresh nonces (the server refuses replays)"
    )
    assert fapi.counters[f"token:{'urn:ietf:params:oauth:grant-type:jwt-bearer'}"] == 1
    form = fapi.last_token_form or {}
    assert set(form) == {"grant_type", "assertion"}, "no client_id, no Basic auth"
    header, claims = jwt.get_unverified_header(form["assertion"]), fapi.last_assertion or {}
    assert header == {"alg": "RS256", "typ": "JWT"}
    assert claims["aud"] == fapi.url + "/token" and claims["sub"] == "legacy-client"
    assert claims["exp"] - claims["iat"] == 3600 and claims["ver"] == "1.1"
    assert re.fullmatch(r"\d{13,18}", claims["jti"])


def test_a_retried_call_is_signed_again(
    fapi: FapiServer, ca_bundle: Path, client_identity: Identity
) -> None:
    fapi.server.faults.only, fapi.server.faults.status_503, fapi.server.faults.retry_after = (
        "/v1/boleto",
        1,
        0,
    )
    with legacy_client(fapi, ca_bundle, client_identity) as client:
        response = client.post("/v1/boleto/registrarBoleto", json=BOLETO)
        assert response.ok and response.attempts == 2


def test_legacy_grant_needs_the_registered_certificate(fapi: FapiServer, ca_bundle: Path) -> None:
    with pytest.raises(ConfigurationError, match="identity"):
        legacy_client(fapi, ca_bundle, None)


def test_string_to_sign_is_eight_lines_without_a_trailing_newline() -> None:
    text = string_to_sign(method="post", path="/v1/boleto/registrarBoleto", query="agencia=1&conta=2",
                          body='{"a":1}', access_token="tok", nonce="1700000000000", stamp="2024-01-02T03:04:05-00:00")  # fmt: skip
    assert text.split("\n") == ["POST", "/v1/boleto/registrarBoleto", "agencia=1&conta=2", '{"a":1}', "tok",
                                "1700000000000", "2024-01-02T03:04:05-00:00", "SHA256"]  # fmt: skip
    assert not text.endswith("\n")


def test_nonces_never_repeat_and_timestamps_are_utc() -> None:
    nonces = NonceSource()
    values = [nonces.next(1_700_000_000.0) for _ in range(1000)]
    assert len(set(values)) == 1000 and all(v.isdigit() for v in values)
    assert timestamp(0) == "1970-01-01T00:00:00-00:00"
