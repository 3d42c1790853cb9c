"""A local-sandbox workspace per test module, and a fresh dashboard per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bradesco_explore.widgets import Dashboard, explore
from bradesco_explore.workspace import Workspace

from ._leaks import Forbidden


@pytest.fixture(scope="module")
def workspace() -> Iterator[Workspace]:
    with Workspace.open("local", transactions=300) as opened:
        yield opened


@pytest.fixture
def dashboard(workspace: Workspace) -> Iterator[Dashboard]:
    board = explore(workspace)
    yield board
    board.close()


@pytest.fixture
def forbidden(workspace: Workspace) -> Forbidden:
    """The sandbox identity's key (the sandbox's own secrets are added at each check)."""
    values = Forbidden()
    assert workspace.identity is not None
    values.add_key(workspace.identity)
    return values
