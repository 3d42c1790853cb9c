"""`Credentials`: who the client is to the authorization server (never in code or notebooks)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .._secret import Secret
from ..config import SecretSource, secret_setting, setting
from ..errors import ConfigurationError
from ..identity._formats import PrivateKey, parse
from ..identity._identity import Password, password_bytes, read_source

KeySource = PrivateKey | str | os.PathLike[str] | bytes
"""A private key object, or a path / bytes holding one."""


@dataclass(frozen=True, repr=False)
class Credentials:
    """A client registration: `client_id`, and the secret or signing key its auth method needs.

    - `client_secret` for `client_secret_basic` / `client_secret_post` (a `Secret`);
    - `signing_key` (+ `signing_kid`) for `private_key_jwt` and signed request objects (JAR);
    - the identity's own key signs Bradesco's JWT-bearer assertion, so it is not repeated here.

    Build from the environment with `Credentials.from_env()` (`BRADESCO_CLIENT_ID`,
    `BRADESCO_CLIENT_SECRET`, `BRADESCO_SIGNING_KEY` (a path), `BRADESCO_SIGNING_KID`), or
    from arguments. The repr shows the client id and the last 4 characters of the secret.
    """

    client_id: str
    client_secret: Secret | None = None
    signing_key: PrivateKey | None = None
    signing_kid: str | None = None

    def __post_init__(self) -> None:
        if not self.client_id or not self.client_id.strip():
            raise ConfigurationError(
                "client_id is empty: set BRADESCO_CLIENT_ID or pass client_id=..."
            )
        secret: object = self.client_secret
        if isinstance(secret, str):  # accept a plain str, store it as a Secret
            object.__setattr__(self, "client_secret", Secret(secret))

    @classmethod
    def from_env(
        cls,
        *,
        client_id: str | None = None,
        client_secret: str | Secret | None = None,
        signing_key: str | os.PathLike[str] | bytes | None = None,
        signing_key_password: Password = None,
        signing_kid: str | None = None,
        sources: Sequence[SecretSource] | None = None,
    ) -> Credentials:
        """Arguments first, then `BRADESCO_*` variables, then `.env`."""
        cid = setting("client_id", client_id, sources=sources)
        if not cid:
            raise ConfigurationError(
                "No client id: pass client_id=... or set BRADESCO_CLIENT_ID (or put it in .env)."
            )
        key_source = (
            signing_key if signing_key is not None else setting("signing_key", sources=sources)
        )
        key = load_signing_key(key_source, signing_key_password) if key_source else None
        return cls(
            client_id=cid,
            client_secret=secret_setting("client_secret", client_secret, sources=sources),
            signing_key=key,
            signing_kid=setting("signing_kid", signing_kid, sources=sources),
        )

    def require_secret(self, method: str) -> Secret:
        """The client secret, or a clear error naming the auth method that needs it."""
        if self.client_secret is None:
            raise ConfigurationError(
                f"{method} needs a client secret: set BRADESCO_CLIENT_SECRET or pass client_secret=..."
            )
        return self.client_secret

    def require_signing_key(self, purpose: str) -> PrivateKey:
        """The signing key, or a clear error naming what needs it."""
        if self.signing_key is None:
            raise ConfigurationError(
                f"{purpose} needs a signing key: set BRADESCO_SIGNING_KEY to a PEM key file or pass signing_key=..."
            )
        return self.signing_key

    def __repr__(self) -> str:
        parts = [f"client_id={self.client_id!r}"]
        if self.client_secret is not None:
            parts.append(f"client_secret={self.client_secret!r}")
        if self.signing_key is not None:
            parts.append(f"signing_kid={self.signing_kid!r}")
        return f"Credentials({', '.join(parts)})"

    def _repr_html_(self) -> str:
        from .._html import esc

        return f"<code>{esc(repr(self))}</code>"

    def __reduce__(self) -> Any:
        raise TypeError("Credentials cannot be pickled; load them from the environment instead")


def load_signing_key(
    source: str | os.PathLike[str] | bytes, password: Password = None
) -> PrivateKey:
    """A private key from a PEM/DER path, bytes or PEM text (no certificate is needed to sign)."""
    data, label = read_source(source, argument="signing_key")
    parsed = parse(data, password=password_bytes(password), source=label)
    if parsed.key is None:
        raise ConfigurationError(
            f"{label} holds no private key; the signing key must be a private key file."
        )
    return parsed.key


def merge_credentials(
    credentials: Credentials | None,
    client_id: str | None,
    client_secret: str | Secret | None,
    signing_key: KeySource | None,
    signing_kid: str | None,
) -> Credentials:
    """`credentials` (default: from the environment) with the explicit shortcuts applied."""
    if credentials is None and client_id is None:
        credentials = Credentials.from_env()
    base = credentials or Credentials(client_id=str(client_id))
    return replace(
        base,
        client_id=client_id or base.client_id,
        client_secret=Secret(client_secret) if client_secret is not None else base.client_secret,
        signing_key=signing_key_from(signing_key) or base.signing_key,
        signing_kid=signing_kid or base.signing_kid,
    )


def signing_key_from(source: KeySource | None) -> PrivateKey | None:
    """A private key object, or one loaded from a path or bytes (None stays None)."""
    if source is None or not isinstance(source, str | bytes | os.PathLike):
        return source
    return load_signing_key(source)
