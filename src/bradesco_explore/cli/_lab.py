"""`bradesco-explore lab`: the local sandbox plus JupyterLab on the walkthrough notebooks.

The sandbox runs in this process for as long as JupyterLab does; its settings are exported to
the JupyterLab process as `BRADESCO_*` variables (and written to the sandbox's 0600 `.env`), so
the CLI, a terminal in Lab, or `Credentials.from_env()` in a notebook can reach it. Each
walkthrough notebook also starts its own in-kernel sandbox, so every notebook re-runs the same
way whether or not `lab` started it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import ConfigurationError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lab = subparsers.add_parser("lab", help="start the local sandbox and JupyterLab on notebooks/")
    lab.add_argument(
        "--notebooks", default=None, help="folder to open (default: ./notebooks if present, else .)"
    )
    lab.add_argument("--port", type=int, default=8888, help="JupyterLab port (default 8888)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    lab.add_argument(
        "--no-sandbox",
        action="store_true",
        help="only JupyterLab; notebooks start their own sandbox",
    )
    lab.set_defaults(run=run)


def notebooks_folder(given: str | None) -> Path:
    """The folder JupyterLab opens."""
    if given:
        folder = Path(given)
        if not folder.is_dir():
            raise ConfigurationError(f"--notebooks {given} is not a folder.")
        return folder
    default = Path("notebooks")
    return default if default.is_dir() else Path()


def run(args: argparse.Namespace) -> int:
    folder = notebooks_folder(args.notebooks)
    if (
        shutil.which("jupyter", path=str(Path(sys.executable).parent)) is None
        and shutil.which("jupyter") is None
    ):
        raise ConfigurationError(
            "JupyterLab is not installed in this environment: pip install jupyterlab."
        )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        f"--port={args.port}",
        f"--notebook-dir={folder}",
    ]
    if args.no_browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root
    if args.no_sandbox:
        return _run(command, dict(os.environ))
    from ..sandbox import Sandbox

    with Sandbox() as sandbox:
        env_file = sandbox.write_env_file(sandbox.directory / ".env")
        print(
            f"local sandbox running at {sandbox.mtls_url} (target 'local-sandbox'; settings in {env_file})"
        )
        return _run(command, dict(os.environ) | sandbox.env_variables())


def _run(command: list[str], env: dict[str, str]) -> int:
    """Run JupyterLab until it exits; Ctrl-C or SIGTERM stops it, then the sandbox cleans up."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    lab = subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter, fixed arguments
    try:
        return lab.wait()
    except KeyboardInterrupt:
        lab.terminate()
        lab.wait(timeout=30)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
