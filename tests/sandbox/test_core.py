"""The sandbox as a whole: listeners, files, environment, faults, counters, secrets, instances."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
import requests

from bradesco_explore.auth import Environment
from bradesco_explore.errors import ConfigurationError
from bradesco_explore.sandbox import Sandbox
from bradesco_explore.sandbox._documents import is_valid_cnpj, is_valid_cpf

from ._wire import Wire, fapi_headers, identity_files


def test_the_mtls_port_refuses_a_handshake_without_a_client_certificate(
    shared_sandbox: Sandbox, no_cert_session: requests.Session
) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        no_cert_session.post(
            f"{shared_sandbox.mtls_url}/auth/server/oauth/token",
            data={"grant_type": "client_credentials"},
        )


def test_the_mtls_port_refuses_a_certificate_from_another_ca(
    shared_sandbox: Sandbox, tmp_path: Path
) -> None:
    from bradesco_explore.identity import CertificateAuthority

    stranger = CertificateAuthority("not the sandbox").issue_client("stranger")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{shared_sandbox.mtls_url}/v2/cob", verify=str(shared_sandbox.ca_bundle),
                     cert=identity_files(stranger, tmp_path), timeout=10)  # fmt: skip


def test_the_public_port_serves_discovery_without_a_client_certificate(
    shared_sandbox: Sandbox, no_cert_session: requests.Session
) -> None:
    reply = no_cert_session.get(shared_sandbox.discovery_url)
    assert reply.status_code == 200
    assert reply.json()["issuer"] == shared_sandbox.issuer


def test_an_unregistered_certificate_from_the_sandbox_ca_is_refused_at_every_token_endpoint(
    shared_sandbox: Sandbox, wire: Wire, tmp_path: Path
) -> None:
    stranger = wire.with_cert(
        identity_files(shared_sandbox.ca.issue_client("unregistered"), tmp_path)
    )
    pix = stranger.http.post(f"{stranger.mtls}/auth/server/oauth/token", data={"grant_type": "client_credentials"},
                             auth=(wire.client_id, wire.secret))  # fmt: skip
    portal = stranger.http.post(f"{stranger.mtls}/auth/server-mtls/v2/token", data={
        "grant_type": "client_credentials", "client_id": wire.client_id, "client_secret": wire.secret})  # fmt: skip
    of = stranger.http.post(
        wire.token_url, data={"grant_type": "client_credentials"} | wire.client_auth()
    )
    for reply in (pix, portal, of):
        assert reply.status_code == 401
        assert reply.json()["error"] == "invalid_client"
        assert "not registered" in reply.json()["error_description"]


def test_files_are_private_and_the_env_file_names_every_setting(shared_sandbox: Sandbox) -> None:
    folder = shared_sandbox.directory
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("client.key", "signing.key", ".env"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600, name
    env = dict(
        line.split("=", 1) for line in (folder / ".env").read_text().splitlines() if "=" in line
    )
    assert env["BRADESCO_CLIENT_ID"] == shared_sandbox.credentials.client_id
    assert Path(env["BRADESCO_CA_BUNDLE"]) == shared_sandbox.ca_bundle
    assert env["BRADESCO_DISCOVERY_URL"] == shared_sandbox.discovery_url
    assert Path(env["BRADESCO_CERT"]).read_bytes() == shared_sandbox.identity.certificate_pem


def test_write_env_file_writes_a_private_copy(shared_sandbox: Sandbox, tmp_path: Path) -> None:
    target = shared_sandbox.write_env_file(tmp_path / "sandbox.env")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert f"BRADESCO_ISSUER={shared_sandbox.issuer}" in target.read_text()


def test_the_environment_describes_four_families_on_loopback(shared_sandbox: Sandbox) -> None:
    env = shared_sandbox.environment
    assert isinstance(env, Environment)
    assert set(env.families) == {"portal", "legacy", "pix", "openfinance"}
    assert env.default_family == "pix"
    assert env.ca_bundle == shared_sandbox.ca_bundle
    of = env.family("openfinance")
    assert of.issuer == shared_sandbox.issuer and of.discovery_url == shared_sandbox.discovery_url
    assert "lotecobv.read" not in env.family("pix").scopes  # only what the sandbox serves
    assert all(f.base_url.startswith("https://127.0.0.1:") for f in env.families.values())


def test_identity_and_credentials_are_the_registered_client(shared_sandbox: Sandbox) -> None:
    identity, credentials = shared_sandbox.identity, shared_sandbox.credentials
    assert identity.ok and identity.key_description == "RSA 2048"
    assert credentials.signing_key is not None and credentials.signing_kid
    assert credentials.client_secret is not None
    assert credentials.client_secret.reveal() not in repr(credentials)
    assert credentials.client_secret.reveal() not in repr(shared_sandbox)


def test_the_customer_has_valid_documents(shared_sandbox: Sandbox) -> None:
    assert is_valid_cpf(shared_sandbox.customer.cpf)
    assert is_valid_cnpj(shared_sandbox.customer.cnpj)
    assert is_valid_cnpj(shared_sandbox.beneficiary.cnpj)


def test_two_sandboxes_run_side_by_side_and_do_not_share_tokens(
    shared_sandbox: Sandbox, wire: Wire
) -> None:
    with Sandbox(seed=7) as other:
        assert {other.public_url, other.mtls_url}.isdisjoint(
            {shared_sandbox.public_url, shared_sandbox.mtls_url}
        )
        assert other.directory != shared_sandbox.directory
        other_wire = Wire(other)
        token = wire.pix_token()
        cob_list = {"inicio": "2024-10-01T00:00:00Z", "fim": "2024-10-04T00:00:00Z"}
        assert other_wire.http.get(f"{other.mtls_url}/v2/cob", params=cob_list,
                                   headers={"Authorization": f"Bearer {other_wire.pix_token()}"}).status_code == 200  # fmt: skip
        foreign = other_wire.http.get(
            f"{other.mtls_url}/v2/cob",
            params=cob_list,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert foreign.status_code == 401


def test_stop_removes_the_directory_and_closes_the_ports(tmp_path: Path) -> None:
    sandbox = Sandbox().start()
    wire = Wire(sandbox)
    token = wire.pix_token()  # leaves a kept-alive connection open
    folder, url = sandbox.directory, sandbox.mtls_url
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    sandbox.stop()
    assert not folder.exists()
    wire.http.verify, wire.http.cert = (
        str(tmp_path / "ca.pem"),
        (str(tmp_path / "client.pem"), str(tmp_path / "client.key")),
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        wire.http.get(f"{url}/v2/cob", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    with pytest.raises(ConfigurationError, match="not running"):
        sandbox.environment  # noqa: B018
    sandbox.stop()  # idempotent


def test_bad_settings_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ConfigurationError, match="consent"):
        Sandbox(consent="sometimes")
    with pytest.raises(ConfigurationError, match="token_lifetime"):
        Sandbox(token_lifetime=0)


def test_startup_is_measured(shared_sandbox: Sandbox) -> None:
    assert shared_sandbox.startup_seconds is not None and shared_sandbox.startup_seconds > 0


def test_injected_429_uses_the_family_envelope_and_retry_after(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    token = fresh_wire.pix_token()
    sandbox.faults.status_429, sandbox.faults.retry_after, sandbox.faults.only = 1, 2, "/v2/"
    reply = fresh_wire.http.get(
        f"{sandbox.mtls_url}/v2/cob/{'a' * 30}", headers={"Authorization": f"Bearer {token}"}
    )
    assert reply.status_code == 429 and reply.headers["Retry-After"] == "2"
    assert reply.json()["type"].startswith("https://pix.bcb.gov.br/api/v2/error/")
    again = fresh_wire.http.get(
        f"{sandbox.mtls_url}/v2/cob/{'a' * 30}", headers={"Authorization": f"Bearer {token}"}
    )
    assert again.status_code == 404  # the fault was used up


def test_injected_529_on_open_finance_is_an_ofb_error_with_the_interaction_id(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    sandbox.faults.status_529, sandbox.faults.only = 1, "/open-banking/accounts"
    headers = fapi_headers("whatever")
    reply = fresh_wire.http.get(f"{fresh_wire.api}/accounts/v2/accounts", headers=headers)
    assert reply.status_code == 529
    assert reply.json()["errors"][0]["code"] == "SITE_IS_OVERLOADED"
    assert reply.headers["x-fapi-interaction-id"] == headers["x-fapi-interaction-id"]


def test_injected_drop_closes_the_connection_once(sandbox: Sandbox, fresh_wire: Wire) -> None:
    token = fresh_wire.pix_token()
    sandbox.faults.drop = 1
    with pytest.raises(requests.exceptions.ConnectionError):
        fresh_wire.http.get(
            f"{sandbox.mtls_url}/v2/webhook", headers={"Authorization": f"Bearer {token}"}
        )
    assert (
        fresh_wire.http.get(
            f"{sandbox.mtls_url}/v2/webhook", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )


def test_injected_latency_still_answers(sandbox: Sandbox) -> None:
    sandbox.faults.latency = 0.05
    assert (
        requests.get(sandbox.discovery_url, verify=str(sandbox.ca_bundle), timeout=10).status_code
        == 200
    )
    sandbox.faults.clear()


def test_stats_count_token_requests_per_family_and_grant_and_calls_per_endpoint(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    sandbox.reset_stats()
    fresh_wire.pix_token()
    fresh_wire.pix_token()
    fresh_wire.http.post(
        f"{sandbox.mtls_url}/auth/server/oauth/token", data={"grant_type": "client_credentials"}
    )  # refused
    stats = sandbox.stats
    assert stats.token_requests["pix", "client_credentials"] == 3
    assert stats.tokens_issued["pix", "client_credentials"] == 2
    assert stats.calls["POST /auth/server/oauth/token"] == 3
    assert stats.total_token_requests == 3 and stats.calls_to("/auth/server/oauth") == 3


def test_known_secrets_cover_what_the_sandbox_issued_and_holds(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    token = fresh_wire.pix_token()
    flow = fresh_wire.flow()
    secrets = set(sandbox.known_secrets())
    assert {
        token,
        flow.access,
        flow.body["refresh_token"],
        flow.body["id_token"],
        flow.front["code"],
    } <= secrets
    assert flow.pending.request_uri in secrets
    assert (
        sandbox.credentials.client_secret is not None
        and sandbox.credentials.client_secret.reveal() in secrets
    )
    assert (sandbox.directory / "client.key").read_text() in secrets
    assert (sandbox.directory / "signing.key").read_text() in secrets


def test_the_sandbox_never_logs_a_secret(
    sandbox: Sandbox, fresh_wire: Wire, debug_logs: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("bradesco_explore.sandbox").setLevel(logging.DEBUG)
    fresh_wire.pix_token()
    flow = fresh_wire.flow()
    fresh_wire.get("/accounts/v2/accounts", flow.access)
    fresh_wire.authorize(flow.pending.request_uri)  # a refused reuse is logged too
    text = "\n".join(
        r.getMessage() for r in debug_logs.records if r.name.startswith("bradesco_explore.sandbox")
    )
    assert "GET /open-banking/auth/authorize" in text  # the access log ran
    leaked = [s for s in sandbox.known_secrets() if s in text]
    assert leaked == []


def test_a_second_certificate_can_be_registered(
    sandbox: Sandbox, fresh_wire: Wire, tmp_path: Path
) -> None:
    second = sandbox.ca.issue_client("second")
    thumbprint = sandbox.register_identity(second)
    assert thumbprint == second.x5t_s256
    other = fresh_wire.with_cert(identity_files(second, tmp_path))
    assert other.pix_token()


def test_concurrent_clients_are_served_in_parallel_threads(shared_sandbox: Sandbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one_client(_: int) -> int:
        wire = Wire(shared_sandbox)  # its own session, connection and handshake
        token = wire.pix_token(scope="cob.read")
        replies = [wire.http.get(f"{wire.mtls}/v2/cob", params={"inicio": "2024-10-01T00:00:00Z", "fim": "2024-10-04T00:00:00Z"},
                                 headers={"Authorization": f"Bearer {token}"}).status_code for _ in range(5)]  # fmt: skip
        wire.http.close()
        return replies.count(200)

    with ThreadPoolExecutor(max_workers=12) as pool:
        assert list(pool.map(one_client, range(24))) == [5] * 24
