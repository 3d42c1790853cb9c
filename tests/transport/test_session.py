"""The mTLS session over real loopback TLS: client certificates, trust, retries, redaction."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from requests.adapters import HTTPAdapter

from bradesco_explore import _secret
from bradesco_explore._secret import Secret
from bradesco_explore.errors import (
    ConfigurationError,
    ConnectionFailedError,
    HTTPStatusError,
    InsecureConfigurationError,
    ResponseValidationError,
    TLSHandshakeError,
)
from bradesco_explore.identity import CertificateAuthority, Identity
from bradesco_explore.transport import RetryPolicy, Session, build_ssl_context

from .._servers import EchoServer


@pytest.fixture
def untrusted_server(other_ca: CertificateAuthority) -> Iterator[EchoServer]:
    """An HTTPS server whose certificate the sessions here do not trust; no client cert asked."""
    yield from EchoServer.running(other_ca, client_cert="none")


def session(identity: Identity | None, ca_bundle: Path, **kwargs: object) -> Session:
    return Session(identity, ca_bundle=ca_bundle, sleep=lambda s: None, **kwargs)  # type: ignore[arg-type]


class TestMutualTLS:
    def test_identity_is_presented_and_accepted(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            body = s.get(echo_server.url + "/echo").raise_for_status().json()
        assert body["client_subject"] == client_identity.subject
        assert body["thumbprint"] == client_identity.x5t_s256

    def test_without_client_certificate_the_handshake_is_refused(
        self, echo_server: EchoServer, ca_bundle: Path
    ) -> None:
        with session(None, ca_bundle) as s, pytest.raises(ConnectionFailedError) as info:
            s.get(echo_server.url + "/echo")
        assert "client certificate" in str(info.value) or isinstance(info.value, TLSHandshakeError)
        assert info.value.__cause__ is None

    def test_certificate_from_another_ca_is_refused(
        self, echo_server: EchoServer, other_ca: CertificateAuthority, ca_bundle: Path
    ) -> None:
        stranger = other_ca.issue_client("stranger")
        with session(stranger, ca_bundle) as s, pytest.raises(ConnectionFailedError):
            s.get(echo_server.url + "/echo")

    def test_connections_are_kept_alive(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            ports = set()
            for _ in range(5):
                s.get(echo_server.url + "/echo").raise_for_status()
            pool = next(iter(s._http.adapters["https://"].poolmanager.pools._container.values()))
            ports.add(pool.num_connections)
        assert ports == {1}, "five sequential calls should reuse one TLS connection"


class TestKeyNeverLeftOnDisk:
    def test_temporary_key_files_are_deleted(
        self,
        client_identity: Identity,
        ca_bundle: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        build_ssl_context(client_identity, ca_bundle=ca_bundle)
        Session(client_identity, ca_bundle=ca_bundle).close()
        assert list(tmp_path.iterdir()) == []

    def test_key_on_disk_is_encrypted_and_0600_while_it_exists(
        self, client_identity: Identity, ca_bundle: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import ssl

        seen: list[tuple[int, bytes]] = []
        original = ssl.SSLContext.load_cert_chain

        def spy(
            self: ssl.SSLContext, certfile: str, keyfile: str | None = None, password: object = None
        ) -> None:
            assert keyfile is not None
            seen.append((os.stat(keyfile).st_mode & 0o777, Path(keyfile).read_bytes()))
            original(self, certfile, keyfile, password)  # type: ignore[arg-type]

        monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
        build_ssl_context(client_identity, ca_bundle=ca_bundle)
        mode, content = seen[0]
        assert mode == 0o600
        assert b"ENCRYPTED PRIVATE KEY" in content


class TestVerificationCannotBeTurnedOff:
    def test_session_refuses_verify_false(self, client_identity: Identity) -> None:
        with pytest.raises(InsecureConfigurationError, match="verification"):
            Session(client_identity, verify=False)

    def test_request_refuses_verify_false(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s, pytest.raises(InsecureConfigurationError):
            s.get(echo_server.url + "/echo", verify=False)

    def test_adapter_refuses_verify_false_even_if_called_directly(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s, pytest.raises(InsecureConfigurationError):
            s._http.get(echo_server.url + "/echo", verify=False)

    def test_requests_own_adapter_cannot_be_mounted_nor_verify_switched_off(
        self, untrusted_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            with pytest.raises(InsecureConfigurationError, match="verifying mTLS adapter"):
                s._http.mount("https://", HTTPAdapter())
            with pytest.raises(InsecureConfigurationError, match="verification stays on"):
                s._http.verify = False
            assert s._http.verify is True
            with pytest.raises(TLSHandshakeError, match="not trusted"):
                s.get(untrusted_server.url + "/echo")

    def test_an_adapter_put_into_the_inner_session_directly_is_refused(
        self, untrusted_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            s._http.adapters["https://"] = HTTPAdapter()
            with pytest.raises(InsecureConfigurationError):
                s.get(untrusted_server.url + "/echo")
            with pytest.raises(InsecureConfigurationError):
                s._http.get(untrusted_server.url + "/echo", verify=False)
        assert untrusted_server.hits["/echo"] == 0

    def test_an_adapter_of_ours_over_a_non_verifying_context_cannot_be_mounted(
        self, client_identity: Identity, ca_bundle: Path
    ) -> None:
        import ssl

        from bradesco_explore.transport._session import _ContextAdapter

        weak = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        weak.check_hostname = False
        weak.verify_mode = ssl.CERT_NONE
        with session(client_identity, ca_bundle) as s, pytest.raises(InsecureConfigurationError):
            s._http.mount("https://", _ContextAdapter(weak, 1))

    def test_a_context_weakened_after_the_fact_is_refused_before_sending(
        self, untrusted_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        import ssl

        with session(client_identity, ca_bundle) as s:
            context = s._http.adapters["https://"]._context  # type: ignore[attr-defined]
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            with pytest.raises(InsecureConfigurationError, match="no longer verifies"):
                s.get(untrusted_server.url + "/echo")
        assert untrusted_server.hits["/echo"] == 0

    def test_untrusted_server_is_refused_with_advice(
        self, echo_server: EchoServer, client_identity: Identity, other_ca_bundle: Path
    ) -> None:
        with (
            session(client_identity, other_ca_bundle) as s,
            pytest.raises(TLSHandshakeError) as info,
        ):
            s.get(echo_server.url + "/echo")
        assert "not trusted" in str(info.value) and "ca_bundle" in str(info.value)

    def test_plain_http_to_remote_host_is_refused(
        self, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with (
            session(client_identity, ca_bundle) as s,
            pytest.raises(InsecureConfigurationError, match="http://"),
        ):
            s.get("http://openapi.bradesco.com.br/v2/cob")

    def test_plain_http_to_loopback_is_allowed(
        self, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s, pytest.raises(ConnectionFailedError):
            s.get("http://127.0.0.1:9/nothing-listens-here", retry=RetryPolicy(attempts=1))

    def test_non_http_scheme(self, client_identity: Identity, ca_bundle: Path) -> None:
        with (
            session(client_identity, ca_bundle) as s,
            pytest.raises(ConfigurationError, match="https://"),
        ):
            s.get("ftp://example.com/x")


class TestCABundlePrecedence:
    def test_explicit_bundle_wins_over_requests_ca_bundle(
        self,
        echo_server: EchoServer,
        client_identity: Identity,
        ca_bundle: Path,
        other_ca_bundle: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca_bundle))
        monkeypatch.setenv("CURL_CA_BUNDLE", str(other_ca_bundle))
        with session(client_identity, ca_bundle) as s:
            assert s.get(echo_server.url + "/echo").ok

    def test_explicit_bundle_is_not_merged_with_the_environment_one(
        self,
        echo_server: EchoServer,
        client_identity: Identity,
        ca_bundle: Path,
        other_ca_bundle: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv(
            "REQUESTS_CA_BUNDLE", str(ca_bundle)
        )  # the right CA, but only in the env
        with session(client_identity, other_ca_bundle) as s, pytest.raises(TLSHandshakeError):
            s.get(echo_server.url + "/echo")

    def test_without_explicit_bundle_the_environment_default_applies(
        self,
        echo_server: EchoServer,
        client_identity: Identity,
        ca_bundle: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_bundle))
        with Session(client_identity) as s:
            assert s.get(echo_server.url + "/echo").ok

    def test_missing_bundle_file(self, client_identity: Identity, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match="does not exist"):
            Session(client_identity, ca_bundle=tmp_path / "missing.pem")


class TestInteractionId:
    def test_every_request_carries_a_uuid4(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        import uuid

        with session(client_identity, ca_bundle) as s:
            first, second = (s.get(echo_server.url + "/echo") for _ in range(2))
        ids = [r.json()["headers"]["x-fapi-interaction-id"] for r in (first, second)]
        assert len(set(ids)) == 2
        assert all(uuid.UUID(i).version == 4 for i in ids)
        assert first.interaction_id == ids[0]

    def test_a_caller_uuid_is_sent_and_its_echo_accepted(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        given = "6B7D8A30-0C5F-4C3E-9D2F-2B1F7F2A9C11"
        with session(client_identity, ca_bundle) as s:
            response = s.get(echo_server.url + "/echo", headers={"X-FAPI-Interaction-ID": given})
        sent = response.json()["headers"]
        assert sent["x-fapi-interaction-id"] == given and response.interaction_id == given
        assert s.log[-1].interaction_id == given

    @pytest.mark.parametrize(
        "value",
        [
            "not-a-uuid",
            "12345",
            "",
            "6b7d8a300c5f4c3e9d2f2b1f7f2a9c11",  # no hyphens
            "{6b7d8a30-0c5f-4c3e-9d2f-2b1f7f2a9c11}",
            "urn:uuid:6b7d8a30-0c5f-4c3e-9d2f-2b1f7f2a9c11",
            "6b7d8a30-0c5f-4c3e-9d2f-2b1f7f2a9c11\r\nX-Injected: 1",
            "6b7d8a30-0c5f-4c3e-9d2f-2b1f7f2a9c1g",
        ],
    )
    def test_a_caller_value_that_is_not_a_uuid_is_refused_before_sending(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path, value: str
    ) -> None:
        with (
            session(client_identity, ca_bundle) as s,
            pytest.raises(ConfigurationError, match=r"x-fapi-interaction-id.*UUID"),
        ):
            s.get(echo_server.url + "/echo", headers={"x-fapi-interaction-id": value})
        assert echo_server.hits["/echo"] == 0 and len(s.log) == 0

    def test_two_different_caller_values_are_refused(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        import uuid

        headers = {
            "x-fapi-interaction-id": str(uuid.uuid4()),
            "X-Fapi-Interaction-Id": str(uuid.uuid4()),
        }
        with session(client_identity, ca_bundle) as s, pytest.raises(ConfigurationError):
            s.get(echo_server.url + "/echo", headers=headers)

    def test_a_different_echo_of_a_caller_uuid_is_refused(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with (
            session(client_identity, ca_bundle) as s,
            pytest.raises(ResponseValidationError) as info,
        ):
            s.get(
                echo_server.url + "/wrong-echo",
                headers={"x-fapi-interaction-id": "0f5e1c1e-3e7a-4a7d-9c1c-7c5e0f3b9a22"},
            )
        assert info.value.check == "x-fapi-interaction-id"

    def test_a_different_echo_is_refused(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with (
            session(client_identity, ca_bundle) as s,
            pytest.raises(ResponseValidationError) as info,
        ):
            s.get(echo_server.url + "/wrong-echo")
        assert info.value.check == "x-fapi-interaction-id"


class TestRetries:
    def test_get_is_retried_on_503_with_retry_after(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            response = s.get(echo_server.url + "/flaky/g/2")
        assert response.ok and response.attempts == 3
        assert [e.status for e in s.log] == [503, 503, 200]
        assert len({e.interaction_id for e in s.log}) == 1

    def test_retries_are_bounded(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            response = s.get(echo_server.url + "/flaky/b/10")
        assert response.status_code == 503 and response.attempts == 3
        with pytest.raises(HTTPStatusError) as info:
            response.raise_for_status()
        assert info.value.retry_after == 0

    def test_post_is_retried_on_503_with_retry_after(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            assert s.post(echo_server.url + "/flaky/p/1", json={}).ok
        assert echo_server.hits["p"] == 2

    def test_post_is_not_retried_on_500(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            assert s.post(echo_server.url + "/status/500", json={}).status_code == 500
        assert echo_server.hits["/status/500"] == 1

    def test_post_is_not_retried_on_429_without_retry_after(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            assert s.post(echo_server.url + "/status/429", json={}).status_code == 429
        assert echo_server.hits["/status/429"] == 1

    def test_post_is_not_replayed_after_a_dropped_connection(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s, pytest.raises(ConnectionFailedError):
            s.post(echo_server.url + "/drop/pd/1", json={"valor": "10.00"})
        assert echo_server.hits["pd"] == 1

    def test_get_is_retried_after_a_dropped_connection(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            assert s.get(echo_server.url + "/drop/gd/1").ok
        assert echo_server.hits["gd"] == 2

    def test_long_retry_after_is_not_waited_for(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        waits: list[float] = []
        with Session(client_identity, ca_bundle=ca_bundle, sleep=waits.append) as s:
            response = s.get(echo_server.url + "/status/429?retry_after=3600")
        assert response.status_code == 429 and waits == []

    def test_each_attempt_is_signed_afresh(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        nonces: list[str] = []

        def signer(prepared: object) -> None:
            nonce = str(len(nonces))
            nonces.append(nonce)
            prepared.headers["X-Nonce"] = nonce  # type: ignore[attr-defined]

        with session(client_identity, ca_bundle) as s:
            s.get(echo_server.url + "/flaky/n/1", auth=signer)
        assert nonces == ["0", "1"]


class TestErrorsAndLog:
    def test_error_envelope_is_parsed(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s, pytest.raises(HTTPStatusError) as info:
            s.get(echo_server.url + "/status/422").raise_for_status()
        err = info.value
        assert err.status == 422 and err.errors[0]["code"] == "TEST"
        assert "HTTP 422" in str(err) and err.interaction_id

    def test_exchange_log_as_frame(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            s.get(echo_server.url + "/echo", params={"code": "abc123secret", "agencia": "1234"})
            frame = s.log.to_frame()
        assert list(frame["status"]) == [200]
        assert "abc123secret" not in frame["url"].iloc[0]
        assert "agencia=1234" in frame["url"].iloc[0]


class TestNoSecretInDebugLogs:
    def test_tokens_codes_and_secrets_never_reach_logs(
        self,
        echo_server: EchoServer,
        client_identity: Identity,
        ca_bundle: Path,
        debug_logs: pytest.LogCaptureFixture,
    ) -> None:
        token = Secret("tok-" + "A1b2C3d4" * 6)
        client_secret = "cs-" + "Z9y8X7w6" * 4
        code = "code-" + "Q1w2E3r4" * 3

        def bearer(prepared: object) -> None:
            prepared.headers["Authorization"] = f"Bearer {token.reveal()}"  # type: ignore[attr-defined]

        with session(client_identity, ca_bundle) as s:
            s.post(
                echo_server.url + "/echo",
                params={"code": code},
                auth=bearer,
                data={"grant_type": "client_credentials", "client_secret": client_secret},
            )
        text = debug_logs.text
        assert "/echo" in text, "the exchange itself must be logged"
        for secret in (token.reveal(), client_secret, code):
            assert secret not in text

    def test_the_exchange_log_hides_documents_in_query_strings(
        self, echo_server: EchoServer, client_identity: Identity, ca_bundle: Path
    ) -> None:
        with session(client_identity, ca_bundle) as s:
            query = {"cpf": "12345678909", "cnpj": "12345678000195", "status": "ATIVA"}
            s.get(echo_server.url + "/echo", params=query)
            url = s.log[-1].url
        assert "cpf=***" in url and "cnpj=***" in url and "status=ATIVA" in url
        assert "12345678909" not in url and "12345678000195" not in url

    def test_redact_masks_jwts_pem_and_fields(self) -> None:
        # Fake test vectors, assembled at run time: a JWT-shaped string (header {"alg":"PS256"},
        # no real claims or signature) and a PEM armour around three bytes that are no key.
        jwt_like = ".".join(
            ["eyJhbGciOiJQUzI1NiJ9", "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "c2lnbmF0dXJlLXZhbHVl"]
        )
        armour = "-----{} PRIVATE KEY-----"
        text = _secret.redact(
            f'token {jwt_like} "refresh_token": "rt-abcdef" code=xyz987 '
            f"{armour.format('BEGIN')}\nMIIabc\n{armour.format('END')}"
        )
        assert (
            "eyJ" not in text
            and "rt-abcdef" not in text
            and "xyz987" not in text
            and "MIIabc" not in text
        )

    def test_secret_repr(self) -> None:
        s = Secret("abcdefghijklmnop")
        assert repr(s) == "Secret('…mnop')" and f"{s}" == repr(s) and "abcdef" not in str(s)
        import pickle

        with pytest.raises(TypeError):
            pickle.dumps(s)
