"""`bradesco-explore authorize`: run an authorization (PAR + JAR + PKCE) from the terminal.

Prints the authorization URL, reads the URL the browser was redirected to from stdin, checks
it and redeems the code, then prints a redacted summary. `--auto` follows the server's
redirects itself (for servers that consent automatically, such as the local sandbox).
`--save-pending FILE` keeps the pending authorization (0600) so another run can finish it
with `--finish FILE`.
"""

from __future__ import annotations

import argparse
import sys

from ..auth import PendingAuthorization
from ..errors import ConfigurationError
from ._token import add_client_arguments, open_client, print_summary


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `authorize` command."""
    parser = subparsers.add_parser(
        "authorize", help="print an authorization URL, read the redirect URL, print a summary"
    )
    add_client_arguments(parser)
    parser.add_argument(
        "--scope", action="append", help="scope (repeatable; default: the family's)"
    )
    parser.add_argument("--consent", help="Open Finance consent id (adds the consent:<id> scope)")
    parser.add_argument("--response-mode", choices=("jwt",), help="jwt: ask for a JARM response")
    parser.add_argument(
        "--auto", action="store_true", help="follow the server's auto-consent redirects"
    )
    parser.add_argument(
        "--save-pending", metavar="FILE", help="write the pending authorization (0600) and stop"
    )
    parser.add_argument(
        "--finish", metavar="FILE", help="finish a pending authorization saved earlier"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(run=run_authorize)


def run_authorize(args: argparse.Namespace) -> int:
    """Authorize, finish, print the summary (or save the pending authorization)."""
    with open_client(args) as client:
        if args.finish:
            pending = PendingAuthorization.load(args.finish)
        else:
            pending = client.authorize(
                args.scope, consent=args.consent, response_mode=args.response_mode
            )
        if args.save_pending:
            print(f"pending authorization saved to {pending.save(args.save_pending)} (0600)")
            print(f"open this URL in a browser:\n{pending.url}")
            return 0
        redirect = client.follow(pending) if args.auto else _read_redirect(pending.url)
        token = client.finish(pending, redirect)
        print_summary(client, token, as_json=args.json)
    return 0


def _read_redirect(url: str) -> str:
    print(f"Open this URL in a browser and approve:\n\n{url}\n", flush=True)
    print("Then paste the full address you were sent back to:", flush=True)
    line = sys.stdin.readline().strip()
    if not line:
        raise ConfigurationError("No redirect URL was pasted; run the command again.")
    return line
