"""Running client code in fresh Python processes (a restarted kernel, a second kernel)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.identity import Identity, key_to_pem, save_private_key, save_public

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ClientFiles:
    """Everything a fresh process needs to rebuild the test client: paths only."""

    cert: Path
    key: Path
    signing_key: Path
    ca_bundle: Path


def write_client_files(
    folder: Path, identity: Identity, signing_key: rsa.RSAPrivateKey, ca_bundle: Path
) -> ClientFiles:
    """Identity and signing key as 0600 PEM files (generated at run time, never committed)."""
    key_pem = identity._private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return ClientFiles(
        cert=save_public(folder / "client.crt", identity.certificate_pem, overwrite=True),
        key=save_private_key(folder / "client.key", key_pem, overwrite=True),
        signing_key=save_private_key(
            folder / "signing.key", key_to_pem(signing_key), overwrite=True
        ),
        ca_bundle=ca_bundle,
    )


def run_python(
    code: str, *, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.Popen[str]:
    """Start `python -c code` with the package importable; the caller waits on it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BRADESCO_")}
    environment.update(env or {})
    environment["PYTHONPATH"] = str(ROOT) + os.pathsep + environment.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdin=subprocess.PIPE if stdin is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=ROOT,
    )


def finish(process: subprocess.Popen[str], stdin: str | None = None, timeout: float = 60) -> str:
    """Wait for `process`; return its stdout, failing with its stderr if it failed."""
    out, err = process.communicate(stdin, timeout=timeout)
    assert process.returncode == 0, f"subprocess failed:\n{err}\n{out}"
    return out
