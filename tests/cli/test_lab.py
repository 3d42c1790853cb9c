"""`bradesco-explore lab` (the README's main command): sandbox + JupyterLab, a clean stop, and
kernels that still open their own sandbox (lab exports how to reach its sandbox, not a target)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import requests
from nbclient import NotebookClient

from bradesco_explore.cli._lab import kernel_environment
from bradesco_explore.sandbox import Sandbox


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_environments(pid: int) -> list[dict[str, str]]:
    """The environment variables of `pid`'s child processes (read from /proc; Linux)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                raw = (entry / "environ").read_bytes()
                found.append(
                    dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
                )
        except (OSError, ValueError, IndexError):
            continue  # a process that ended meanwhile, or one we may not read
    return found


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
        jupyter = child_environments(lab.pid) if Path("/proc/self/environ").exists() else [{}]
        assert jupyter, "JupyterLab runs as a child process of lab"
        assert jupyter == [{}] or all(
            "BRADESCO_ENVIRONMENT" not in env and "BRADESCO_PIX_URL" in env for env in jupyter
        )
    finally:
        lab.send_signal(signal.SIGTERM)
        code = lab.wait(timeout=60)
    assert code in (0, 130, -signal.SIGTERM)
    assert not folder.exists(), "the sandbox's keys are gone once lab stops"


# -- what the kernels inherit ---------------------------------------------------------------------
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CHECK_TARGET = """\
assert ws.target == "local" and ws.local_sandbox.running, ws.target
ws.close()
"""
ATTACH = """\
import bradesco_explore as bx
from bradesco_explore.errors import ConfigurationError

attached = bx.Workspace.open("local-sandbox")
assert attached.client("pix").token(["cob.read"]).cnf == attached.identity.x5t_s256
try:
    attached.local_sandbox
except ConfigurationError as error:
    assert "no equivalent at 'local-sandbox'" in str(error)
else:
    raise AssertionError("local-sandbox has no in-process switches")
attached.close()
"""


def run_in_kernel(notebook: nbformat.NotebookNode, env: dict[str, str]) -> None:
    """Execute `notebook` in `notebooks/` in a fresh kernel with `env` (raises on an error)."""
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})  # fmt: skip
    client.execute(env=env)


@pytest.fixture(scope="module")
def lab_kernel_env() -> Iterator[dict[str, str]]:
    """The variables `lab` gives JupyterLab (so its kernels), from a shell with no BRADESCO_*."""
    shell = {k: v for k, v in os.environ.items() if not k.startswith("BRADESCO_")}
    with Sandbox(transactions=50) as sandbox:
        yield kernel_environment(sandbox, shell)


def test_lab_exports_how_to_reach_its_sandbox_but_not_a_target(
    lab_kernel_env: dict[str, str],
) -> None:
    assert "BRADESCO_ENVIRONMENT" not in lab_kernel_env
    assert lab_kernel_env["BRADESCO_PIX_URL"].startswith("https://127.0.0.1:")
    assert {"BRADESCO_CERT", "BRADESCO_CLIENT_ID", "BRADESCO_CA_BUNDLE"} <= set(lab_kernel_env)


def test_every_notebook_config_cell_opens_the_in_kernel_sandbox_under_lab(
    lab_kernel_env: dict[str, str],
) -> None:
    """The first code cell of each notebook, then a check, all in one kernel as `lab` starts it;
    last, the dashboard's way of attaching to lab's own sandbox still works there."""
    cells = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        config = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        cells += [nbformat.v4.new_code_cell(config.source), nbformat.v4.new_code_cell(CHECK_TARGET)]
    assert len(cells) >= 20
    run_in_kernel(
        nbformat.v4.new_notebook(cells=[*cells, nbformat.v4.new_code_cell(ATTACH)]), lab_kernel_env
    )


@pytest.mark.parametrize(
    "name", ["03_client_credentials_and_token_cache", "10_security_pitfalls", "11_dashboard"]
)
def test_a_notebook_using_the_sandbox_switches_runs_under_lab(
    name: str, lab_kernel_env: dict[str, str]
) -> None:
    run_in_kernel(nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4), lab_kernel_env)
