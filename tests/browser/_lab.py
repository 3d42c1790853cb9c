"""JupyterLab as a subprocess for the browser test: isolated dirs, test settings, free port.

The server runs from this interpreter (so its kernel imports this checkout), on 127.0.0.1
with no token and no XSRF check (test-only), with JupyterLab's user settings in a temporary
folder: no news toast, and the widget manager saving widget state into the notebook, so the
test can check that saved state for secrets.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

import nbformat

_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
    # no "Select Kernel" dialog racing the kernel list: start the notebook's python3 kernel
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"autoStartDefaultKernel": True},
}


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_notebook(path: Path, cells: list[str]) -> Path:
    """A notebook of code `cells` with the python3 kernel."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


class JupyterLab:
    """`jupyter lab` on `root`, with `environment` added to its (and its kernels') variables."""

    def __init__(self, root: Path, home: Path, environment: Mapping[str, str], log: Path) -> None:
        self.root, self.home, self.log_path = root, home, log
        self.port = free_port()
        self.environment = dict(environment)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> JupyterLab:
        env = os.environ | self._isolated_dirs() | self.environment
        self._write_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
                   "--ip=127.0.0.1", f"--port={self.port}", f"--ServerApp.root_dir={self.root}",
                   "--IdentityProvider.token=", "--ServerApp.password=",
                   "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
                   "--ServerApp.port_retries=0"]  # fmt: skip
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_ready(timeout)
        return self

    def _isolated_dirs(self) -> dict[str, str]:
        names = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data", "JUPYTER_RUNTIME_DIR": "runtime",
                 "JUPYTERLAB_SETTINGS_DIR": "settings", "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
                 "IPYTHONDIR": "ipython"}  # fmt: skip
        return {name: str(self.home / folder) for name, folder in names.items()}

    @staticmethod
    def _write_settings(folder: Path) -> None:
        for name, values in _SETTINGS.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited early; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as answer:  # noqa: S310 - loopback http
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
        raise RuntimeError(
            f"jupyter lab did not answer within {timeout:.0f} s; see {self.log_path}"
        )

    def stop(self) -> None:
        """Ask the server to shut down (kernels included), then make sure it has."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            request = urllib.request.Request(f"{self.url}/api/shutdown", method="POST")  # noqa: S310 - loopback http
            urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 - loopback http
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
