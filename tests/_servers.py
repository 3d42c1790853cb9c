"""Small real HTTPS servers for transport tests, built on the sandbox's server core."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

from bradesco_explore.identity import CertificateAuthority
from bradesco_explore.identity._names import distinguished_name
from bradesco_explore.sandbox._server import Reply, Request, Router, TLSServer, json_reply


class EchoServer:
    """Echoes what it received: path, query, headers, body, and the client certificate.

    Paths: `/echo` answers 200; `/status/<n>` answers n (with `Retry-After` from the query);
    `/flaky/<key>/<n>` fails with 503 (Retry-After 0) n times per key, then answers 200;
    `/drop/<key>/<n>` closes the connection n times per key, then answers 200;
    `/wrong-echo` echoes a different x-fapi-interaction-id.
    """

    def __init__(self, ca: CertificateAuthority, *, client_cert: str = "required") -> None:
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        router = Router()
        router.add("GET", "/echo", self._echo)
        router.add("POST", "/echo", self._echo)
        router.add("GET", "/status/{code}", self._status)
        router.add("POST", "/status/{code}", self._status)
        for method in ("GET", "POST", "PUT"):
            router.add(method, "/flaky/{key}/{times}", self._flaky)
            router.add(method, "/drop/{key}/{times}", self._drop)
        router.add(
            "GET",
            "/wrong-echo",
            lambda r: json_reply(200, {}, **{"x-fapi-interaction-id": "other"}),
        )
        self.server = TLSServer(
            router, ca.issue_server(), ca.certificate_pem, client_cert=client_cert
        )

    @property
    def url(self) -> str:
        return self.server.base_url

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    @classmethod
    def running(cls, ca: CertificateAuthority, *, client_cert: str) -> Iterator[EchoServer]:
        """Start one and stop it afterwards: `yield from EchoServer.running(ca, ...)` in a fixture."""
        server = cls(ca, client_cert=client_cert)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    def _count(self, key: str) -> int:
        with self._lock:
            self.hits[key] += 1
            return self.hits[key]

    def _echo(self, request: Request) -> Reply:
        self._count(request.path)
        subject = distinguished_name(request.client_cert.subject) if request.client_cert else None
        return json_reply(
            200,
            {
                "method": request.method,
                "path": request.path,
                "query": {k: v[0] for k, v in request.query.items()},
                "headers": {k.lower(): v for k, v in request.headers.items()},
                "body": request.body.decode("utf-8", "replace"),
                "client_subject": subject,
                "thumbprint": request.cert_thumbprint,
            },
            **{"x-fapi-interaction-id": request.header("x-fapi-interaction-id") or ""},
        )

    def _status(self, request: Request) -> Reply:
        self._count(request.path)
        headers = {}
        if request.arg("retry_after") is not None:
            headers["Retry-After"] = request.arg("retry_after") or "0"
        code = int(request.params["code"])
        return json_reply(
            code,
            {"errors": [{"code": "TEST", "title": f"status {code}", "detail": "injected"}]},
            **headers,
        )

    def _flaky(self, request: Request) -> Reply:
        seen = self._count(request.params["key"])
        if seen <= int(request.params["times"]):
            return json_reply(503, {"message": "busy"}, **{"Retry-After": "0"})
        return json_reply(200, {"attempt": seen})

    def _drop(self, request: Request) -> Reply:
        seen = self._count(request.params["key"])
        if seen <= int(request.params["times"]):
            return Reply(drop=True)
        return json_reply(200, {"attempt": seen})
