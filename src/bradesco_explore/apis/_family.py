"""What every API helper checks first: the client's family, and the dates it was given.

Dates and instants may be given as Python objects or as ISO 8601 text (`"2024-10-01"`,
`"2024-10-01T00:00:00Z"`), as a notebook user types them; anything else is a clear
`ConfigurationError` naming the argument, never an `AttributeError` from deep inside.
"""

from __future__ import annotations

import contextlib
import datetime as dt
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


def as_date(value: object, name: str) -> dt.date:
    """`value` as a calendar date: a `date` (a `datetime` gives its date) or `"YYYY-MM-DD"`."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigurationError(
        f"{name} must be a date: datetime.date(2024, 10, 1) or '2024-10-01', not {value!r}."
    )


def as_instant(value: object, name: str) -> dt.datetime:
    """`value` as a timezone-aware datetime, or ISO 8601 text with an offset (`...Z`)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = dt.datetime.fromisoformat(value.strip())
    if not isinstance(value, dt.datetime):
        raise ConfigurationError(
            f"{name} must be a date and time: datetime(2024, 10, 1, tzinfo=UTC) or "
            f"'2024-10-01T00:00:00Z', not {value!r}."
        )
    if value.tzinfo is None:
        raise ConfigurationError(
            f"{name} ({value.isoformat()}) has no timezone; give one, e.g. "
            "datetime(..., tzinfo=UTC) or '...T00:00:00Z' (the bank reads times in UTC)."
        )
    return value
