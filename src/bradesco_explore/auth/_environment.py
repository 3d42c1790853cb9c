"""Environments are data, not code: where each API family lives and how it authenticates.

Switching a notebook from the local sandbox to Bradesco's sandbox or production changes only
which `Environment` is passed to the `Client`. Any FAPI 1.0 Advanced server is an environment
too, built from its discovery document (`Environment.discover`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._html import card, esc, facts_table
from ..errors import ConfigurationError
from ..identity import Identity
from ..transport import check_url

if TYPE_CHECKING:
    from ._discovery import ServerMetadata

Grant = Literal["client_credentials", "jwt_bearer", "authorization_code"]
AuthMethod = Literal[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
    "none",
]
AUTH_METHODS: tuple[str, ...] = AuthMethod.__args__  # type: ignore[attr-defined]
GRANTS: tuple[str, ...] = Grant.__args__  # type: ignore[attr-defined]

PIX_SCOPES = (
    "cob.write", "cob.read", "cobv.write", "cobv.read", "lotecobv.write", "lotecobv.read",
    "payloadlocation.write", "payloadlocation.read", "pix.write", "pix.read", "webhook.write", "webhook.read",
)  # fmt: skip
OPEN_FINANCE_SCOPES = (
    "openid",
    "consents",
    "accounts",
    "credit-cards-accounts",
    "resources",
    "customers",
)


@dataclass(frozen=True)
class Family:
    """One API family of an environment.

    - `base_url`: where its resource endpoints live (paths such as `/v2/cob` are joined to it);
    - `token_url`: its token endpoint (None when it comes from discovery);
    - `grant` and `auth_method`: how a token is obtained by default;
    - `scopes`: the scopes the server offers (forms show only these); `default_scopes`: what
      the client asks for when the caller names none (minimal);
    - `discovery_url`: for OpenID/FAPI families, the `.well-known/openid-configuration` URL;
    - `issuer`: the expected issuer (exact match) when known in advance;
    - `metadata`: the discovery document, when it was fetched up front (`Environment.discover`).
    """

    name: str
    base_url: str
    token_url: str | None = None
    grant: Grant = "client_credentials"
    auth_method: AuthMethod = "client_secret_basic"
    scopes: tuple[str, ...] = ()
    default_scopes: tuple[str, ...] = ()
    discovery_url: str | None = None
    issuer: str | None = None
    description: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        for url in (self.base_url, self.token_url, self.discovery_url):
            if url:
                check_url(url)
        if self.auth_method not in AUTH_METHODS:
            raise ConfigurationError(
                f"family '{self.name}': auth_method '{self.auth_method}' is not one of {', '.join(AUTH_METHODS)}."
            )
        if self.grant not in GRANTS:
            raise ConfigurationError(
                f"family '{self.name}': grant '{self.grant}' is not one of {', '.join(GRANTS)}."
            )
        if self.token_url is None and self.discovery_url is None:
            raise ConfigurationError(f"family '{self.name}' needs a token_url or a discovery_url.")

    def url(self, path: str) -> str:
        """`path` joined to `base_url` (absolute URLs are returned unchanged, after the scheme check)."""
        if path[:8].lower().startswith(("https://", "http://")):  # schemes are case-insensitive
            check_url(path)
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class Environment:
    """A named set of API families plus the CA bundle that verifies their servers.

    >>> env = Environment.bradesco_sandbox()            # doctest: +SKIP
    >>> env.family("pix").base_url
    'https://openapisandbox.prebanco.com.br'
    """

    name: str
    families: Mapping[str, Family]
    ca_bundle: Path | None = None
    default_family: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.families:
            raise ConfigurationError(f"environment '{self.name}' has no API families.")
        if not self.default_family:
            object.__setattr__(self, "default_family", next(iter(self.families)))
        if self.default_family not in self.families:
            raise ConfigurationError(
                f"environment '{self.name}': default family '{self.default_family}' is not one of {', '.join(self.families)}."
            )

    def family(self, name: str | None = None) -> Family:
        """The family called `name` (default: `default_family`), with a helpful error if unknown."""
        key = name or self.default_family
        try:
            return self.families[key]
        except KeyError:
            raise ConfigurationError(
                f"environment '{self.name}' has no family '{key}'; it has: {', '.join(self.families)}."
            ) from None

    def with_ca_bundle(self, ca_bundle: str | os.PathLike[str] | None) -> Environment:
        """A copy that verifies servers with `ca_bundle`."""
        return replace(self, ca_bundle=Path(ca_bundle) if ca_bundle is not None else None)

    # -- presets ---------------------------------------------------------------------------
    @classmethod
    def bradesco_sandbox(cls, *, ca_bundle: str | os.PathLike[str] | None = None) -> Environment:
        """Bradesco's own sandbox hosts (needs credentials from developers.bradesco.com.br)."""
        portal = "https://openapisandbox.prebanco.com.br"
        return cls.bradesco_paths(
            "Bradesco sandbox",
            portal=portal,
            legacy="https://proxy.api.prebanco.com.br",
            legacy_auth_path="/auth/server/v1.2/token",
            pix=portal,
            open_finance="https://api.tu.prebanco.com.br/bradesco/pf",
            ca_bundle=ca_bundle,
        )

    @classmethod
    def production(cls, *, ca_bundle: str | os.PathLike[str] | None = None) -> Environment:
        """Bradesco production hosts. Real money and real personal data: read-only scopes first."""
        return cls.bradesco_paths(
            "Bradesco production",
            portal="https://openapi.bradesco.com.br",
            legacy="https://openapi.bradesco.com.br",
            legacy_auth_path="/auth/server/v1.1/token",
            pix="https://qrpix.bradesco.com.br",
            open_finance="https://api.bradesco.com/bradesco/pf",
            ca_bundle=ca_bundle,
        )

    @classmethod
    def bradesco_paths(
        cls,
        name: str,
        *,
        portal: str,
        legacy: str,
        pix: str,
        open_finance: str,
        legacy_auth_path: str = "/auth/server/v1.1/token",
        discovery_url: str | None = None,
        issuer: str | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
    ) -> Environment:
        """Bradesco's four families and their documented paths, on the given hosts.

        The presets use it; use it yourself for a gateway or proxy in front of the bank, or
        for a local sandbox started by another process. `discovery_url` defaults to
        `open_finance + "/open-banking/.well-known/openid-configuration"`.
        """
        discovery = discovery_url or open_finance + "/open-banking/.well-known/openid-configuration"
        families = {
            "portal": Family("portal", portal, token_url=portal + "/auth/server-mtls/v2/token",
                             auth_method="client_secret_post",
                             description="Cobranca (boleto hibrido) and saldo/extrato: client_credentials over mTLS"),
            "legacy": Family("legacy", legacy, token_url=legacy + legacy_auth_path, grant="jwt_bearer", auth_method="none",
                             description="Open APIs: JWT-bearer assertion (RS256) and X-Brad-Signature"),
            "pix": Family("pix", pix, token_url=pix + "/auth/server/oauth/token", auth_method="client_secret_basic",
                          scopes=PIX_SCOPES, default_scopes=("cob.read",),
                          description="Pix (Bacen API Pix v2): client_credentials with Basic over mTLS"),
            "openfinance": Family("openfinance", open_finance, grant="authorization_code", auth_method="private_key_jwt",
                                  discovery_url=discovery, issuer=issuer,
                                  scopes=OPEN_FINANCE_SCOPES, default_scopes=("openid", "accounts"),
                                  description="Open Finance Brasil: FAPI 1.0 Advanced (PAR, JAR, PKCE, private_key_jwt)"),
        }  # fmt: skip
        return cls(
            name, families, ca_bundle=Path(ca_bundle) if ca_bundle else None, default_family="pix"
        )

    @classmethod
    def discover(
        cls,
        discovery_url: str,
        *,
        api_base: str | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        auth_method: AuthMethod = "private_key_jwt",
        scopes: tuple[str, ...] = ("openid",),
        name: str | None = None,
        issuer: str | None = None,
        identity: Identity | None = None,
        fetch: bool = True,
    ) -> Environment:
        """Any FAPI 1.0 Advanced server, described by its discovery URL.

        The document is fetched now (verified with `ca_bundle`, presenting `identity` if the
        server wants a certificate) and checked: its issuer must be exactly the one the URL
        names (or `issuer`), every endpoint https://. `fetch=False` defers that to the
        client's first use. `api_base` is where its resource APIs live (discovery does not
        say); it defaults to the discovery URL's origin.
        """
        from urllib.parse import urlsplit

        parts = urlsplit(discovery_url)
        base = api_base or f"{parts.scheme}://{parts.netloc}"
        document: Mapping[str, Any] = {}
        if fetch:
            metadata = _fetch_metadata(discovery_url, ca_bundle, identity, issuer)
            document, issuer = metadata.document, metadata.issuer
        family = Family("fapi", base, grant="authorization_code", auth_method=auth_method,
                        discovery_url=discovery_url, scopes=scopes, default_scopes=scopes,
                        issuer=issuer, metadata=document,
                        description="FAPI 1.0 Advanced server from its discovery document")  # fmt: skip
        return cls(
            name or parts.netloc, {"fapi": family}, ca_bundle=Path(ca_bundle) if ca_bundle else None
        )

    # -- display ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Environment({self.name!r}, families={list(self.families)}, default={self.default_family!r})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><b>{esc(f.name)}</b></td><td><code>{esc(f.base_url)}</code></td>"
            f"<td>{esc(f.grant)}</td><td>{esc(f.auth_method)}</td><td>{esc(f.description)}</td></tr>"
            for f in self.families.values()
        )
        table = ("<table><tr><th>family</th><th>base URL</th><th>grant</th><th>client auth</th><th></th></tr>"
                 f"{rows}</table>")  # fmt: skip
        facts = facts_table(
            [
                ("CA bundle", self.ca_bundle or "system default"),
                ("default family", self.default_family),
            ]
        )
        return card(f"Environment: {self.name}", facts + table)


def _fetch_metadata(
    discovery_url: str,
    ca_bundle: str | os.PathLike[str] | None,
    identity: Identity | None,
    issuer: str | None,
) -> ServerMetadata:
    from ..transport import Session
    from ._discovery import fetch_metadata

    with Session(identity, ca_bundle=ca_bundle) as session:
        return fetch_metadata(session, discovery_url, issuer=issuer)
