"""`bradesco-explore csr` and `cert inspect`, run as real subprocesses."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from bradesco_explore.identity import CertificateAuthority, Identity


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bradesco_explore", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def write_pfx(identity: Identity, path: Path, password: bytes) -> Path:
    data = pkcs12.serialize_key_and_certificates(
        b"c",
        identity._private_key(),
        identity.certificate,
        None,
        serialization.BestAvailableEncryption(password),
    )
    path.write_bytes(data)
    return path


def test_csr_writes_key_0600_and_csr(tmp_path: Path) -> None:
    result = run("csr", "--cn", "app.example.com.br", "--out", "client", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    key, csr = tmp_path / "client.key", tmp_path / "client.csr"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"CERTIFICATE REQUEST" in csr.read_bytes()
    assert "PRIVATE KEY" not in result.stdout and "0600" in result.stdout


def test_csr_open_finance_needs_all_fields(tmp_path: Path) -> None:
    result = run("csr", "--cn", "x", "--of-org-id", "org", cwd=tmp_path)
    assert result.returncode == 2
    assert "--of-software-id" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_csr_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "client.csr").write_text("keep me")
    result = run("csr", "--cn", "x", "--out", "client", cwd=tmp_path)
    assert result.returncode == 2 and "already exist" in result.stderr
    assert not (tmp_path / "client.key").exists()
    assert (tmp_path / "client.csr").read_text() == "keep me"


def test_inspect_good_pfx(client_identity: Identity, tmp_path: Path) -> None:
    pfx = write_pfx(client_identity, tmp_path / "client.pfx", b"pw-123")
    result = run(
        "cert",
        "inspect",
        str(pfx),
        "--password-env",
        "PFX_PW",
        "--json",
        cwd=tmp_path,
        env={"PFX_PW": "pw-123"},
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["x5t#S256"] == client_identity.x5t_s256
    assert summary["findings"][0]["code"] == "ok"
    assert "pw-123" not in result.stdout + result.stderr


def test_inspect_exits_1_on_an_error_finding(ca: CertificateAuthority, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    expired = ca.issue_client(
        "old", not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)
    )
    path = tmp_path / "old.pem"
    path.write_bytes(expired.certificate_pem)
    result = run("cert", "inspect", str(path), cwd=tmp_path)
    assert result.returncode == 1
    assert "[error] expired" in result.stdout and "subject" in result.stdout


def test_inspect_wrong_password_is_one_clear_line(
    client_identity: Identity, tmp_path: Path
) -> None:
    pfx = write_pfx(client_identity, tmp_path / "client.pfx", b"right")
    result = run(
        "cert",
        "inspect",
        str(pfx),
        "--password-env",
        "PFX_PW",
        cwd=tmp_path,
        env={"PFX_PW": "wrong"},
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: The password for the PKCS#12 file")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["cert", "inspect", "missing.pem"],
        ["cert", "inspect", "x.pem", "--password-env", "NOPE_UNSET"],
    ],
)
def test_inspect_bad_arguments(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "x.pem").write_text("garbage")
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_csr_says_encrypted_only_when_the_key_is(tmp_path: Path) -> None:
    result = run(
        "csr", "--cn", "x.example", "--passphrase-env", "KEY_PASS", cwd=tmp_path,
        env={"KEY_PASS": "frase secreta"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "(mode 0600, encrypted;" in result.stdout
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "client.key").read_bytes()
    plain = run("csr", "--cn", "x.example", "--out", "plain", cwd=tmp_path)
    assert "(mode 0600, unencrypted;" in plain.stdout
    assert b"ENCRYPTED" not in (tmp_path / "plain.key").read_bytes()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        # Before the fix: exit 0, "encrypted" printed, and the key written in the clear.
        (["--passphrase-env", "EMPTY"], {"EMPTY": ""}, "error: --passphrase-env names EMPTY, which is empty"),
        # Before the fix the message named --password-env, a flag csr does not have.
        (["--passphrase-env", "BX_UNSET_VAR"], {}, "error: --passphrase-env names BX_UNSET_VAR, but that variable is not set"),
        # Before the fix these were raw tracebacks (ValueError, FileNotFoundError):
        (["--cn", "a" * 70], {}, r"error: common_name \(CN\) is 70 characters"),
        (["--dns", "ação.com.br"], {}, "A-label 'xn--ao-siap.com.br'"),
        (["--out", "/proc/nope/x"], {}, r"error: Cannot write /proc/nope/x\.key: No such file"),
    ],
    ids=["empty passphrase", "unset passphrase variable", "long CN", "IDN", "unwritable out"],
)  # fmt: skip
def test_csr_bad_arguments_are_one_clear_line(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    os.environ.pop("BX_UNSET_VAR", None)
    result = run("csr", "--cn", "x.example", *args, cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert list(tmp_path.iterdir()) == []
