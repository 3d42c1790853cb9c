"""`Response`: what a call returned, with the bank's error envelopes understood."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

import requests

from .._html import badge, esc
from .._secret import redact
from ..errors import HTTPStatusError
from ._log import safe_url

_PREVIEW_CHARS = 2000


class Response:
    """An HTTP response: `status_code`, `headers`, `json()`, `text`, and the exchange facts.

    `interaction_id` is the `x-fapi-interaction-id` sent (and echoed); `url` is redacted.
    `raise_for_status()` raises `HTTPStatusError` with the error envelope parsed.
    """

    def __init__(
        self, raw: requests.Response, *, interaction_id: str, elapsed_ms: float, attempts: int
    ) -> None:
        self._raw = raw
        self.status_code: int = raw.status_code
        self.headers: Mapping[str, str] = raw.headers
        self.interaction_id = interaction_id
        self.elapsed_ms = elapsed_ms
        self.attempts = attempts
        self.method: str = raw.request.method or "GET"
        self._safe_url: str | None = None

    @property
    def url(self) -> str:
        """The URL that answered, with secret and personal query values masked."""
        if self._safe_url is None:  # worked out when shown, not on every call
            self._safe_url = safe_url(self._raw.url)
        return self._safe_url

    @property
    def ok(self) -> bool:
        """True for 2xx."""
        return 200 <= self.status_code < 300

    @property
    def content(self) -> bytes:
        """The raw body bytes."""
        return self._raw.content

    @property
    def text(self) -> str:
        """The body decoded as text."""
        return self._raw.text

    def json(self) -> Any:
        """The body parsed as JSON; a clear `HTTPStatusError`-free `ValueError` subclass if not JSON."""
        from ..errors import DataError

        try:
            return json.loads(self._raw.content or b"null")
        except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
            kind = self.headers.get("content-type", "unknown type")
            raise DataError(
                f"{self.method} {self.url} answered {self.status_code} with a body that is not JSON "
                f"({kind}, {len(self._raw.content)} bytes).",
                field="body",
            ) from None

    def raise_for_status(self) -> Response:
        """Return self for 2xx/3xx; raise `HTTPStatusError` with the parsed envelope otherwise."""
        if self.status_code < 400:
            return self
        raise status_error(self)

    def __repr__(self) -> str:
        return (
            f"<Response {self.method} {self.url} -> {self.status_code}, {self.elapsed_ms:.0f} ms>"
        )

    def _repr_html_(self) -> str:
        level = "info" if self.ok else "error"
        body = self.text[:_PREVIEW_CHARS]
        with contextlib.suppress(ValueError):
            body = json.dumps(self.json(), indent=2, ensure_ascii=False)[:_PREVIEW_CHARS]
        return (
            f"{badge(str(self.status_code), level)} <code>{esc(self.method)} {esc(self.url)}</code> "
            f"<small>{self.elapsed_ms:.0f} ms, x-fapi-interaction-id {esc(self.interaction_id)}</small>"
            f"<details><summary>body</summary><pre>{esc(redact(body))}</pre></details>"
        )


def status_error(response: Response, *, note: str = "") -> HTTPStatusError:
    """An `HTTPStatusError` for an error response, with its envelope normalised.

    `note` is appended to the message (for example what the caller knows about the cause).
    """
    errors = parse_error_envelope(response)
    summary = (
        "; ".join(
            " ".join(str(e[k]) for k in ("code", "title", "detail") if e.get(k)) for e in errors
        )
        or response.text[:200].strip()
        or "no body"
    )
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    hint = _hint(response.status_code, retry_after, response.headers.get("www-authenticate", ""))
    return HTTPStatusError(
        redact(
            f"{response.method} {response.url} failed with HTTP {response.status_code}: {summary.rstrip('.')}.{hint}{note}"
        ),
        status=response.status_code,
        url=response.url,
        interaction_id=response.interaction_id,
        errors=errors,
        retry_after=retry_after,
    )


def _hint(status: int, retry_after: float | None, challenge: str = "") -> str:
    """Advice for the status; for 401 only when the server says the token itself was refused.

    A 401 for a bad request signature, nonce or timestamp carries the bank's own message,
    and "get a new token" would be wrong advice there.
    """
    if status == 401:
        refused = "invalid_token" in challenge
        return (
            " The token is missing, expired or not bound to this certificate: get a new token."
            if refused
            else ""
        )
    hints = {
        403: " The token lacks the scope or consent for this call: request the needed scope.",
        404: " Check the path and identifiers.",
        429: " Too many requests: slow down",
        529: " The bank is overloaded: try again later.",
    }
    text = hints.get(status, "")
    if status == 429:
        text += f" and retry after {retry_after:g} s." if retry_after is not None else "."
    return text


def server_time(response: Response) -> float | None:
    """The server's clock reading from the response's `Date` header (epoch seconds), or None."""
    from email.utils import parsedate_to_datetime

    value = response.headers.get("date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, OverflowError):
        return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import datetime as dt
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def parse_error_envelope(response: Response) -> list[dict[str, Any]]:
    """Normalise any of the APIs' error bodies to a list of `{code, title, detail}` dicts.

    Open Finance `{"errors": [...]}`; Pix problem details (`type`, `title`, `detail`,
    `violacoes`); Bradesco `{code, message, details}` and `{codigo, mensagem, errosValidacao}`;
    OAuth `{error, error_description}`. Anything else gives an empty list.
    """
    try:
        body = response.json()
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    return _normalise(body)


def _normalise(body: dict[str, Any]) -> list[dict[str, Any]]:
    if isinstance(body.get("errors"), list):
        return [
            _entry(e.get("code"), e.get("title"), e.get("detail")) for e in _objects(body["errors"])
        ]
    if "error" in body and isinstance(body["error"], str):
        return [_entry(body["error"], None, body.get("error_description"))]
    if "violacoes" in body or ("type" in body and "title" in body):
        base = [
            _entry(
                str(body.get("type", "")).rsplit("/", 1)[-1], body.get("title"), body.get("detail")
            )
        ]
        for v in _objects(body.get("violacoes")):
            base.append(_entry(v.get("propriedade"), v.get("razao"), v.get("valor")))
        return base
    if "codigo" in body or "mensagem" in body:
        base = [_entry(body.get("codigo"), body.get("mensagem"), None)]
        for v in _objects(body.get("errosValidacao")):
            base.append(_entry(v.get("campo"), v.get("mensagem"), None))
        return base
    if "code" in body or "message" in body:
        base = [_entry(body.get("code"), body.get("message"), None)]
        for d in _objects(body.get("details")):
            base.append(_entry(d.get("name"), d.get("value"), None))
        return base
    return []


def _objects(value: object) -> list[dict[str, Any]]:
    """The JSON objects of a list field; anything else (a number, a string, null) has none."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _entry(code: object, title: object, detail: object) -> dict[str, Any]:
    return {"code": code, "title": title, "detail": detail}
