"""A one-shot listener on the loopback redirect URI, for when browser and kernel share a host.

Browsers only reach it on `http://127.0.0.1:PORT/...` (or `localhost`): the redirect URI must be
one of those, registered as such. A response in the fragment (`code id_token`) never reaches a
server, so the first page load returns a tiny page that resends the fragment as a query;
the listener rebuilds the URL exactly as the browser saw it and returns it for `finish`.
"""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .._secret import get_logger
from ..errors import ConfigurationError, RequestTimeoutError
from ..transport import is_loopback

log = get_logger("bradesco_explore.auth.listener")

__all__ = ["FRAGMENT_MARKER", "listen_for_redirect"]

FRAGMENT_MARKER = "bx_fragment"

_RELAY_PAGE = (
    "<!doctype html><meta charset=utf-8><title>bradesco-explore</title><body><p id=m>Finishing…</p>"
    "<script>if(location.hash.length>1){location.replace(location.pathname+'?"
    + FRAGMENT_MARKER
    + "=1&'+location.hash.substring(1));}else{document.getElementById('m').textContent="
    "'This address carries no authorization response.';}</script>"
)
_DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>bradesco-explore</title>"
    "<p>Authorization response received. You can close this tab and return to the notebook.</p>"
)


def listen_for_redirect(redirect_uri: str, *, timeout: float = 300.0) -> str:
    """Serve `redirect_uri` until the browser arrives; return the full redirect URL."""
    host, port, path = _loopback_target(redirect_uri)
    captured: list[str] = []
    handler = _handler_class(redirect_uri, path, captured)
    try:
        server = HTTPServer((host, port), handler)
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot listen on {host}:{port} for the redirect ({exc.strerror}); is another "
            "listener running? Paste the redirect URL into client.finish instead."
        ) from None
    server.timeout = 0.25
    deadline = time.monotonic() + timeout
    try:
        while not captured and time.monotonic() < deadline:
            server.handle_request()
    finally:
        server.server_close()
    if not captured:
        raise RequestTimeoutError(
            f"No browser came back to {redirect_uri} within {timeout:.0f} s; open pending.url "
            "and finish the consent, or paste the redirect URL into client.finish.",
            url=redirect_uri,
        )
    return captured[0]


def _loopback_target(redirect_uri: str) -> tuple[str, int, str]:
    parts = urlsplit(redirect_uri)
    if (
        parts.scheme != "http"
        or not parts.hostname
        or not is_loopback(parts.hostname)
        or not parts.port
    ):
        raise ConfigurationError(
            f"The listener needs a loopback redirect URI such as http://127.0.0.1:8765/callback "
            f"(registered with the server); {redirect_uri!r} is not one. Paste the redirect URL "
            "into client.finish instead."
        )
    return parts.hostname, parts.port, parts.path or "/"


def _handler_class(
    redirect_uri: str, path: str, captured: list[str]
) -> type[BaseHTTPRequestHandler]:
    base = redirect_uri.split("?", 1)[0].split("#", 1)[0]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path != path:
                self._send(404, "<p>Not the redirect URI.</p>")
                return
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            if not pairs:
                self._send(200, _RELAY_PAGE)
                return
            if pairs[0] == (FRAGMENT_MARKER, "1"):
                captured.append(base + "#" + urlencode(pairs[1:]))
            else:
                captured.append(base + "?" + parts.query)
            self._send(200, _DONE_PAGE)

        def _send(self, status: int, page: str) -> None:
            body = page.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("redirect listener: %s", self.command)

    return Handler
