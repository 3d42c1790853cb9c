"""Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592), over mTLS.

Open Finance Brasil registers clients this way: the directory signs a software statement
(PS256, accepted for 5 minutes); the client POSTs it with its metadata to the server's
`registration_endpoint` over mTLS (the `mtls_endpoint_aliases` entry when there is one); the
server answers with a `client_id`, a `registration_client_uri` and a
`registration_access_token`. Each later read or update of the registration presents that
token, and the server may answer with a new one: the old one then stops working, so the new
one is stored - atomically, in a 0600 file when the registration has one - before the call
returns. Without the latest token the registration can no longer be changed or deleted.

>>> registration = register_client(env, identity=ident, software_statement=ssa,    # doctest: +SKIP
...                                store="registration.json")
>>> creds = registration.credentials(signing_key="signing-key.pem")              # doctest: +SKIP
>>> client = Client(env, identity=ident, credentials=creds)                      # doctest: +SKIP
>>> registration.read()        # a new registration access token, already saved  # doctest: +SKIP

Before a registration response is used, the client checks that it names a `client_id`; that
`token_endpoint_auth_method`, `jwks_uri` and `tls_client_auth_subject_dn` are the ones asked
for (when the response states them); that `redirect_uris` are no wider than requested; that
an echoed `software_statement` is the one sent; and that the management URI is https://. A
response that fails is refused with `ResponseValidationError`, and the registration it created
is deleted when the server allows it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeGuard

import jwt
import requests

from .._files import write_file
from .._html import card, facts_table
from .._secret import Secret, get_logger
from ..errors import BradescoExploreError, ConfigurationError, OAuthError, ResponseValidationError
from ..identity import Identity
from ..transport import NO_RETRY, ExchangeLog, RequestSigner, Response, Session, check_url
from ._credentials import Credentials, KeySource, signing_key_from
from ._discovery import ServerMetadata, fetch_metadata, validate_metadata
from ._environment import AUTH_METHODS, Environment, Family
from ._grants import json_object, oauth_error
from ._tokens import _CacheFile

log = get_logger("bradesco_explore.auth.registration")

__all__ = ["Registration", "register_client"]

_FILE_VERSION = 1
_FAPI_METADATA: Mapping[str, Any] = {
    "tls_client_certificate_bound_access_tokens": True,
    "id_token_signed_response_alg": "PS256",
    "request_object_signing_alg": "PS256",
}
_MATCHED_FIELDS = ("token_endpoint_auth_method", "jwks_uri", "tls_client_auth_subject_dn")
_SECRET_FIELDS = frozenset({"registration_access_token", "client_secret", "software_statement"})
_NOT_IN_UPDATES = frozenset(  # RFC 7592 §2.2: the server's own fields are never sent back
    {"registration_access_token", "registration_client_uri", "client_secret_expires_at",
     "client_id_issued_at", "client_secret", "software_statement"}
)  # fmt: skip
_WWW_AUTHENTICATE_ERROR = re.compile(r'error\s*=\s*"?([A-Za-z_]+)"?')
_HINTS = {
    "invalid_software_statement": "The software statement must be the directory's signed "
    "statement for this software, issued less than 5 minutes ago, and not already used for a "
    "registration: fetch a new one from the directory.",
    "unapproved_software_statement": "This server does not accept statements from this "
    "directory or software; check the environment and the software's roles.",
    "invalid_redirect_uri": "Register only redirect URIs that the software statement lists "
    "(software_redirect_uris).",
    "invalid_client_metadata": "A metadata value was refused: jwks_uri must be the statement's "
    "software_jwks_uri, keys by value (jwks) are not accepted in Open Finance Brasil, and the "
    "auth method must be one the server supports.",
}


# -- registering -----------------------------------------------------------------------------------
def register_client(
    server: Environment | ServerMetadata | Mapping[str, Any],
    *,
    identity: Identity,
    software_statement: str | Secret,
    redirect_uris: Sequence[str] | None = None,
    jwks_uri: str | None = None,
    auth_method: str = "private_key_jwt",
    tls_client_auth_subject_dn: str | None = None,
    grant_types: Sequence[str] | None = None,
    response_types: Sequence[str] = ("code id_token",),
    scopes: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    family: str | None = None,
    ca_bundle: str | os.PathLike[str] | None = None,
    session: Session | None = None,
    store: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> Registration:
    """Register a client (RFC 7591) over mTLS with `identity`; returns its `Registration`.

    - `server`: an `Environment` (its family with a discovery URL, or `family`), the server's
      `ServerMetadata`, or its discovery document as a dict; the `registration_endpoint`
      (its mTLS alias when there is one) receives the request;
    - `software_statement`: the directory-signed statement (a JWT), sent as is;
    - `redirect_uris` and `jwks_uri`: default to the statement's `software_redirect_uris` and
      `software_jwks_uri` (Open Finance Brasil requires these to match);
    - `auth_method`: the `token_endpoint_auth_method` (default `private_key_jwt`, signed
      PS256); for `tls_client_auth` the `tls_client_auth_subject_dn` defaults to the
      certificate's subject as RFC 4514 text, `OID=#hex` for attributes without a short name;
    - `grant_types`: default authorization_code, refresh_token, client_credentials, plus
      implicit when a response type returns an ID token from the authorization endpoint;
    - `response_types` (default `code id_token`), `scopes` (sent as `scope` when given);
    - `metadata`: any other client metadata, merged last (a value of None removes a field).
      Also sent unless overridden: `tls_client_certificate_bound_access_tokens: true` and
      PS256 for ID tokens and request objects;
    - `store`: a file (written 0600, atomically) that keeps the registration and its latest
      access token; an existing file is never overwritten unless `overwrite=True`.

    Refusals by the server raise `OAuthError` (`invalid_software_statement`,
    `invalid_redirect_uri`, `invalid_client_metadata`, ...); a response that does not match
    the request raises `ResponseValidationError`.
    """
    statement = Secret(software_statement)
    target = _free_store(store, overwrite)
    body = _request_body(
        _statement_claims(statement),
        identity=identity,
        redirect_uris=redirect_uris,
        jwks_uri=jwks_uri,
        auth_method=auth_method,
        subject_dn=tls_client_auth_subject_dn,
        grant_types=grant_types,
        response_types=response_types,
        scopes=scopes,
        extra=metadata or {},
    )
    owned = session is None
    session = session or Session(identity, ca_bundle=ca_bundle or _ca_bundle(server))
    try:
        found = _server_metadata(server, session, family)
        endpoint = found.require("registration_endpoint", mtls=True)
        document = _post_registration(session, endpoint, body, statement)
    except BaseException:
        if owned:
            session.close()
        raise
    registration = Registration(
        _State.from_response(document, issuer=found.issuer),
        session=session,
        owns_session=owned,
    )
    if target is not None:
        registration.save(target)
    log.info("registered client %s at %s", registration.client_id, endpoint)
    return registration


def _request_body(
    claims: Mapping[str, Any],
    *,
    identity: Identity,
    redirect_uris: Sequence[str] | None,
    jwks_uri: str | None,
    auth_method: str,
    subject_dn: str | None,
    grant_types: Sequence[str] | None,
    response_types: Sequence[str],
    scopes: Sequence[str] | None,
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    """The RFC 7591 request, without the software statement (added only on the wire)."""
    if auth_method not in AUTH_METHODS:
        raise ConfigurationError(
            f"auth_method {auth_method!r} is not one of {', '.join(AUTH_METHODS)}."
        )
    if isinstance(redirect_uris, str):
        raise ConfigurationError(
            f"redirect_uris must be a list of URIs, not the string {redirect_uris!r}: pass "
            "[...] around it."
        )
    body: dict[str, Any] = {
        "redirect_uris": list(redirect_uris or _statement_value(claims, "software_redirect_uris")),
        "jwks_uri": jwks_uri or _statement_value(claims, "software_jwks_uri"),
        "token_endpoint_auth_method": auth_method,
        "grant_types": list(grant_types or _default_grants(response_types)),
        "response_types": list(response_types),
        **_FAPI_METADATA,
    }
    if auth_method == "private_key_jwt":
        body["token_endpoint_auth_signing_alg"] = "PS256"  # noqa: S105 - an algorithm name
    if subject_dn is None and auth_method == "tls_client_auth":
        subject_dn = identity.subject  # RFC 4514, `OID=#hex` for the Open Finance attributes
    if subject_dn is not None:
        body["tls_client_auth_subject_dn"] = subject_dn
    if scopes is not None:
        body["scope"] = " ".join(scopes)
    body.update(extra)
    return {name: value for name, value in body.items() if value is not None}


def _statement_claims(statement: Secret) -> dict[str, Any]:
    """The statement's claims, read (not verified: the server verifies) for defaults only."""
    try:
        claims = jwt.decode(statement.reveal(), options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError):  # ValueError: text that is not encodable UTF-8
        raise ConfigurationError(
            "software_statement is not a signed JWT (RFC 7591 §2.3): pass the statement the "
            "directory issued for your software, as text."
        ) from None
    return dict(claims)


def _statement_value(claims: Mapping[str, Any], name: str) -> Any:
    """`software_redirect_uris` (a list of strings) or `software_jwks_uri` (a string)."""
    value = claims.get(name)
    parameter = "redirect_uris" if name == "software_redirect_uris" else "jwks_uri"
    if not value:
        raise ConfigurationError(
            f"The software statement has no {name}, so {parameter} cannot default to it: pass "
            f"{parameter}=..."
        )
    is_list = name == "software_redirect_uris"
    if not (_is_text_list(value) if is_list else _is_text(value)):
        shape = "a list of URIs" if is_list else "a URI"
        raise ConfigurationError(
            f"The software statement's {name} is not {shape} (it is "
            f"{type(value).__name__}), so {parameter} cannot default to it: pass "
            f"{parameter}=..., or fetch a new statement from the directory."
        )
    return value


def _default_grants(response_types: Sequence[str]) -> list[str]:
    """OpenID Connect Registration §2: a front-channel ID token or token needs `implicit`."""
    front_channel = any({"id_token", "token"} & set(t.split()) for t in response_types)
    implicit = ["implicit"] if front_channel else []
    return ["authorization_code", *implicit, "refresh_token", "client_credentials"]


# -- the server and its answers ----------------------------------------------------------------------
def _server_metadata(
    server: Environment | ServerMetadata | Mapping[str, Any], session: Session, family: str | None
) -> ServerMetadata:
    if isinstance(server, ServerMetadata):
        return server
    if isinstance(server, Environment):
        return _family_metadata(_discovery_family(server, family), session)
    document = dict(server)
    issuer = document.get("issuer")
    return ServerMetadata(
        issuer=issuer if isinstance(issuer, str) else None,
        document=document,
        source="the server metadata given",
    )


def _discovery_family(environment: Environment, name: str | None) -> Family:
    """The named family, else the default one if it has discovery, else the only one that does."""
    if name is not None or environment.family().discovery_url:
        return environment.family(name)
    found = [f for f in environment.families.values() if f.discovery_url]
    if len(found) == 1:
        return found[0]
    raise ConfigurationError(
        f"Environment '{environment.name}' has {len(found) or 'no'} families with a discovery "
        f"URL; pass family=... (one of {', '.join(environment.families)})."
    )


def _family_metadata(family: Family, session: Session) -> ServerMetadata:
    if family.discovery_url is None:
        raise ConfigurationError(
            f"Family '{family.name}' has no discovery URL, so its registration endpoint is "
            "unknown: use a family of Environment.discover(...) or pass the server's metadata."
        )
    if family.metadata:
        return validate_metadata(
            dict(family.metadata), discovery_url=family.discovery_url, issuer=family.issuer
        )
    return fetch_metadata(session, family.discovery_url, issuer=family.issuer)


def _ca_bundle(server: object) -> Path | None:
    return server.ca_bundle if isinstance(server, Environment) else None


def _post_registration(
    session: Session, endpoint: str, body: Mapping[str, Any], statement: Secret
) -> dict[str, Any]:
    response = session.request(
        "POST",
        endpoint,
        json={**body, "software_statement": statement.reveal()},
        headers={"Accept": "application/json"},
    )
    if response.status_code >= 400:
        raise _refusal(response, "registration endpoint")
    document = _json_object(response, "registration endpoint")
    try:
        if response.status_code not in (200, 201):
            raise ResponseValidationError(
                f"The registration endpoint ({response.url}) answered {response.status_code}, "
                "not 201 Created; the answer is not used.",
                check="registration.format",
            )
        _check_registration(document, body, statement)
    except ResponseValidationError as refused:
        raise _withdrawn(refused, document, session) from None
    return document


def _check_registration(
    document: Mapping[str, Any], sent: Mapping[str, Any], statement: Secret
) -> None:
    _require_client_id(document, expected=None)
    uri, token = _management_fields(document)
    if (uri is None) != (token is None):
        raise ResponseValidationError(
            "The registration response carries only one of registration_client_uri and "
            "registration_access_token; RFC 7592 needs both to manage the registration.",
            check="registration.management",
        )
    _check_against_request(document, sent, statement)


def _require_client_id(document: Mapping[str, Any], *, expected: str | None) -> str:
    client_id = document.get("client_id")
    if not _is_text(client_id):
        raise ResponseValidationError(
            "The registration response has no client_id.", check="registration.client_id"
        )
    if expected is not None and client_id != expected:
        raise ResponseValidationError(
            f"The client configuration endpoint answered for client {client_id!r}, not for "
            f"{expected!r}; the answer is not used.",
            check="registration.client_id",
        )
    return client_id


def _management_fields(document: Mapping[str, Any]) -> tuple[str | None, Secret | None]:
    """`registration_client_uri` (https:// only) and the access token, when present."""
    uri, token = document.get("registration_client_uri"), document.get("registration_access_token")
    if token is not None and not _is_text(token):
        raise ResponseValidationError(
            "The registration_access_token in the response is not a string.",
            check="registration.management",
        )
    if uri is not None:
        try:
            if not isinstance(uri, str):
                raise ConfigurationError("not a string")
            check_url(uri)
        except ConfigurationError:
            raise ResponseValidationError(
                f"The registration_client_uri {uri!r} is not an https:// URL; the registration "
                "access token is never sent to it.",
                check="registration.management",
            ) from None
    return uri, Secret(token) if token else None


def _check_against_request(
    answer: Mapping[str, Any], sent: Mapping[str, Any], statement: Secret | None
) -> None:
    """What the server registered must be what was asked for, where it matters for security."""
    for name in _MATCHED_FIELDS:
        if name in sent and name in answer and answer[name] != sent[name]:
            raise ResponseValidationError(
                f"The server registered {name}={answer[name]!r}, not the {sent[name]!r} asked "
                "for; the registration is not used.",
                check=f"registration.{name}",
            )
    asked = sent.get("redirect_uris", [])
    granted = _redirect_uris(answer, default=asked)
    if not granted or not set(granted) <= set(asked):
        raise ResponseValidationError(
            f"The server registered redirect_uris {granted!r}, not (a subset of) the "
            f"{asked!r} asked for; a redirect URI this client did not ask for could receive "
            "its codes.",
            check="registration.redirect_uris",
        )
    echoed = answer.get("software_statement")
    if statement is not None and echoed is not None and echoed != statement.reveal():
        raise ResponseValidationError(
            "The registration response echoes a software statement other than the one sent "
            "(RFC 7591 §3.2.1 says it is returned unmodified).",
            check="registration.software_statement",
        )


def _redirect_uris(answer: Mapping[str, Any], *, default: list[str]) -> list[str]:
    """The answer's `redirect_uris`, refused unless it is a list of strings (RFC 7591 §2)."""
    granted = answer.get("redirect_uris", default)
    if not _is_text_list(granted):
        raise ResponseValidationError(
            f"The server registered redirect_uris {_shown(granted)}, which is not a list of "
            "URIs (strings); the registration is not used.",
            check="registration.redirect_uris",
        )
    return granted


def _shown(value: object) -> str:
    """A value from a response, for a message: its repr, at most 200 characters."""
    text = repr(value)
    return text if len(text) <= 200 else text[:199] + "…"


def _withdrawn(
    refused: ResponseValidationError, document: Mapping[str, Any], session: Session
) -> ResponseValidationError:
    """The refusal, after trying to delete the registration the refused answer created."""
    client_id = document.get("client_id")
    if not _is_text(client_id):
        return refused
    deleted = False
    with contextlib.suppress(BradescoExploreError):
        uri, token = _management_fields(document)
        if uri is not None and token is not None:
            deleted = _send(session, "DELETE", uri, token).ok
    outcome = (
        "was deleted"
        if deleted
        else "could not be deleted by the client: ask the server's operator to remove it"
    )
    message = f"{refused} The registration it created (client_id {client_id!r}) {outcome}."
    return ResponseValidationError(message, check=refused.check)


def _json_object(response: Response, endpoint: str) -> dict[str, Any]:
    return json_object(
        response, endpoint=endpoint, expected="a client registration", check="registration.format"
    )


def _refusal(response: Response, endpoint: str) -> Exception:
    """The server's OAuth error, with what to do about the registration errors."""
    error = oauth_error(response, endpoint=endpoint)
    hint = _HINTS.get(error.error, "") if isinstance(error, OAuthError) else ""
    if not isinstance(error, OAuthError) or not hint:
        return error
    return OAuthError(
        f"{error} {hint}",
        error=error.error,
        error_description=error.error_description,
        status=error.status,
        url=error.url,
        interaction_id=error.interaction_id,
    )


def _management_refusal(response: Response) -> Exception:
    if response.status_code != 401:
        return _refusal(response, "client configuration endpoint")
    found = _WWW_AUTHENTICATE_ERROR.search(response.headers.get("WWW-Authenticate", ""))
    error = found.group(1) if found else "invalid_token"
    return OAuthError(
        f"The client configuration endpoint ({response.url}) refused the registration access "
        "token (401). The server replaces it on every read or update and only the latest one "
        "works: load the registration from its store file (Registration.load(path)). If that "
        "fails too, the registration is gone; register again with a fresh software statement.",
        error=error,
        status=401,
        url=response.url,
        interaction_id=response.interaction_id,
    )


def _send(
    session: Session,
    method: str,
    uri: str,
    token: Secret,
    body: Mapping[str, Any] | None = None,
) -> Response:
    """One RFC 7592 call. Never retried: a replay after the server rotated the token fails."""
    return session.request(
        method,
        uri,
        json=body,
        headers={"Accept": "application/json"},
        auth=_bearer(token),
        retry=NO_RETRY,
    )


def _bearer(token: Secret) -> RequestSigner:
    def apply(prepared: requests.PreparedRequest) -> None:
        prepared.headers["Authorization"] = f"Bearer {token.reveal()}"

    return apply


# -- the registration --------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class _State:
    """One consistent snapshot of a registration: swapped whole, never edited in place."""

    client_id: str
    metadata: Mapping[str, Any]
    uri: str | None = None
    access_token: Secret | None = None
    client_secret: Secret | None = None
    issuer: str | None = None

    @classmethod
    def from_response(
        cls, document: Mapping[str, Any], *, issuer: str | None, previous: _State | None = None
    ) -> _State:
        """The state a (checked) registration or configuration response describes."""
        uri, token = _management_fields(document)
        secret = document.get("client_secret")
        kept = previous or cls(client_id="", metadata={})
        return cls(
            client_id=str(document["client_id"]),
            metadata=_public_metadata(document),
            uri=uri or kept.uri,
            access_token=token or kept.access_token,
            client_secret=Secret(secret) if _is_text(secret) else kept.client_secret,
            issuer=issuer,
        )

    def to_json(self) -> dict[str, Any]:
        """Every field, values revealed: for the 0600 store file only."""
        return {
            "version": _FILE_VERSION,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "registration_client_uri": self.uri,
            "registration_access_token": _reveal(self.access_token),
            "client_secret": _reveal(self.client_secret),
            "metadata": dict(self.metadata),
            "saved_at": dt.datetime.now(dt.UTC).isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _State:
        """The inverse of `to_json`."""
        token, secret = data.get("registration_access_token"), data.get("client_secret")
        return cls(
            client_id=str(data["client_id"]),
            metadata=dict(data.get("metadata") or {}),
            uri=data.get("registration_client_uri"),
            access_token=Secret(token) if token else None,
            client_secret=Secret(secret) if secret else None,
            issuer=data.get("issuer"),
        )


def _public_metadata(document: Mapping[str, Any]) -> dict[str, Any]:
    hidden = _SECRET_FIELDS | {"registration_client_uri"}
    return {name: value for name, value in document.items() if name not in hidden}


def _is_text(value: object) -> TypeGuard[str]:
    """A non-empty string."""
    return isinstance(value, str) and bool(value)


def _is_text_list(value: object) -> TypeGuard[list[str]]:
    """A list whose every entry is a non-empty string."""
    return isinstance(value, list) and all(_is_text(v) for v in value)


def _reveal(value: Secret | None) -> str | None:
    return value.reveal() if value is not None else None


class Registration:
    """A dynamically registered client and the means to manage it (RFC 7592).

    Made by `register_client` or `Registration.load(path)`. `client_id`, `metadata` (what the
    server registered, secrets removed), `registration_client_uri`, and the
    `registration_access_token` and `client_secret` as `Secret`s. `read()`, `update(...)` and
    `delete()` call the client configuration endpoint over mTLS; a new access token in the
    answer replaces the old one in memory and, with a `store` file, on disk (0600, atomic)
    before the call returns. Calls are serialised per registration, and across kernels
    sharing the store file, so two callers never spend the same token.
    """

    def __init__(
        self,
        state: _State,
        *,
        session: Session | None,
        owns_session: bool = False,
        store: str | os.PathLike[str] | None = None,
    ) -> None:
        self._state = state
        self._session = session
        self._owns_session = owns_session
        self._lock = threading.Lock()
        self._store: Path | None = None
        self._file: _CacheFile | None = None
        self.deleted = False
        if store is not None:
            self._use_store(Path(store).expanduser())

    # -- facts ---------------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        """The `client_id` the server issued."""
        return self._state.client_id

    @property
    def metadata(self) -> dict[str, Any]:
        """The client metadata the server registered (a copy; no secret in it)."""
        return dict(self._state.metadata)

    @property
    def registration_client_uri(self) -> str | None:
        """The client configuration endpoint (None when the server offers no management)."""
        return self._state.uri

    @property
    def registration_access_token(self) -> Secret | None:
        """The latest registration access token (it changes on every read or update)."""
        return self._state.access_token

    @property
    def client_secret(self) -> Secret | None:
        """A client secret, when the server issued one."""
        return self._state.client_secret

    @property
    def issuer(self) -> str | None:
        """The authorization server the client is registered with."""
        return self._state.issuer

    @property
    def store(self) -> Path | None:
        """The 0600 file that keeps this registration, if any."""
        return self._store

    @property
    def log(self) -> ExchangeLog:
        """Every HTTP exchange of this registration's session (redacted)."""
        return self._session.log if self._session is not None else ExchangeLog()

    def credentials(
        self, *, signing_key: KeySource | None = None, signing_kid: str | None = None
    ) -> Credentials:
        """`Credentials` for a `Client`: this client id, its secret if any, your signing key."""
        return Credentials(
            client_id=self.client_id,
            client_secret=self.client_secret,
            signing_key=signing_key_from(signing_key),
            signing_kid=signing_kid,
        )

    # -- RFC 7592 --------------------------------------------------------------------------------
    def read(self) -> dict[str, Any]:
        """GET the registration as the server holds it now (§2.1); returns its metadata."""
        with self._exclusive() as (state, session):
            response = self._call(session, "GET", state)
            return self._adopt(response, state, sent=None, statement=None)

    def update(
        self, *, software_statement: str | Secret | None = None, **changes: Any
    ) -> dict[str, Any]:
        """PUT the full metadata with `changes` applied (§2.2); returns what was registered.

        A change to None removes that field. Open Finance Brasil servers ask for a fresh
        `software_statement` with every update. The answer is checked like a registration's.
        """
        statement = Secret(software_statement) if software_statement is not None else None
        with self._exclusive() as (state, session):
            body = _update_body(state, changes)
            wire = {**body, "software_statement": statement.reveal()} if statement else body
            response = self._call(session, "PUT", state, wire)
            return self._adopt(response, state, sent=body, statement=statement)

    def delete(self) -> None:
        """DELETE the registration (§2.3); the store file is removed with it."""
        with self._exclusive() as (state, session):
            self._call(session, "DELETE", state)
            self._state = replace(state, uri=None, access_token=None)
            self.deleted = True
            if self._store is not None:
                self._store.unlink(missing_ok=True)
        log.info("deleted the registration of client %s", state.client_id)

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[tuple[_State, Session]]:
        """One management call at a time, with the latest token (another kernel's included)."""
        file_lock = self._file.locked() if self._file else contextlib.nullcontext()
        with self._lock, file_lock:
            self._reload()
            yield self._require_management(), self._require_session()

    def _call(
        self,
        session: Session,
        method: str,
        state: _State,
        body: Mapping[str, Any] | None = None,
    ) -> Response:
        assert state.uri is not None and state.access_token is not None
        response = _send(session, method, state.uri, state.access_token, body)
        if not response.ok:
            raise _management_refusal(response)
        return response

    def _adopt(
        self,
        response: Response,
        previous: _State,
        *,
        sent: Mapping[str, Any] | None,
        statement: Secret | None,
    ) -> dict[str, Any]:
        """The configuration endpoint's answer, checked and kept (see `_adopt_document`)."""
        document = _json_object(response, "client configuration endpoint")
        return self._adopt_document(document, previous, sent=sent, statement=statement)

    def _adopt_document(
        self,
        document: Mapping[str, Any],
        previous: _State,
        *,
        sent: Mapping[str, Any] | None,
        statement: Secret | None,
    ) -> dict[str, Any]:
        """Store a rotated token first (the old one is dead), then check and keep the rest."""
        uri, token = _management_fields(document)
        self._commit(
            replace(previous, uri=uri or previous.uri, access_token=token or previous.access_token)
        )
        _require_client_id(document, expected=previous.client_id)
        if sent is not None:
            _check_against_request(document, sent, statement)
        else:  # a read: nothing to compare with, but the shape must still be right
            _redirect_uris(document, default=[])
        self._commit(_State.from_response(document, issuer=previous.issuer, previous=self._state))
        return self.metadata

    def _require_management(self) -> _State:
        state = self._state
        if self.deleted:
            raise ConfigurationError(f"The registration of client {state.client_id} was deleted.")
        if state.uri is None or state.access_token is None:
            raise ConfigurationError(
                f"The server gave client {state.client_id} no registration_client_uri and "
                "registration access token, so it offers no RFC 7592 management."
            )
        return state

    def _require_session(self) -> Session:
        if self._session is None:
            raise ConfigurationError(
                "Managing a registration needs the registered certificate (mTLS): load it with "
                "Registration.load(path, identity=..., ca_bundle=...)."
            )
        return self._session

    # -- persistence -------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the registration to `path` (default: its store) 0600, atomically; keep it there."""
        target = Path(path).expanduser() if path is not None else self._store
        if target is None:
            raise ConfigurationError("This registration has no store file: pass save(path).")
        self._use_store(target)
        self._commit(self._state)
        return target

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str],
        *,
        identity: Identity | None = None,
        ca_bundle: str | os.PathLike[str] | None = None,
        session: Session | None = None,
    ) -> Registration:
        """A registration from its store file; pass `identity` (mTLS) to read, update or delete."""
        target = Path(path).expanduser()
        state = _State.from_json(_read_store(target))
        owned = session is None and identity is not None
        if owned:
            session = Session(identity, ca_bundle=ca_bundle)
        return cls(state, session=session, owns_session=owned, store=target)

    def _use_store(self, path: Path) -> None:
        # the token cache's lock: flock on a sidecar ".lock" file, shared by every kernel
        self._store, self._file = path, _CacheFile(path)

    def _commit(self, state: _State) -> None:
        self._state = state
        if self._store is not None:
            payload = json.dumps(state.to_json(), indent=1).encode()
            write_file(self._store, payload, private=True)

    def _reload(self) -> None:
        if self._store is None or not self._store.exists():
            return
        stored = _State.from_json(_read_store(self._store))
        if stored.client_id == self._state.client_id:
            self._state = stored

    # -- lifecycle and display ---------------------------------------------------------------------
    def close(self) -> None:
        """Close the mTLS session, if this registration opened it."""
        if self._session is not None and self._owns_session:
            self._session.close()

    def __enter__(self) -> Registration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = self._state
        parts = [
            f"client_id={state.client_id!r}",
            f"auth={state.metadata.get('token_endpoint_auth_method')!r}",
            f"registration_access_token={state.access_token!r}",
        ]
        if state.client_secret is not None:
            parts.append(f"client_secret={state.client_secret!r}")
        parts.append(f"store={str(self._store)!r}" if self._store else "in memory")
        return f"Registration({', '.join(parts)}{', deleted' if self.deleted else ''})"

    def _repr_html_(self) -> str:
        state = self._state
        token = state.access_token
        rows: list[tuple[str, object]] = [
            ("client id", state.client_id),
            ("issuer", state.issuer or "-"),
            ("client authentication", state.metadata.get("token_endpoint_auth_method", "-")),
            ("redirect URIs", ", ".join(state.metadata.get("redirect_uris") or []) or "-"),
            ("keys (jwks_uri)", state.metadata.get("jwks_uri", "-")),
            ("configuration endpoint", state.uri or "none"),
            ("registration access token", f"…{token.last4}" if token else "none"),
            ("stored in", self._store or "memory only"),
        ]
        level = "error" if self.deleted else "info"
        return card("Client registration", facts_table(rows), level=level)

    def __reduce__(self) -> Any:
        raise TypeError("a Registration cannot be pickled; save() it to a 0600 file instead")


def _update_body(state: _State, changes: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7592 §2.2: every registered field, changed, plus client_id; none of the server's own."""
    body = {k: v for k, v in state.metadata.items() if k not in _NOT_IN_UPDATES}
    body.update(changes)
    body["client_id"] = state.client_id
    return {name: value for name, value in body.items() if value is not None}


def _free_store(store: str | os.PathLike[str] | None, overwrite: bool) -> Path | None:
    """The store path, refused up front if it already keeps a registration or cannot be written."""
    if store is None:
        return None
    target = Path(store).expanduser()
    if target.exists() and not overwrite:
        raise ConfigurationError(
            f"{target} already exists and may hold a registration whose access token would be "
            "lost: load it with Registration.load, choose another path, or pass overwrite=True."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(target.parent, os.W_OK):
        raise ConfigurationError(f"Cannot write to {target.parent}; choose another store path.")
    return target


def _read_store(path: Path) -> dict[str, Any]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigurationError(
            f"No registration is stored at {path}; register with register_client(..., store=...)."
        ) from None
    if mode & 0o077:
        raise ConfigurationError(
            f"{path} is readable by other users (mode {mode & 0o777:o}); it holds a registration "
            "access token. Run `chmod 600` on it."
        )
    try:
        data = json.loads(path.read_bytes())
        if data.get("version") != _FILE_VERSION or not data.get("client_id"):
            raise ValueError("unknown format")
    except (ValueError, AttributeError):
        raise ConfigurationError(
            f"{path} is not a registration file written by bradesco-explore."
        ) from None
    return dict(data)
