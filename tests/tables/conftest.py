"""A real loopback HTTPS bank for the table tests, built on the sandbox's server core.

Tests tell it what to answer with `bank.serve(method, path, handler)`; `bank.hits` counts the
requests per path and `bank.seen` keeps each request's query and JSON body. `fetch` is the
adapter a paginator calls, here over a real mTLS `transport.Session`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bradesco_explore.identity import CertificateAuthority, Identity
from bradesco_explore.sandbox._server import Reply, Request, Router, TLSServer, json_reply
from bradesco_explore.transport import NO_RETRY, Response, Session

Handler = Callable[[Request], Reply]


class Bank:
    """Canned answers per (method, path), over HTTPS with client certificates required."""

    def __init__(self, ca: CertificateAuthority) -> None:
        self.handlers: dict[tuple[str, str], Handler] = {}
        self.hits: Counter[str] = Counter()
        self.seen: list[dict[str, Any]] = []
        router = Router()
        router.before.append(self._dispatch)
        self.server = TLSServer(
            router, ca.issue_server(), ca.certificate_pem, client_cert="required"
        )

    @property
    def url(self) -> str:
        return self.server.base_url

    def serve(self, method: str, path: str, handler: Handler) -> None:
        self.handlers[(method, path)] = handler

    def reset(self) -> None:
        self.handlers.clear()
        self.hits.clear()
        self.seen.clear()

    def _dispatch(self, request: Request) -> Reply:
        self.hits[request.path] += 1
        query = {k: v[0] for k, v in request.query.items()}
        self.seen.append(
            {"path": request.path, "query": query, "body": request.json() if request.body else None}
        )
        handler = self.handlers.get((request.method, request.path))
        if handler is None:
            return json_reply(
                404,
                {
                    "errors": [
                        {"code": "NAO_ENCONTRADO", "title": "no handler", "detail": request.path}
                    ]
                },
            )
        reply = handler(request)
        echo = request.header("x-fapi-interaction-id")
        if echo:
            reply.headers.setdefault("x-fapi-interaction-id", echo)
        return reply


@pytest.fixture(scope="module")
def bank_server(ca: CertificateAuthority) -> Iterator[Bank]:
    bank = Bank(ca)
    bank.server.start()
    yield bank
    bank.server.stop()


@pytest.fixture
def bank(bank_server: Bank) -> Bank:
    bank_server.reset()
    return bank_server


@pytest.fixture(scope="module")
def session(client_identity: Identity, ca_bundle: Path) -> Iterator[Session]:
    with Session(client_identity, ca_bundle=ca_bundle, retry=NO_RETRY) as s:
        yield s


@pytest.fixture
def fetch(bank: Bank, session: Session) -> Callable[..., Response]:
    """`fetch(method, path_or_url, params, json_body)` as a client would provide it."""

    def call(method: str, target: str, params: Any, body: Any) -> Response:
        url = target if "://" in target else bank.url + target
        return session.request(method, url, params=params, json=body)

    return call
