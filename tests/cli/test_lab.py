"""`bradesco-explore lab` (the README's main command): sandbox + JupyterLab, and a clean stop."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_lab_serves_the_notebooks_and_cleans_up_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "notebooks").mkdir()
    command = [sys.executable, "-m", "bradesco_explore", "lab", "--no-browser", f"--port={port}"]
    lab = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")})  # fmt: skip
    try:
        assert lab.stdout is not None
        first = lab.stdout.readline()
        folder = Path(re.search(r"settings in (\S+)/\.env", first).group(1))  # type: ignore[union-attr]
        assert folder.exists() and "local sandbox running at https://127.0.0.1:" in first
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and status is None:
            try:
                status = requests.get(
                    f"http://127.0.0.1:{port}/lab", timeout=2, allow_redirects=False
                ).status_code
            except requests.ConnectionError:
                time.sleep(0.3)
        assert status in (200, 302), "JupyterLab answers on the chosen port"
    finally:
        lab.send_signal(signal.SIGTERM)
        code = lab.wait(timeout=60)
    assert code in (0, 130, -signal.SIGTERM)
    assert not folder.exists(), "the sandbox's keys are gone once lab stops"
