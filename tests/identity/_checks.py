"""The one check every bad input of the identity layer goes through."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import pytest

from bradesco_explore.errors import BradescoExploreError

E = TypeVar("E", bound=BradescoExploreError)


def assert_clean(exc: BaseException) -> None:
    """No library exception chained in: the traceback ends in our code."""
    assert exc.__cause__ is None
    assert exc.__suppress_context__ or exc.__context__ is None


def raises_clean(expected: type[E], message: str, call: Callable[[], object]) -> E:
    """`call()` raises exactly `expected` (not a subclass, not a parent), with a message
    matching the regex `message`, and no library exception chained in."""
    with pytest.raises(BradescoExploreError) as info:
        call()
    error = info.value
    assert type(error) is expected, f"{type(error).__name__}: {error}"
    assert re.search(message, str(error)), str(error)
    assert_clean(error)
    return error  # type: ignore[return-value]  # type(error) is expected, checked above
