"""One sandbox and one client per family for the API-helper tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bradesco_explore.auth import Client
from bradesco_explore.sandbox import Sandbox


@pytest.fixture(scope="package")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=11, transactions=600) as sandbox:
        yield sandbox


def _client(sb: Sandbox, family: str) -> Iterator[Client]:
    with Client(sb.environment, family, identity=sb.identity, credentials=sb.credentials) as client:
        yield client


@pytest.fixture(scope="package")
def pix_client(sb: Sandbox) -> Iterator[Client]:
    yield from _client(sb, "pix")


@pytest.fixture(scope="package")
def portal_client(sb: Sandbox) -> Iterator[Client]:
    yield from _client(sb, "portal")


@pytest.fixture(scope="package")
def legacy_client(sb: Sandbox) -> Iterator[Client]:
    yield from _client(sb, "legacy")


@pytest.fixture(scope="package")
def of_client(sb: Sandbox) -> Iterator[Client]:
    yield from _client(sb, "openfinance")
