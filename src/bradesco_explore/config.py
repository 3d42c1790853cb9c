"""Where settings and secrets come from: arguments, then `BRADESCO_*` variables, then `.env`.

Never from code or notebooks. Secrets can also come from the system keyring (or any object
with a `get(name)` method), so a notebook can name a secret without holding it.

>>> client_id = setting("client_id")            # BRADESCO_CLIENT_ID, or .env     # doctest: +SKIP
>>> secret = secret_setting("client_secret")    # a Secret, never a bare str       # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from ._secret import Secret

PREFIX = "BRADESCO_"


class SecretSource(Protocol):
    """Anything that can look a secret up by its setting name (for example a vault client)."""

    def get(self, name: str) -> str | None:
        """The value for `name` (such as 'client_secret'), or None."""


class EnvironmentSource:
    """`BRADESCO_<NAME>` environment variables, then a `.env` file in the working directory."""

    def __init__(self, env_file: str | os.PathLike[str] | None = ".env") -> None:
        self.env_file = Path(env_file) if env_file is not None else None

    def get(self, name: str) -> str | None:
        key = PREFIX + name.upper()
        if os.environ.get(key):
            return os.environ[key]
        if self.env_file is not None:
            path = self.env_file.resolve()
            mtime = path.stat().st_mtime_ns if path.is_file() else 0
            return _dotenv(str(path), mtime).get(key) or None
        return None


class KeyringSource:
    """The operating system's keyring (needs the optional `keyring` package)."""

    def __init__(self, service: str = "bradesco-explore") -> None:
        self.service = service

    def get(self, name: str) -> str | None:
        try:
            import keyring
            from keyring.errors import KeyringError
        except ImportError:
            return None
        try:
            value = keyring.get_password(self.service, name)
        except KeyringError:
            return None
        return str(value) if value else None


DEFAULT_SOURCES: Sequence[SecretSource] = (EnvironmentSource(),)


def setting(
    name: str, value: str | None = None, *, sources: Sequence[SecretSource] | None = None
) -> str | None:
    """`value` if given, else the first source that knows `name` (env, then `.env`)."""
    if value:
        return value
    for source in sources or DEFAULT_SOURCES:
        found = source.get(name)
        if found:
            return found
    return None


def secret_setting(
    name: str, value: str | Secret | None = None, *, sources: Sequence[SecretSource] | None = None
) -> Secret | None:
    """Like `setting`, but the result is a `Secret` (safe to print)."""
    if isinstance(value, Secret):
        return value
    found = setting(name, value, sources=sources)
    return Secret(found) if found else None


@lru_cache(maxsize=8)
def _dotenv(path: str, mtime: int) -> Mapping[str, str]:
    """The file's values; `mtime` is part of the cache key so an edited file is re-read."""
    if not Path(path).is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None}
