"""`bradesco-explore token` and `authorize` against the test server (and the sandbox)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.cli import main
from bradesco_explore.identity import Identity
from bradesco_explore.transport import Session

from ._as import FapiServer
from ._processes import ClientFiles, run_python, write_client_files
from .conftest import REDIRECT


@pytest.fixture
def files(
    tmp_path: Path, client_identity: Identity, client_key: rsa.RSAPrivateKey, ca_bundle: Path
) -> ClientFiles:
    return write_client_files(tmp_path, client_identity, client_key, ca_bundle)


def client_flags(fapi: FapiServer, files: ClientFiles) -> list[str]:
    return [
        "--env",
        fapi.discovery_url,
        "--ca-bundle",
        str(files.ca_bundle),
        "--cert",
        str(files.cert),
        "--key",
        str(files.key),
    ]


def test_token_prints_a_redacted_summary(
    fapi: FapiServer,
    files: ClientFiles,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRADESCO_CLIENT_SECRET", "post-secret-value-123")
    flags = [
        *client_flags(fapi, files),
        "--client-id",
        "post-client",
        "--auth",
        "client_secret_post",
        "--grant",
        "client_credentials",
    ]
    assert main(["token", *flags, "--scope", "accounts", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["grant"] == "client_credentials" and facts["scope"] == "accounts"
    assert facts["bound_to_this_certificate"] is True
    assert facts["token"].startswith("Token(Bearer, scope='accounts'")
    assert "post-secret-value-123" not in json.dumps(facts)


def test_token_errors_are_one_line_and_exit_2(
    fapi: FapiServer,
    files: ClientFiles,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRADESCO_CLIENT_SECRET", "a-wrong-secret-value")
    flags = [
        *client_flags(fapi, files),
        "--client-id",
        "post-client",
        "--auth",
        "client_secret_post",
        "--grant",
        "client_credentials",
    ]
    assert main(["token", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: The token endpoint") and "invalid_client" in err
    assert "a-wrong-secret-value" not in err


def test_unknown_env_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--env", "staging"]) == 2
    assert "local, local-sandbox, bradesco-sandbox, production" in capsys.readouterr().err


def test_authorize_auto_follows_and_summarises(
    fapi: FapiServer,
    files: ClientFiles,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    flags = [*client_flags(fapi, files), "--client-id", "fapi-client", "--signing-key", str(files.signing_key),
             "--signing-kid", "client-1", "--redirect-uri", REDIRECT]  # fmt: skip
    assert main(["authorize", *flags, "--scope", "openid", "--scope", "accounts", "--auto"]) == 0
    out = capsys.readouterr().out
    assert "Token(Bearer, scope='openid accounts'" in out and "us…73" in out
    assert fapi.calls("/token") == 1


def test_authorize_reads_the_pasted_redirect_from_stdin(
    fapi: FapiServer, files: ClientFiles, client_identity: Identity
) -> None:
    code = f"""
        import sys
        from bradesco_explore.cli import main
        sys.exit(main(["authorize", "--env", {fapi.discovery_url!r}, "--ca-bundle", {str(files.ca_bundle)!r},
                       "--cert", {str(files.cert)!r}, "--key", {str(files.key)!r}, "--client-id", "fapi-client",
                       "--signing-key", {str(files.signing_key)!r}, "--signing-kid", "client-1",
                       "--redirect-uri", {REDIRECT!r}, "--scope", "openid", "--scope", "accounts"]))
    """
    process = run_python(code, stdin="")
    assert process.stdout is not None and process.stdin is not None
    url = _read_url(process.stdout)
    with Session(client_identity, ca_bundle=files.ca_bundle) as browser:
        redirect = browser.get(url).headers["Location"]
    out, err = process.communicate(redirect + "\n", timeout=60)
    assert process.returncode == 0, err
    assert "Token(Bearer, scope='openid accounts'" in out
    assert "Paste" not in err


def _read_url(stream: IO[str]) -> str:
    """Lines up to the authorization URL (blocking: the CLI prints it before waiting on stdin)."""
    for line in iter(stream.readline, ""):
        if line.startswith("https://"):
            return line.strip()
    raise AssertionError("the CLI ended without printing a URL")


def test_token_and_authorize_against_the_local_sandbox(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "BRADESCO_ENV",
        "BRADESCO_CLIENT_ID",
        "BRADESCO_CLIENT_SECRET",
        "BRADESCO_REDIRECT_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    assert main(["token", "--env", "local", "--family", "pix", "--scope", "cob.read"]) == 0
    out = capsys.readouterr().out
    assert "Token(Bearer, scope='cob.read'" in out and "bound to this certificate  yes" in out
    assert (
        main(
            [
                "authorize",
                "--env",
                "local",
                "--family",
                "openfinance",
                "--scope",
                "openid",
                "--auto",
            ]
        )
        == 0
    )
    assert "id token" in capsys.readouterr().out
