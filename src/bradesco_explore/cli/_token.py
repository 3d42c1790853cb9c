"""`bradesco-explore token`: get an access token for an environment; print a redacted summary.

The client comes from flags and `BRADESCO_*` settings (never a secret on the command line):
`--env local` (the embedded sandbox, started for the command), `bradesco-sandbox`,
`production`, or any FAPI server's discovery URL. The functions that build the client from
those flags are shared with `authorize`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from ..auth import Client, Credentials, Environment, Token
from ..config import setting
from ..errors import ConfigurationError
from ..identity import Identity
from ..workspace import TARGETS, Workspace
from ._cert import password_from_env


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `token` command."""
    parser = subparsers.add_parser("token", help="get an access token and print a redacted summary")
    add_client_arguments(parser)
    parser.add_argument(
        "--grant",
        choices=("client_credentials", "jwt_bearer", "authorization_code"),
        help="grant to use (default: the family's)",
    )
    parser.add_argument("--scope", action="append", help="scope to request (repeatable)")
    parser.add_argument(
        "--force", action="store_true", help="fetch a new token even if one is cached"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=run_token)


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that say which server, which family and who the client is."""
    where = parser.add_argument_group("environment")
    where.add_argument(
        "--env",
        help="local | local-sandbox | bradesco-sandbox | production | a discovery URL "
        "(default: BRADESCO_ENVIRONMENT or local)",
    )
    where.add_argument("--family", help="API family (default: the environment's)")
    where.add_argument("--ca-bundle", help="CA bundle that verifies the servers (PEM)")
    who = parser.add_argument_group("client (secrets only from BRADESCO_* variables or .env)")
    who.add_argument("--client-id", help="client id (default: BRADESCO_CLIENT_ID)")
    who.add_argument("--auth", help="client authentication method (default: the family's)")
    who.add_argument(
        "--cert", help="client certificate: PEM, DER or PKCS#12 (default: BRADESCO_CERT)"
    )
    who.add_argument("--key", help="private key file, if not inside --cert (default: BRADESCO_KEY)")
    who.add_argument(
        "--password-env", metavar="VAR", help="variable holding the PKCS#12/key password"
    )
    who.add_argument(
        "--signing-key",
        help="private_key_jwt / JAR signing key file (default: BRADESCO_SIGNING_KEY)",
    )
    who.add_argument("--signing-kid", help="kid of the signing key (default: BRADESCO_SIGNING_KID)")
    who.add_argument(
        "--redirect-uri", help="registered redirect URI (default: BRADESCO_REDIRECT_URI)"
    )
    who.add_argument(
        "--cache-file", help="persistent token cache (0600 JSON), shared with other runs"
    )


@contextlib.contextmanager
def open_client(args: argparse.Namespace) -> Iterator[Client]:
    """The `Client` the flags describe.

    `--env local` runs an in-process sandbox for the duration; `--env local-sandbox` attaches
    to the one `bradesco-explore sandbox`/`lab` runs (from its BRADESCO_* variables).
    """
    name = args.env or setting("environment") or "local"
    with contextlib.ExitStack() as stack:
        if name in ("local", "local-sandbox"):
            workspace = stack.enter_context(Workspace.open(name))
            client = workspace.client(args.family, auth=args.auth, cache_file=args.cache_file,
                                      **({"redirect_uri": args.redirect_uri} if args.redirect_uri else {}))  # fmt: skip
        else:
            identity = _identity(args)
            environment = _environment(name, args.ca_bundle or setting("ca_bundle"), identity)
            credentials = Credentials.from_env(
                client_id=args.client_id, signing_key=args.signing_key, signing_kid=args.signing_kid
            )
            client = Client(environment, args.family, identity=identity, credentials=credentials,
                            auth=args.auth, redirect_uri=args.redirect_uri, cache_file=args.cache_file)  # fmt: skip
        stack.callback(client.close)
        yield client


def _identity(args: argparse.Namespace) -> Identity | None:
    cert = args.cert or setting("cert")
    if not cert:
        return None
    key = args.key or setting("key")
    return Identity.load(cert, key=key, password=password_from_env(args.password_env))


def _environment(name: str, ca_bundle: str | None, identity: Identity | None) -> Environment:
    if name == "bradesco-sandbox":
        return Environment.bradesco_sandbox(ca_bundle=ca_bundle)
    if name == "production":
        return Environment.production(ca_bundle=ca_bundle)
    if name.startswith(("https://", "http://")):
        return Environment.discover(name, ca_bundle=ca_bundle, identity=identity)
    raise ConfigurationError(
        f"--env {name!r} is not one of {', '.join(TARGETS)} or a discovery URL (https://...)."
    )


def run_token(args: argparse.Namespace) -> int:
    """Get the token and print its summary."""
    with open_client(args) as client:
        token = client.token(args.scope, grant=args.grant, force=args.force)
        print_summary(client, token, as_json=args.json)
    return 0


def summary(client: Client, token: Token) -> dict[str, Any]:
    """What may be shown of a token: no value, the last 4 characters at most."""
    bound = token.cnf
    identity = client.identity
    facts: dict[str, Any] = {
        "token": repr(token),
        "environment": client.environment.name,
        "family": client.family.name,
        "grant": token.grant,
        "scope": " ".join(token.scope),
        "expires_at": token.expires_at.astimezone(dt.UTC).isoformat() if token.expires_at else None,
        "refresh_token": token.refresh_token is not None,
        "bound_to_certificate": bound,
        "bound_to_this_certificate": (bound == identity.x5t_s256) if bound and identity else None,
    }
    if token.id_token_claims:
        claims = token.id_token_claims
        facts["id_token"] = {"iss": claims.get("iss"), "sub": _mask(str(claims.get("sub", ""))),
                             "acr": claims.get("acr"), "auth_time": claims.get("auth_time")}  # fmt: skip
    return facts


def print_summary(client: Client, token: Token, *, as_json: bool) -> None:
    """Print `summary` as text or JSON."""
    facts = summary(client, token)
    if as_json:
        print(json.dumps(facts, indent=2))
        return
    width = max(len(k) for k in facts)
    for key, value in facts.items():
        shown = (
            "-"
            if value is None
            else ("yes" if value is True else "no" if value is False else value)
        )
        print(f"{key.replace('_', ' '):<{width}}  {shown}")


def _mask(value: str) -> str:
    return value[:2] + "…" + value[-2:] if len(value) > 6 else "…"
