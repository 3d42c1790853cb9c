"""Log redaction: credentials masked, words left readable, one list of secret names everywhere.

The redaction rules live in `bradesco_explore._secret`; the transport is where they matter
most (urllib3's DEBUG lines, the exchange log), so the end-to-end cases run over real TLS.
"""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from bradesco_explore._secret import SECRET_FIELDS, redact
from bradesco_explore.identity import CertificateAuthority, Identity
from bradesco_explore.transport import Session, safe_url

from .._servers import EchoServer

ROOT = Path(__file__).resolve().parents[2]


def _fake_jwt() -> str:
    # a JWT-shaped test vector assembled at run time: header {"alg":"PS256"}, no real claims
    return ".".join(["eyJhbGciOiJQUzI1NiJ9", "eyJzdWIiOiJ0ZXN0In0", "c2lnbmF0dXJlLXZhbHVl"])


def _basic(client_id: str, secret: str) -> str:
    return base64.b64encode(f"{client_id}:{secret}".encode()).decode()


class TestAuthorizationSchemes:
    @pytest.mark.parametrize(
        "text",
        [
            'WWW-Authenticate: Bearer error="invalid_token"',
            'WWW-Authenticate: Bearer realm="bradesco", error="invalid_token", '
            'error_description="The access token expired"',
            'WWW-Authenticate: Bearer resource_metadata="https://as.example/.well-known/x"',
            'WWW-Authenticate: Basic realm="x"',
            'Basic realm="bradesco", charset="UTF-8"',
            "this endpoint takes the client id and secret with HTTP Basic authentication only",
            "HTTP Basic auth only",
            "send the token as Bearer in the Authorization header",
            "Token(Bearer, scope='cob.read', expires in 4m59s, …Q4Lw)",
        ],
    )
    def test_words_and_auth_params_after_the_scheme_stay_readable(self, text: str) -> None:
        assert redact(text) == text

    @pytest.mark.parametrize(
        ("text", "secret"),
        [
            (f"Authorization: Bearer {_fake_jwt()}", _fake_jwt()),
            ("got Bearer 2YotnFZFEjr1zCsicMWpAA for cob.read", "2YotnFZFEjr1zCsicMWpAA"),
            ("got bearer abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx"),
            (f"Basic {_basic('basic-client', 'basic secret/with:odd+chars')}", "YmFzaWMtY2xp"),
            (
                json.dumps({"Authorization": f"Basic {_basic('client-0001', 'sec')}"}),
                _basic("client-0001", "sec"),
            ),
            (
                repr({"authorization": f"Basic {_basic('c', 'p4ssw0rd-value')}"}),
                _basic("c", "p4ssw0rd-value"),
            ),
            ("Authorization: Bearer short-tok", "short-tok"),  # shorter, but in its header
            ("Proxy-Authorization: Basic Zm9vOmJhcg==", "Zm9vOmJhcg"),
        ],
    )
    def test_credentials_after_the_scheme_are_masked(self, text: str, secret: str) -> None:
        shown = redact(text)
        assert secret not in shown
        assert "[REDACTED]" in shown
        assert "bearer [redacted]" in shown.lower() or "basic [redacted]" in shown.lower(), shown

    def test_a_credential_then_an_auth_param_in_one_line(self) -> None:
        line = 'Authorization: Bearer 2YotnFZFEjr1zCsicMWpAA; WWW-Authenticate: Bearer error="x"'
        assert redact(line) == (
            'Authorization: Bearer [REDACTED]; WWW-Authenticate: Bearer error="x"'
        )


class TestFieldNames:
    @pytest.mark.parametrize("name", SECRET_FIELDS)
    def test_every_secret_name_is_masked_in_a_query_and_a_form(self, name: str) -> None:
        value = "v4lue-" + "Qx7" * 4
        assert value not in redact(f"GET /cb?{name}={value}&agencia=1234 HTTP/1.1")
        assert value not in redact(f"grant_type=x&{name}={value}")
        assert value not in redact(json.dumps({name: value}))
        assert value not in safe_url(f"https://h.example/cb?{name}={value}")

    @pytest.mark.parametrize(
        "name", ["state", "nonce", "request_uri", "token", "api_key", "apikey"]
    )
    def test_the_audited_names_are_in_the_one_list(self, name: str) -> None:
        assert name in SECRET_FIELDS
        assert "***" in safe_url(f"https://h.example/cb?{name}=abcdef123")

    @pytest.mark.parametrize(
        "text",
        [
            "Without the 'openid' scope FAPI requires a JARM response: add 'openid' to scopes",
            "The user's token expired and there is no refresh token: authorise again",
            "status_code=200 token_type=Bearer response_type=code",
        ],
    )
    def test_field_names_used_as_words_stay_readable(self, text: str) -> None:
        assert redact(text) == text

    @pytest.mark.parametrize(
        "text", ["PKCS#12 password: p4ss-Value-91", "passphrase = p4ss-Value-91"]
    )
    def test_passwords_are_masked_in_every_form(self, text: str) -> None:
        assert "p4ss-Value-91" not in redact(text)

    def test_the_exchange_log_still_hides_documents(self) -> None:
        url = safe_url("https://h.example/v2/pix?cpf=12345678909&state=abc123&status=ATIVA")
        assert "12345678909" not in url and "abc123" not in url and "status=ATIVA" in url


@pytest.fixture
def open_server(ca: CertificateAuthority) -> Iterator[EchoServer]:
    """An echo server that does not ask for a client certificate."""
    yield from EchoServer.running(ca, client_cert="optional")


class TestDebugLogsOfEveryLogger:
    def test_urllib3_lines_mask_state_nonce_token_and_api_keys(
        self,
        echo_server: EchoServer,
        client_identity: Identity,
        ca_bundle: Path,
        debug_logs: pytest.LogCaptureFixture,
    ) -> None:
        params = {
            name: f"{name}-Value-{i:02d}-xyz"
            for i, name in enumerate(("state", "nonce", "token", "api_key", "apikey"))
        }
        params["request_uri"] = "urn:ietf:params:oauth:request_uri:Rq7uR1-value"
        with Session(client_identity, ca_bundle=ca_bundle) as s:
            s.get(echo_server.url + "/echo", params={**params, "agencia": "1234"})
            logged = s.log[-1].url
        urllib3_lines = [r.getMessage() for r in debug_logs.records if r.name.startswith("urllib3")]
        assert any("/echo" in line and "agencia=1234" in line for line in urllib3_lines)
        for value in params.values():
            assert value not in debug_logs.text
            assert value not in logged

    def test_a_record_factory_set_later_is_wrapped_before_the_next_request(
        self,
        echo_server: EchoServer,
        client_identity: Identity,
        ca_bundle: Path,
        debug_logs: pytest.LogCaptureFixture,
    ) -> None:
        code = "code-Value-" + "Z8" * 8
        original = logging.getLogRecordFactory()
        with Session(client_identity, ca_bundle=ca_bundle) as s:
            try:
                logging.setLogRecordFactory(logging.LogRecord)  # e.g. a notebook's own logging
                s.get(echo_server.url + "/echo", params={"code": code})
            finally:
                logging.setLogRecordFactory(original)
        assert "/echo" in debug_logs.text
        assert code not in debug_logs.text

    def test_the_front_door_installs_redaction_before_any_request(
        self, open_server: EchoServer, ca_bundle: Path
    ) -> None:
        probe = textwrap.dedent(
            f"""
            import logging, sys
            import bradesco_explore as bx
            assert "requests" not in sys.modules and "pandas" not in sys.modules
            logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(name)s %(message)s")
            with bx.Session(ca_bundle={str(ca_bundle)!r}) as s:
                s.get({open_server.url + "/echo"!r}, params={{"state": "st8-Secret-Value",
                      "nonce": "n0nce-Secret-Value", "api_key": "k3y-Secret-Value"}})
            """
        )
        out = subprocess.run(
            [sys.executable, "-c", probe],
            check=False,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        assert "urllib3.connectionpool" in out.stdout and "/echo" in out.stdout
        assert "Secret-Value" not in out.stdout + out.stderr
