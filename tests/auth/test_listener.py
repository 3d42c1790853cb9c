"""The loopback redirect listener, driven by a stand-in browser (plain HTTP on 127.0.0.1)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests

from bradesco_explore.auth import Client
from bradesco_explore.auth._listener import listen_for_redirect
from bradesco_explore.errors import ConfigurationError, RequestTimeoutError

from ._as import FapiServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def in_background(target: Callable[[], str]) -> tuple[threading.Thread, list[str]]:
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(target()))
    thread.start()
    return thread, result


def browse(url: str) -> requests.Response:
    """What a browser does: fetch the URL (fragments are never sent), retrying until it listens."""
    for _ in range(200):
        try:
            with requests.Session() as session:
                session.trust_env = False
                return session.get(url.split("#", maxsplit=1)[0], timeout=5)
        except requests.ConnectionError:
            threading.Event().wait(0.02)
    raise AssertionError("listener never came up")


def test_a_query_response_is_captured() -> None:
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    thread, result = in_background(lambda: listen_for_redirect(redirect, timeout=10))
    page = browse(redirect + "?code=abc&state=xyz&iss=https%3A%2F%2Fas.example")
    thread.join()
    assert "close this tab" in page.text
    assert result == [redirect + "?code=abc&state=xyz&iss=https%3A%2F%2Fas.example"]


def test_a_fragment_response_is_relayed_and_rebuilt() -> None:
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    thread, result = in_background(lambda: listen_for_redirect(redirect, timeout=10))
    relay = browse(redirect)
    assert "location.hash" in relay.text
    browse(redirect + "?bx_fragment=1&code=abc&state=xyz")
    thread.join()
    assert result == [redirect + "#code=abc&state=xyz"]


def test_the_listener_needs_a_loopback_http_redirect_uri() -> None:
    with pytest.raises(ConfigurationError, match="loopback"):
        listen_for_redirect("https://app.example/cb")


def test_nobody_coming_back_times_out() -> None:
    with pytest.raises(RequestTimeoutError, match="No browser came back"):
        listen_for_redirect(f"http://127.0.0.1:{free_port()}/cb", timeout=0.3)


def test_a_full_flow_through_the_listener(
    fapi: FapiServer, make_client: Callable[..., Client]
) -> None:
    redirect = f"http://127.0.0.1:{free_port()}/cb"
    fapi.clients["fapi-client"].redirect_uris = (redirect,)
    client = make_client(redirect_uri=redirect)
    pending = client.authorize(scopes=["openid", "accounts"])
    thread, result = in_background(lambda: client.listen_for_redirect(pending, timeout=10))
    landing = client.follow(pending)  # the browser lands here, the response in the fragment
    browse(landing)
    browse(redirect + "?bx_fragment=1&" + urlsplit(landing).fragment)
    thread.join()
    assert client.finish(pending, result[0]).id_token_claims is not None
