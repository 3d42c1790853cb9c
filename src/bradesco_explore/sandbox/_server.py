"""The sandbox's small core: a threaded HTTPS server with optional client certificates,
a router, request/response objects and fault injection.

Each API family registers routes on a `Router`; the server hands every request to it. TLS
handshakes run in the per-connection thread, so one slow client never blocks the others, and
HTTP/1.1 keep-alive is on (responses always carry Content-Length). `stop()` also closes the
kept-alive connections, so a stopped server answers nothing.

The access log names the method, the path and the status only: query strings can carry
one-time values (PAR `request_uri`, JARM responses) and never reach a log line.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography import x509

from .._secret import get_logger
from ..identity import Identity, certificate_thumbprint

log = get_logger("bradesco_explore.sandbox")

ClientCertMode = str  # "required" | "optional" | "none"


@dataclass
class Request:
    """One incoming request as the family handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes
    client_cert: x509.Certificate | None
    port: int
    params: dict[str, str] = field(default_factory=dict)
    raw_query: str = ""
    clock: Callable[[], float] = time.time
    """The answering server's clock (the sandbox's skewable one): envelopes stamp times with it."""
    thumbprint: str | None = None
    """`x5t#S256` of `client_cert` when the server already knows it (one per connection)."""

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header value, case-insensitively."""
        return self.headers.get(name, default)

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON (raises `ValueError` if it is not)."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """The body parsed as application/x-www-form-urlencoded (first value per key)."""
        return {
            k: v[0]
            for k, v in parse_qs(
                self.body.decode("utf-8", "replace"), keep_blank_values=True
            ).items()
        }

    @property
    def cert_thumbprint(self) -> str | None:
        """`x5t#S256` of the client certificate presented on this connection, if any."""
        if self.client_cert is None:
            return None
        if self.thumbprint is None:
            self.thumbprint = certificate_thumbprint(self.client_cert)
        return self.thumbprint


@dataclass
class Reply:
    """What a handler returns: status, body (bytes, or JSON-able) and headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (fault injection)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        self.headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body, ensure_ascii=False).encode()


def json_reply(status: int, body: Any, **headers: str) -> Reply:
    """A JSON reply."""
    return Reply(status=status, body=body, headers=dict(headers))


Handler = Callable[[Request], Reply]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    template: str


def _depth(path: str) -> int:
    """How many segments a path has (a trailing slash does not count)."""
    return path.rstrip("/").count("/")


class Router:
    """Maps `METHOD /path/{param}` to handlers; unknown paths get 404, wrong methods 405.

    Answers the server makes itself (404, 405, the 500 of a handler that raised, injected
    faults) go through `render_fault`, so they come in the envelope of the family that owns
    the path once `fault_renderer` is set; without one they are `{"message": ...}`.
    """

    def __init__(self) -> None:
        self._routes: list[_Route] = []
        # routes by path depth: a template only matches paths with as many segments
        self._by_depth: dict[int, list[_Route]] = {}
        self.before: list[Callable[[Request], Reply | None]] = []
        self.hits: Counter[str] = Counter()  # "METHOD /template" -> requests routed there
        self.fault_renderer: Callable[[Request, Reply], Reply] | None = None
        self._hits_lock = threading.Lock()

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register `handler` for `method` and a path template such as `/v2/cob/{txid}`."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template.rstrip("/") or "/")
        route = _Route(method.upper(), re.compile(f"^{regex}/?$"), handler, template)
        self._routes.append(route)
        self._by_depth.setdefault(_depth(template), []).append(route)

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        """Decorator form of `add`."""

        def decorate(handler: Handler) -> Handler:
            self.add(method, template, handler)
            return handler

        return decorate

    def dispatch(self, request: Request) -> Reply:
        for hook in self.before:
            early = hook(request)
            if early is not None:
                return early
        allowed: list[str] = []
        for route in self._by_depth.get(_depth(request.path), ()):
            match = route.pattern.match(request.path)
            if match is None:
                continue
            if route.method != request.method:
                allowed.append(route.method)
                continue
            request.params = {k: unquote(v) for k, v in match.groupdict().items()}
            with self._hits_lock:
                self.hits[f"{route.method} {route.template}"] += 1
            return route.handler(request)
        if allowed:
            reply = json_reply(
                405,
                {"message": f"method {request.method} is not allowed on {request.path}"},
                Allow=", ".join(dict.fromkeys(allowed)),
            )
        else:
            reply = json_reply(
                404, {"message": f"no such endpoint: {request.method} {request.path}"}
            )
        return self.render_fault(request, reply)

    def templates(self) -> Iterable[tuple[str, str]]:
        """(method, template) of every route, for docs and tests."""
        return [(r.method, r.template) for r in self._routes]

    def render_fault(self, request: Request, reply: Reply) -> Reply:
        """A reply the server made itself (`{"message"}` body: injected fault, 404, 405, 500),
        dressed in the envelope of the family that owns the path, if a renderer is set."""
        if self.fault_renderer is None or reply.drop:
            return reply
        return self.fault_renderer(request, reply)


@dataclass
class Faults:
    """Fault injection, switched on by tests and notebooks.

    Each counter applies to the next N matching requests (path prefix `only`, empty = all):
    `status_429`, `status_503`, `status_529` answer with that status and `Retry-After`;
    `drop` closes the connection without answering; `latency` delays every answer.
    """

    latency: float = 0.0
    status_429: int = 0
    status_503: int = 0
    status_529: int = 0
    drop: int = 0
    retry_after: float = 0.0
    only: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, request: Request) -> Reply | None:
        """The injected reply for this request, if a fault is armed for it."""
        if self.latency:
            time.sleep(self.latency)
        if self.only and not request.path.startswith(self.only):
            return None
        with self.lock:
            for name, status in (("status_429", 429), ("status_503", 503), ("status_529", 529)):
                if getattr(self, name) > 0:
                    setattr(self, name, getattr(self, name) - 1)
                    return json_reply(
                        status,
                        {"message": f"injected fault: HTTP {status}"},
                        **{"Retry-After": f"{self.retry_after:g}"},
                    )
            if self.drop > 0:
                self.drop -= 1
                return Reply(drop=True)
        return None

    def clear(self) -> None:
        """Disarm every fault."""
        with self.lock:
            self.latency = self.retry_after = 0.0
            self.status_429 = self.status_503 = self.status_529 = self.drop = 0
            self.only = ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TLSServer

    timeout = 300  # idle keep-alive connections close after 5 minutes
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK stall every kept-alive response by ~40 ms.
    disable_nagle_algorithm = True

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header reads the server's clock, skewed like every other time it reads.
        return super().date_time_string(self.server.clock() if timestamp is None else timestamp)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox %s", format % args)

    def log_error(self, format: str, *args: Any) -> None:
        # http.server passes the raw request line to some of these messages: leave it out.
        log.debug("sandbox refused a malformed request from %s", self.client_address[0])

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Never the request line: its query string may hold a request_uri or a JARM response.
        path = urlsplit(self.path).path if hasattr(self, "path") else "-"
        log.debug("sandbox %s %s -> %s", getattr(self, "command", "-"), path, code)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        certificate, thumbprint = self._peer()
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,  # type: ignore[arg-type]
            body=body,
            client_cert=certificate,
            port=self.server.server_address[1],
            raw_query=parts.query,
            clock=self.server.clock,
            thumbprint=thumbprint,
        )
        reply = self._reply(request)
        if reply.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = reply.encoded()
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        # Headers and body leave in one TLS record and one write (end_headers() would flush
        # the headers alone first, doubling the per-response cost of a kept-alive call).
        buffer: list[bytes] = self._headers_buffer  # type: ignore[attr-defined]  # stdlib, untyped
        buffer.append(b"\r\n")
        if self.command != "HEAD":
            buffer.append(payload)
        self.flush_headers()

    def _peer(self) -> tuple[x509.Certificate | None, str | None]:
        """The client certificate and its thumbprint, parsed once per connection: TLS fixes
        them at the handshake (renegotiation is off), so every kept-alive request shares them."""
        peer: tuple[x509.Certificate | None, str | None] | None = getattr(self, "_peer_cache", None)
        if peer is None:
            certificate = _peer_certificate(self.connection)
            peer = (certificate, certificate_thumbprint(certificate) if certificate else None)
            self._peer_cache = peer
        return peer

    def _reply(self, request: Request) -> Reply:
        router = self.server.router
        fault = self.server.faults.take(request)
        if fault is not None:
            return router.render_fault(request, fault)
        try:
            return router.dispatch(request)
        except Exception:  # a handler bug must answer 500, not kill the connection silently
            log.debug(
                "sandbox handler for %s %s failed", request.method, request.path, exc_info=True
            )
        crash = json_reply(500, {"message": "internal sandbox error (see the DEBUG log)"})
        try:
            return router.render_fault(request, crash)
        except Exception:
            log.debug("sandbox could not render the 500 for %s", request.path, exc_info=True)
            return crash

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


def _peer_certificate(connection: Any) -> x509.Certificate | None:
    getpeercert = getattr(connection, "getpeercert", None)
    if getpeercert is None:
        return None
    der = getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der) if der else None


class TLSServer(ThreadingHTTPServer):
    """HTTPS on 127.0.0.1 with the sandbox CA; handshakes happen in the connection's thread.

    `clock` is the server's time (the `Date` header); the sandbox passes its skewable clock.
    """

    daemon_threads = True
    allow_reuse_address = False

    def __init__(
        self,
        router: Router,
        server_identity: Identity,
        client_ca_pem: bytes,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        client_cert: ClientCertMode = "optional",
        faults: Faults | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.router = router
        self.faults = faults or Faults()
        self.clock = clock
        self.context = _server_context(server_identity, client_ca_pem, client_cert)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        self._track(request, add=True)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("sandbox TLS handshake from %s failed: %s", client_address, exc)
            self._track(request, add=False)
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            self._track(request, add=False)
            with contextlib.suppress(OSError):
                tls.close()

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("sandbox connection from %s ended with an error", client_address, exc_info=True)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"https://{host!s}:{port}"

    def start(self) -> threading.Thread:
        """Serve in a daemon thread and return it."""
        thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.server_address[1]}",
            daemon=True,
        )
        thread.start()
        return thread

    def stop(self) -> None:
        """Stop serving, close the listening socket and every open connection."""
        self.shutdown()
        self.server_close()
        with self._connections_lock:
            open_connections = list(self._connections)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _server_context(
    identity: Identity, client_ca_pem: bytes, mode: ClientCertMode
) -> ssl.SSLContext:
    from ..transport import load_identity

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # FAPI-BR: no renegotiation, so a connection's client certificate never changes (the
    # handler reads it once per connection)
    context.options |= ssl.OP_NO_RENEGOTIATION
    load_identity(context, identity)
    context.verify_mode = {
        "required": ssl.CERT_REQUIRED,
        "optional": ssl.CERT_OPTIONAL,
        "none": ssl.CERT_NONE,
    }[mode]
    if mode != "none":
        context.load_verify_locations(cadata=client_ca_pem.decode("ascii"))
    return context
