"""`bradesco-explore cert inspect FILE [--key KEY] [--password-env VAR] [--ca-bundle CA]`."""

from __future__ import annotations

import argparse
import json
import os

from ..errors import ConfigurationError
from ..identity import Identity, Severity


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cert = subparsers.add_parser("cert", help="inspect client certificates")
    actions = cert.add_subparsers(dest="cert_command", metavar="ACTION", required=True)
    inspect = actions.add_parser(
        "inspect", help="print a certificate's facts and findings; exit 1 on an error"
    )
    inspect.add_argument("file", help="certificate: PEM, DER or PKCS#12 (.pfx/.p12)")
    inspect.add_argument("--key", help="private key file, if not inside FILE")
    inspect.add_argument(
        "--password-env",
        metavar="VAR",
        help="name of the environment variable holding the PKCS#12 or key password",
    )
    inspect.add_argument("--ca-bundle", help="check that the certificate chains to these CAs")
    inspect.add_argument(
        "--self-signed-ok", action="store_true", help="do not flag a self-signed certificate"
    )
    inspect.add_argument("--json", action="store_true", help="print JSON instead of text")
    inspect.set_defaults(run=run_inspect)


def password_from_env(variable: str | None, *, flag: str = "--password-env") -> str | None:
    """Read a password from the named environment variable (never from the command line).

    `flag` is the option that named the variable, for the message when it is not set.
    """
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise ConfigurationError(f"{flag} names {variable}, but that variable is not set.")
    return value


def run_inspect(args: argparse.Namespace) -> int:
    identity = Identity.load(
        args.file,
        key=args.key,
        password=password_from_env(args.password_env),
        ca_bundle=args.ca_bundle,
        self_signed_ok=args.self_signed_ok,
    )
    findings = identity.findings
    if args.json:
        summary = identity.summary() | {
            "findings": [
                {"severity": str(f.severity), "code": f.code, "message": f.message}
                for f in findings
            ]
        }
        print(json.dumps(summary, indent=2))
    else:
        width = max(len(k) for k in identity.summary())
        for label, value in identity.summary().items():
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"{label:<{width}}  {shown if shown not in ('', []) else '-'}")
        print("\nfindings (worst first):")
        for finding in findings:
            print(f"  [{finding.severity}] {finding.code}: {finding.message}")
    return 1 if any(f.severity is Severity.ERROR for f in findings) else 0
