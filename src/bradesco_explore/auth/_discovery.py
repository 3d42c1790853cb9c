"""Authorization-server metadata: fetched from a discovery URL and checked before any use.

The `issuer` in the document must be exactly the issuer the discovery URL names (OpenID
Connect Discovery §4.3, RFC 8414 §3.3): no normalisation, no trailing-slash forgiveness
beyond what the URL construction itself loses. Every endpoint must be https://. When the
client presents a certificate, `mtls_endpoint_aliases` (RFC 8705 §5) take precedence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigurationError, ResponseValidationError
from ..transport import Session, check_url

__all__ = ["ServerMetadata", "expected_issuers", "fetch_metadata", "validate_metadata"]

_OIDC_SUFFIX = "/.well-known/openid-configuration"
_OAUTH_SEGMENT = "/.well-known/oauth-authorization-server"
_ENDPOINT_KEYS = (
    "authorization_endpoint",
    "token_endpoint",
    "pushed_authorization_request_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
)


@dataclass(frozen=True)
class ServerMetadata(Mapping[str, Any]):
    """What the client knows about an authorization server: `issuer` and its endpoints.

    It reads like the discovery document itself (`metadata["token_endpoint"]`).
    """

    issuer: str | None
    document: Mapping[str, Any] = field(default_factory=dict)
    source: str = "configuration"

    def __getitem__(self, name: str) -> Any:
        return self.document[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.document)

    def __len__(self) -> int:
        return len(self.document)

    def endpoint(self, name: str, *, mtls: bool) -> str | None:
        """The URL of endpoint `name` (`token_endpoint`, ...), the mTLS alias when `mtls`."""
        aliases = self.document.get("mtls_endpoint_aliases")
        if mtls and isinstance(aliases, Mapping) and isinstance(aliases.get(name), str):
            return str(aliases[name])
        value = self.document.get(name)
        return value if isinstance(value, str) else None

    def require(self, name: str, *, mtls: bool) -> str:
        """Like `endpoint`, with a clear error when the server does not offer it."""
        url = self.endpoint(name, mtls=mtls)
        if url is None:
            raise ConfigurationError(
                f"The authorization server ({self.source}) advertises no {name}; this flow "
                "needs it. Check the discovery URL or the family's configuration."
            )
        return url

    def flag(self, name: str) -> bool:
        """A boolean metadata value (absent = False)."""
        return self.document.get(name) is True

    def require_issuer(self) -> str:
        """The issuer, which ID tokens, JARM and the `iss` parameter are checked against."""
        if not self.issuer:
            raise ConfigurationError(
                f"No issuer is known for {self.source}: give the family a discovery_url or an issuer."
            )
        return self.issuer


def expected_issuers(discovery_url: str) -> tuple[str, ...]:
    """The issuer values a discovery URL allows (OIDC: prefix; RFC 8414: inserted segment).

    OIDC strips a trailing `/` from the issuer before appending the well-known path, so both
    forms are allowed when only the URL is known; pass `issuer=` to pin one exactly.
    """
    try:
        parts = urlsplit(discovery_url)
    except ValueError as exc:
        raise ConfigurationError(
            f"{discovery_url!r} is not a URL ({exc}); give the https:// discovery URL."
        ) from None
    path = parts.path
    if path.endswith(_OIDC_SUFFIX):
        base = urlunsplit((parts.scheme, parts.netloc, path[: -len(_OIDC_SUFFIX)], "", ""))
        return (base, base + "/")
    if path.startswith(_OAUTH_SEGMENT):
        rest = path[len(_OAUTH_SEGMENT) :]
        return (urlunsplit((parts.scheme, parts.netloc, rest, "", "")),)
    raise ConfigurationError(
        f"{discovery_url} is not a .well-known/openid-configuration or "
        ".well-known/oauth-authorization-server URL, so the expected issuer is unknown: pass issuer=..."
    )


def fetch_metadata(
    session: Session, discovery_url: str, *, issuer: str | None = None
) -> ServerMetadata:
    """GET the discovery document and validate it (see `validate_metadata`)."""
    response = session.request("GET", discovery_url, headers={"Accept": "application/json"})
    response.raise_for_status()
    try:
        document = response.json()
    except ValueError:
        document = None
    return validate_metadata(document, discovery_url=discovery_url, issuer=issuer)


def validate_metadata(
    document: Any, *, discovery_url: str, issuer: str | None = None
) -> ServerMetadata:
    """Check a discovery document: a JSON object, the exact issuer, https:// endpoints."""
    if not isinstance(document, dict):
        raise ResponseValidationError(
            f"{discovery_url} did not return a JSON object; it is not a discovery document.",
            check="discovery.format",
        )
    allowed = (issuer,) if issuer else expected_issuers(discovery_url)
    found = document.get("issuer")
    if not isinstance(found, str) or found not in allowed:
        raise ResponseValidationError(
            f"Discovery issuer mismatch: {discovery_url} says issuer {found!r}, but it must be "
            f"exactly {allowed[0]!r}. A server that names another issuer may be an impostor; "
            "nothing from it is used.",
            check="discovery.issuer",
        )
    _check_endpoints(document, discovery_url)
    if not isinstance(document.get("token_endpoint"), str):
        raise ResponseValidationError(
            f"{discovery_url} names no token_endpoint.", check="discovery.token_endpoint"
        )
    return ServerMetadata(issuer=found, document=document, source=discovery_url)


def _check_endpoints(document: Mapping[str, Any], discovery_url: str) -> None:
    aliases = document.get("mtls_endpoint_aliases")
    if aliases is not None and not isinstance(aliases, Mapping):
        raise ResponseValidationError(
            f"{discovery_url}: mtls_endpoint_aliases is not an object.", check="discovery.format"
        )
    candidates = [(k, document.get(k)) for k in _ENDPOINT_KEYS]
    candidates += [(f"mtls_endpoint_aliases.{k}", v) for k, v in (aliases or {}).items()]
    for name, url in candidates:
        if url is None:
            continue
        try:
            if not isinstance(url, str):
                raise ConfigurationError("not a string")
            check_url(url)
        except ConfigurationError:
            raise ResponseValidationError(
                f"{discovery_url}: {name} is {url!r}, not an https:// URL; refusing the document.",
                check="discovery.endpoint",
            ) from None
