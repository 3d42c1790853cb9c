"""Which client may call which helper: each helper names the families it speaks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from ..auth import Client


def require_family(client: Client, *names: str) -> None:
    """Raise a clear error when `client` was built for another API family."""
    if client.family.name not in names:
        wanted = " or ".join(f"'{n}'" for n in names)
        raise ConfigurationError(
            f"This call belongs to the {wanted} family, but the client was built for "
            f"'{client.family.name}'. Build one with bx.Client(env, family={names[0]!r}, ...)."
        )
