"""`bradesco-explore csr`: write a new private key (0600) and a CSR."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigurationError
from ..identity import OpenFinanceSubject, make_csr, save_private_key, save_public
from ._cert import password_from_env


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    csr = subparsers.add_parser(
        "csr", help="write a new private key (0600) and certificate signing request"
    )
    csr.add_argument("--cn", required=True, help="common name (your application's FQDN)")
    csr.add_argument(
        "--out", default="client", help="file prefix: writes PREFIX.key and PREFIX.csr"
    )
    csr.add_argument("--key-size", type=int, default=2048, choices=(2048, 3072, 4096))
    csr.add_argument("--organization", help="O (plain subject)")
    csr.add_argument("--country", default="BR")
    csr.add_argument("--state", help="ST")
    csr.add_argument("--locality", help="L")
    csr.add_argument(
        "--dns", action="append", default=[], help="subjectAltName DNS name (repeatable)"
    )
    csr.add_argument(
        "--passphrase-env", metavar="VAR", help="encrypt the key with the passphrase in VAR"
    )
    csr.add_argument("--overwrite", action="store_true", help="replace existing files")
    of = csr.add_argument_group("Open Finance Brasil transport certificate subject")
    of.add_argument(
        "--of-org-id", help="directory organisation id (organizationIdentifier OFBBR-<id>)"
    )
    of.add_argument("--of-software-id", help="software statement id (UID)")
    of.add_argument("--of-cnpj", help="CNPJ, 14 digits (serialNumber)")
    of.add_argument("--of-business-category", default="Private Organization")
    csr.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    open_finance = _open_finance_subject(args)
    passphrase = _passphrase(args.passphrase_env)
    key_file, csr_file = Path(f"{args.out}.key"), Path(f"{args.out}.csr")
    existing = [str(p) for p in (key_file, csr_file) if p.exists()]
    if existing and not args.overwrite:  # check both before writing either: never half-written
        raise ConfigurationError(
            f"{' and '.join(existing)} already exist; choose another --out or pass --overwrite."
        )
    key_pem, csr_pem = make_csr(
        common_name=args.cn,
        organization=args.organization,
        country=args.country,
        state=args.state,
        locality=args.locality,
        open_finance=open_finance,
        dns_names=args.dns,
        key_size=args.key_size,
        passphrase=passphrase,
    )
    key_path = save_private_key(key_file, key_pem, overwrite=args.overwrite)
    csr_path = save_public(csr_file, csr_pem, overwrite=args.overwrite)
    written = "encrypted" if key_pem.encrypted else "unencrypted"  # what is on disk, not the flag
    print(f"private key: {key_path} (mode 0600, {written}; keep it secret)")
    print(f"CSR:         {csr_path} (send this to your CA; it holds no secret)")
    return 0


def _open_finance_subject(args: argparse.Namespace) -> OpenFinanceSubject | None:
    if not (args.of_org_id or args.of_software_id or args.of_cnpj):
        return None
    needed = ("of_org_id", "of_software_id", "of_cnpj", "organization", "state", "locality")
    missing = [n for n in needed if not getattr(args, n)]
    if missing:
        flags = ", ".join("--" + m.replace("_", "-") for m in missing)
        raise ConfigurationError(f"An Open Finance subject also needs {flags}.")
    return OpenFinanceSubject(
        organisation_id=args.of_org_id,
        software_id=args.of_software_id,
        cnpj=args.of_cnpj,
        organisation_name=args.organization,
        state=args.state,
        locality=args.locality,
        business_category=args.of_business_category,
    )


def _passphrase(variable: str | None) -> str | None:
    passphrase = password_from_env(variable, flag="--passphrase-env")
    if passphrase == "":
        raise ConfigurationError(
            f"--passphrase-env names {variable}, which is empty: set it to the passphrase, or "
            "leave out --passphrase-env to write the key unencrypted."
        )
    return passphrase
