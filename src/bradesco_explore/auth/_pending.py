"""`PendingAuthorization`: everything `finish` needs, kept between `authorize` and the redirect.

It survives a kernel restart: `save(path)` writes it as 0600 JSON (atomically) and
`PendingAuthorization.load(path)` reads it back in any process. Its repr shows where the user
must go and until when - never the state, nonce or PKCE verifier.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import write_file
from .._html import card, facts_table
from .._secret import Secret
from ..errors import ConfigurationError

__all__ = ["PendingAuthorization"]

_VERSION = 1


@dataclass(frozen=True, repr=False)
class PendingAuthorization:
    """An authorization request in progress: open `url`, then pass the redirect to `finish`.

    >>> pending = client.authorize(scopes=["openid", "accounts"], consent=consent_id)  # doctest: +SKIP
    >>> pending.save("pending.json")        # survives a kernel restart (0600)         # doctest: +SKIP
    >>> tokens = client.finish(PendingAuthorization.load("pending.json"), pasted_url)  # doctest: +SKIP
    """

    url: str
    issuer: str
    client_id: str
    redirect_uri: str
    state: Secret
    nonce: Secret
    code_verifier: Secret
    scopes: tuple[str, ...]
    response_type: str
    response_mode: str | None
    request_uri: str | None
    created_at: dt.datetime
    expires_at: dt.datetime
    family: str = ""
    max_age: int | None = None

    @property
    def uses_jarm(self) -> bool:
        """True when the response comes back as a signed JWT (`response_mode=jwt`)."""
        return bool(self.response_mode and self.response_mode.endswith("jwt"))

    @property
    def expects_id_token(self) -> bool:
        """True when the authorization response itself carries an ID token (`code id_token`)."""
        return "id_token" in self.response_type.split()

    # -- persistence ------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write to `path` as 0600 JSON, atomically; returns the path."""
        return write_file(path, json.dumps(self.to_json(), indent=1).encode(), private=True)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PendingAuthorization:
        """Read a pending authorization written by `save` (in this or another process)."""
        file = Path(path).expanduser()
        try:
            mode = file.stat().st_mode
            document = json.loads(file.read_bytes())
        except FileNotFoundError:
            raise ConfigurationError(
                f"{file} does not exist; save the pending authorization first."
            ) from None
        except (ValueError, RecursionError):
            raise ConfigurationError(
                f"{file} is not a saved pending authorization (not JSON)."
            ) from None
        if mode & 0o077:
            raise ConfigurationError(
                f"{file} is readable by other users (mode {mode & 0o777:o}); it holds the PKCE "
                "verifier. Run `chmod 600` on it, or start a new authorization."
            )
        return cls.from_json(document, source=str(file))

    def to_json(self) -> dict[str, Any]:
        """Every field, secrets revealed: for the 0600 file only."""
        return {
            "version": _VERSION,
            "url": self.url,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state.reveal(),
            "nonce": self.nonce.reveal(),
            "code_verifier": self.code_verifier.reveal(),
            "scopes": list(self.scopes),
            "response_type": self.response_type,
            "response_mode": self.response_mode,
            "request_uri": self.request_uri,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "family": self.family,
            "max_age": self.max_age,
        }

    @classmethod
    def from_json(cls, document: Any, *, source: str = "data") -> PendingAuthorization:
        """The inverse of `to_json`, with a clear error for anything else."""
        try:
            if document.get("version") != _VERSION:
                raise ValueError("version")
            return cls(
                url=str(document["url"]),
                issuer=str(document["issuer"]),
                client_id=str(document["client_id"]),
                redirect_uri=str(document["redirect_uri"]),
                state=Secret(str(document["state"])),
                nonce=Secret(str(document["nonce"])),
                code_verifier=Secret(str(document["code_verifier"])),
                scopes=tuple(document["scopes"]),
                response_type=str(document["response_type"]),
                response_mode=document.get("response_mode"),
                request_uri=document.get("request_uri"),
                created_at=dt.datetime.fromisoformat(document["created_at"]),
                expires_at=dt.datetime.fromisoformat(document["expires_at"]),
                family=str(document.get("family") or ""),
                max_age=document.get("max_age"),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise ConfigurationError(
                f"{source} is not a pending authorization saved by this version; start again "
                "with client.authorize(...)."
            ) from None

    # -- display ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        remaining = (self.expires_at - dt.datetime.now(dt.UTC)).total_seconds()
        when = f"link valid {int(remaining)} s more" if remaining > 0 else "link expired"
        return (
            f"PendingAuthorization(issuer={self.issuer!r}, scopes={' '.join(self.scopes)!r}, "
            f"{when}, redirect_uri={self.redirect_uri!r})"
        )

    def _repr_html_(self) -> str:
        rows = [
            ("issuer", self.issuer),
            ("scopes", " ".join(self.scopes)),
            (
                "response",
                self.response_type + (f" ({self.response_mode})" if self.response_mode else ""),
            ),
            ("redirect URI", self.redirect_uri),
            ("link valid until", self.expires_at.strftime("%H:%M:%S UTC")),
        ]
        # The one-time URL stays out of the HTML, so a saved notebook never keeps it: open
        # `pending.url` (or use the flow runner's link), then paste where you land.
        link = (
            "<p>Open <code>pending.url</code> in a browser (or use the link in <code>bx.explore()</code>), "
            "then paste the address you are sent back to into <code>client.finish(pending, url)</code>.</p>"
        )
        return card("Authorization pending", facts_table(rows) + link)

    def __reduce__(self) -> Any:
        raise TypeError("use pending.save(path) (0600 JSON) instead of pickling")
