"""The `bradesco-explore` command line (also `python -m bradesco_explore`).

Each command lives in its own module with a `register(subparsers)` function that adds its
parser and sets `run`; this module only wires them together and turns the package's errors
into one readable line and an exit status: 2 for errors, as argparse exits on bad usage. A
command may set the default `failure_status` to tell a failed call from bad input: `get` exits
1 when the call failed and 2 for a `ConfigurationError`. `cert inspect` uses 1 for an error
finding.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import BradescoExploreError, ConfigurationError

# Modules providing commands, in help order.
_COMMAND_MODULES = ("_lab", "_demo", "_sandbox", "_csr", "_cert", "_token", "_authorize", "_get")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available command."""
    parser = argparse.ArgumentParser(
        prog="bradesco-explore",
        description="Explore Banco Bradesco's APIs safely: certificates, mTLS, OAuth/FAPI, tables.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # command not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except BradescoExploreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return _error_status(args, exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _error_status(args: argparse.Namespace, error: BradescoExploreError) -> int:
    """2 for a usage or configuration error; the command's `failure_status` (default 2) otherwise."""
    if isinstance(error, ConfigurationError):
        return 2
    return int(getattr(args, "failure_status", 2))
