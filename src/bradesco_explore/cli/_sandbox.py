"""`bradesco-explore sandbox`: run the local Bradesco sandbox in the foreground until Ctrl-C.

Prints the base URLs, the CA bundle, the client certificate and key, the signing key and the
`.env` file (which holds the throwaway client secret; the secret itself is never printed).
Several can run side by side: each takes free ports and its own private directory.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..sandbox import Sandbox


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `sandbox` command."""
    parser = subparsers.add_parser(
        "sandbox", help="run the local Bradesco sandbox (HTTPS + mTLS) in the foreground"
    )
    parser.add_argument("--seed", type=int, default=7, help="synthetic data seed (default 7)")
    parser.add_argument(
        "--transactions",
        type=int,
        default=3000,
        help="transactions on the main account (default 3000)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=float,
        default=300,
        help="access token lifetime in seconds (default 300)",
    )
    parser.add_argument(
        "--consent", choices=("auto", "page"), default="auto",
        help="auto: approve at once for the test customer; page: show an Approve/Deny page",
    )  # fmt: skip
    parser.add_argument(
        "--public-port", type=int, default=0, help="public port (default: a free one)"
    )
    parser.add_argument("--mtls-port", type=int, default=0, help="mTLS port (default: a free one)")
    parser.add_argument(
        "--env-file", help="also write the BRADESCO_* variables to this file (0600)"
    )
    parser.set_defaults(run=run_sandbox)


def run_sandbox(args: argparse.Namespace) -> int:
    """Start, print where everything is, wait for Ctrl-C (or SIGTERM), stop."""
    from ..sandbox import Sandbox

    with (
        _stop_signals() as stop
    ):  # installed first: a Ctrl-C right after the banner still stops cleanly
        sandbox = Sandbox(
            seed=args.seed, transactions=args.transactions, token_lifetime=args.token_lifetime,
            consent=args.consent, public_port=args.public_port, mtls_port=args.mtls_port,
        ).start()  # fmt: skip
        try:
            if args.env_file:
                sandbox.write_env_file(args.env_file)
            _print_summary(sandbox, args.env_file)
            while not stop.wait(0.5):
                pass
        finally:
            sandbox.stop()
            print("sandbox stopped", flush=True)
    return 0


def _print_summary(sandbox: Sandbox, env_copy: str | None) -> None:
    env = sandbox.environment
    rows = [("public URL", sandbox.public_url), ("mTLS URL", sandbox.mtls_url)]
    rows += [
        (f"{name} token", family.token_url)
        for name, family in env.families.items()
        if family.token_url
    ]
    rows += [("openfinance API", env.family("openfinance").base_url), ("discovery", sandbox.discovery_url),
             ("issuer", sandbox.issuer), ("redirect URI", sandbox.redirect_uri)]  # fmt: skip
    summary = sandbox.summary()
    rows += [
        (label, summary[label])
        for label in (
            "CA bundle",
            "client certificate",
            "client key",
            "signing key",
            ".env",
            "client_id",
        )
    ]
    if env_copy:
        rows.append((".env copy", env_copy))
    print(f"Bradesco sandbox running (started in {sandbox.startup_seconds or 0:.2f} s)")
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    print("Press Ctrl-C to stop.", flush=True)


@contextlib.contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM while the block runs (previous handlers restored)."""
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
