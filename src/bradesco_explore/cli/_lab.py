"""`bradesco-explore lab`: the local sandbox plus JupyterLab on the walkthrough notebooks.

The sandbox runs in this process for as long as JupyterLab does; its settings are exported to
the JupyterLab process (and so to every kernel and terminal) as `BRADESCO_*` variables, and
written to the sandbox's 0600 `.env`, so `Workspace.open("local-sandbox")`,
`bx.explore(target="local-sandbox")` or `bradesco-explore token --env local-sandbox` attach to it.

The target itself (`BRADESCO_ENVIRONMENT`) is *not* exported: a kernel's default target stays
"local", so each walkthrough notebook starts its own in-kernel sandbox, whose switches (forged
certificates, counters, clock, key rotation) the notebooks use, and re-runs the same way
whether or not `lab` started it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..sandbox import Sandbox

# Exported by the sandbox for clients that attach to it, but a kernel must keep its own default.
_NOT_EXPORTED = ("BRADESCO_ENVIRONMENT",)


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


def kernel_environment(sandbox: Sandbox, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables JupyterLab, its kernels and terminals get: `base` (default: this
    process's) plus `sandbox`'s settings, except the target, so notebooks still open "local"."""
    exported = {k: v for k, v in sandbox.env_variables().items() if k not in _NOT_EXPORTED}
    return dict(os.environ if base is None else base) | exported


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
        print(
            "notebooks start their own sandbox; Workspace.open('local-sandbox') attaches to this one",
            flush=True,
        )
        return _run(command, kernel_environment(sandbox))


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
