"""`bradesco-explore sandbox` from a subprocess: prints what it promises, serves, stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests


def start_cli(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bradesco_explore", "sandbox", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    lines: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("  "):
            label, _, value = line.strip().partition("  ")
            lines[label.strip()] = value.strip()
        if line.startswith("Press Ctrl-C"):
            return process, lines
    process.kill()
    raise AssertionError(
        f"the sandbox command did not start: {process.stderr.read() if process.stderr else ''}"
    )


def stop_cli(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    return out


class Bank:
    """Plain requests against one running instance, with the files and secret it printed."""

    def __init__(self, printed: dict[str, str]) -> None:
        settings = dict(
            line.split("=", 1)
            for line in Path(printed[".env"]).read_text().splitlines()
            if "=" in line and not line.startswith("#")
        )
        self.url, self.id, self.secret = printed["mTLS URL"], settings["BRADESCO_CLIENT_ID"], settings["BRADESCO_CLIENT_SECRET"]  # fmt: skip
        self.session = requests.Session()
        self.session.trust_env = False  # else REQUESTS_CA_BUNDLE would override verify=
        self.session.verify = printed["CA bundle"]
        self.session.cert = (printed["client certificate"], printed["client key"])

    def pix_token(self) -> str:
        reply = self.session.post(f"{self.url}/auth/server/oauth/token", data={"grant_type": "client_credentials"},
                                  auth=(self.id, self.secret), timeout=10)  # fmt: skip
        assert reply.status_code == 200, reply.text
        return str(reply.json()["access_token"])

    def list_cob(self, token: str) -> requests.Response:
        return self.session.get(f"{self.url}/v2/cob", headers={"Authorization": f"Bearer {token}"}, timeout=10,
                                params={"inicio": "2025-01-01T00:00:00Z", "fim": "2025-06-30T23:59:59Z"})  # fmt: skip


def test_the_command_prints_urls_and_files_serves_and_stops_cleanly(tmp_path: Path) -> None:
    env_copy = tmp_path / "sandbox.env"
    first, printed = start_cli("--seed", "5", "--transactions", "100", "--env-file", str(env_copy))
    try:
        for label in ("public URL", "mTLS URL", "pix token", "discovery", "issuer", "CA bundle",
                      "client certificate", "client key", "signing key", ".env"):  # fmt: skip
            assert label in printed, label
        for label in ("CA bundle", "client certificate", "client key", ".env"):
            assert Path(printed[label]).is_file()
        assert (Path(printed["client key"]).stat().st_mode & 0o777) == 0o600
        secret_line = next(
            line
            for line in env_copy.read_text().splitlines()
            if line.startswith("BRADESCO_CLIENT_SECRET=")
        )
        assert secret_line.split("=", 1)[1] not in "\n".join(
            printed.values()
        )  # the secret is not printed
        session = requests.Session()
        session.trust_env = False
        discovery = session.get(printed["discovery"], verify=printed["CA bundle"], timeout=10)
        assert discovery.json()["issuer"] == printed["issuer"]
        second, printed_second = start_cli()  # a second instance beside the first
        try:
            assert printed_second["mTLS URL"] != printed["mTLS URL"]
            assert printed_second[".env"] != printed[".env"]
            first_bank, second_bank = Bank(printed), Bank(printed_second)
            first_token, second_token = first_bank.pix_token(), second_bank.pix_token()
            assert first_bank.list_cob(first_token).status_code == 200
            assert second_bank.list_cob(second_token).status_code == 200
            foreign = second_bank.list_cob(first_token)  # each instance issues its own tokens
            assert foreign.status_code == 401 and foreign.json()["type"].endswith("/AcessoNegado")
        finally:
            stop_cli(second)
    finally:
        output = stop_cli(first)
    assert "sandbox stopped" in output
    assert not Path(printed[".env"]).exists()
