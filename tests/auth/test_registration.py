"""Dynamic Client Registration (RFC 7591 / 7592) against the strict test server.

Conformance item 26 (`fapi1-advanced-final-client-brazildcr-happypath-test`): register with a
directory-signed software statement over mTLS, run the normal flow with the new client, then
read the registration twice; each read returns a new registration access token, which the
client must keep (and the old one must stop working). Then what a server refuses, what the
client refuses, and what must never be shown.
"""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.auth import Client, Environment, Registration, public_jwk, register_client
from bradesco_explore.errors import ConfigurationError, OAuthError, ResponseValidationError
from bradesco_explore.identity import CertificateAuthority, Identity, OpenFinanceSubject
from bradesco_explore.transport import NO_RETRY, Session

from ._as import SERVER_FIELDS, Directory, FapiServer, new_rsa
from .conftest import REDIRECT

JWKS_URI = "https://keystore.sandbox.directory.example/74e929d9/software-1/application.jwks"
OTHER_REDIRECT = "https://app.example/cb2"
ORG_ID = "74e929d9-33b6-4d85-8ba7-c146c867a817"


@pytest.fixture(scope="session")
def directory_key() -> rsa.RSAPrivateKey:
    return new_rsa()


@pytest.fixture
def directory(
    fapi: FapiServer, directory_key: rsa.RSAPrivateKey, client_key: rsa.RSAPrivateKey
) -> Directory:
    """The directory: signs statements; publishes the client's key at JWKS_URI."""
    keys = {"keys": [public_jwk(client_key, kid="client-1")]}
    fapi.registration.directory = Directory(directory_key, keystore={JWKS_URI: keys})
    return fapi.registration.directory


@pytest.fixture
def env(
    fapi: FapiServer, directory: Directory, ca_bundle: Path, client_identity: Identity
) -> Environment:
    return Environment.discover(fapi.discovery_url, ca_bundle=ca_bundle, identity=client_identity)


def statement(directory: Directory, **overrides: Any) -> str:
    """A fresh software statement for software-1 (both redirect URIs, the client's keys)."""
    claims = {"software_id": "software-1", "jwks_uri": JWKS_URI}
    claims["redirect_uris"] = [REDIRECT, OTHER_REDIRECT]  # type: ignore[assignment]
    return directory.software_statement(**(claims | overrides))


@pytest.fixture
def register(
    env: Environment, directory: Directory, client_identity: Identity
) -> Iterator[Callable[..., Registration]]:
    """register_client against the test server (sessions closed at teardown)."""
    made: list[Registration] = []

    def build(**overrides: Any) -> Registration:
        options: dict[str, Any] = {
            "identity": client_identity,
            "software_statement": statement(directory),
            "redirect_uris": [REDIRECT],
        } | overrides
        registration = register_client(options.pop("server", env), **options)
        made.append(registration)
        return registration

    yield build
    for registration in made:
        registration.close()


def configuration_status(
    registration: Registration, token: Any, identity: Identity, ca_bundle: Path
) -> int:
    """What the configuration endpoint answers to `token` (a raw mTLS GET, no client logic)."""
    assert registration.registration_client_uri is not None
    with Session(identity, ca_bundle=ca_bundle) as session:
        bearer = {"Authorization": f"Bearer {token.reveal()}"}
        response = session.request(
            "GET", registration.registration_client_uri, headers=bearer, retry=NO_RETRY
        )
        return response.status_code


def stored(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


# -- item 26: the happy path ---------------------------------------------------------------------------
def test_26_register_authorize_then_two_reads_each_rotating_the_access_token(
    fapi: FapiServer,
    env: Environment,
    register: Callable[..., Registration],
    client_identity: Identity,
    client_key: rsa.RSAPrivateKey,
    ca_bundle: Path,
    tmp_path: Path,
) -> None:
    store = tmp_path / "registration.json"
    registration = register(store=store)
    sent = fapi.registration.requests[-1]
    assert fapi.registration.thumbprints[-1] == client_identity.x5t_s256, "over mTLS"
    assert sent["jwks_uri"] == JWKS_URI and "jwks" not in sent
    assert sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert sent["grant_types"] == [
        "authorization_code", "implicit", "refresh_token", "client_credentials"
    ]  # fmt: skip
    assert sent["response_types"] == ["code id_token"] and sent["redirect_uris"] == [REDIRECT]
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert stored(store)["registration_client_uri"] == registration.registration_client_uri

    credentials = registration.credentials(signing_key=client_key, signing_kid="client-1")
    redirect = registration.metadata["redirect_uris"][0]
    with Client(
        env, identity=client_identity, credentials=credentials, redirect_uri=redirect
    ) as client:
        pending = client.authorize(scopes=["openid", "accounts"])
        token = client.finish(pending, client.follow(pending))
        assert token.id_token_claims and token.id_token_claims["aud"] == registration.client_id
        assert client.get("/accounts").json()["data"][0]["accountId"] == "acc-1"

    tokens = [registration.registration_access_token]
    for _ in range(2):
        assert registration.read()["client_id"] == registration.client_id
        tokens.append(registration.registration_access_token)
        assert stored(store)["registration_access_token"] == tokens[-1].reveal()  # type: ignore[union-attr]
    assert len({t.reveal() for t in tokens if t}) == 3
    assert fapi.calls(f"/register/{registration.client_id}") == 2
    for old in tokens[:2]:
        assert configuration_status(registration, old, client_identity, ca_bundle) == 401

    with Registration.load(store, identity=client_identity, ca_bundle=ca_bundle) as reloaded:
        assert reloaded.registration_client_uri == registration.registration_client_uri
        assert reloaded.read()["redirect_uris"] == [REDIRECT]


def test_the_mtls_alias_of_the_registration_endpoint_is_used_with_a_metadata_dict(
    fapi: FapiServer,
    directory: Directory,
    register: Callable[..., Registration],
    ca_bundle: Path,
) -> None:
    fapi.settings.mtls_aliases = True
    registration = register(server=fapi.metadata(), ca_bundle=ca_bundle)
    assert fapi.calls("/register") == 1 and fapi.calls("/plain/register") == 0
    assert registration.client_id in fapi.clients


def test_redirect_uris_and_jwks_uri_default_to_the_statement(
    fapi: FapiServer, register: Callable[..., Registration]
) -> None:
    registration = register(redirect_uris=None)
    assert fapi.registration.requests[-1]["redirect_uris"] == [REDIRECT, OTHER_REDIRECT]
    assert registration.metadata["jwks_uri"] == JWKS_URI
    assert "software_statement" not in registration.metadata


# -- what the server refuses -----------------------------------------------------------------------------
Options = Callable[[Directory, list[rsa.RSAPrivateKey], rsa.RSAPrivateKey], dict[str, Any]]
REFUSALS: list[tuple[str, Options, str]] = [
    ("statement signed by another key",
     lambda d, spare, k: {"software_statement": statement(d, key=spare[0])},
     "invalid_software_statement"),
    ("statement signed RS256", lambda d, spare, k: {"software_statement": statement(d, alg="RS256")},
     "invalid_software_statement"),
    ("statement issued 6 minutes ago", lambda d, spare, k: {"software_statement": statement(d, age=360)},
     "invalid_software_statement"),
    ("jwks_uri other than software_jwks_uri",
     lambda d, spare, k: {"jwks_uri": "https://keystore.example/other.jwks"}, "invalid_client_metadata"),
    ("jwks by value", lambda d, spare, k: {"metadata": {"jwks": {"keys": [public_jwk(k)]}}},
     "invalid_client_metadata"),
    ("redirect URI outside the statement",
     lambda d, spare, k: {"redirect_uris": ["https://evil.example/cb"]}, "invalid_redirect_uri"),
    ("a non-FAPI auth method", lambda d, spare, k: {"auth_method": "client_secret_basic"},
     "invalid_client_metadata"),
    ("code id_token without the implicit grant",
     lambda d, spare, k: {"grant_types": ["authorization_code"]}, "invalid_client_metadata"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "options", "error"), REFUSALS, ids=[c[0] for c in REFUSALS])
def test_refused_registrations_raise_oauth_errors_and_store_nothing(
    fapi: FapiServer,
    directory: Directory,
    register: Callable[..., Registration],
    spare_keys: list[rsa.RSAPrivateKey],
    client_key: rsa.RSAPrivateKey,
    tmp_path: Path,
    case: str,
    options: Options,
    error: str,
) -> None:
    store = tmp_path / "registration.json"
    with pytest.raises(OAuthError) as info:
        register(store=store, **options(directory, spare_keys, client_key))
    assert info.value.error == error and info.value.status == 400
    assert f"error={error!r}" in str(info.value) and info.value.error_description
    assert not store.exists() and fapi.registration.clients == {}


def test_a_second_registration_with_the_same_statement_is_refused(
    fapi: FapiServer, directory: Directory, register: Callable[..., Registration]
) -> None:
    ssa = statement(directory)
    first = register(software_statement=ssa)
    with pytest.raises(OAuthError) as info:
        register(software_statement=ssa)
    assert info.value.error == "invalid_software_statement"
    assert list(fapi.registration.clients) == [first.client_id]


def test_a_statement_that_is_not_a_jwt_is_refused_before_anything_is_sent(
    fapi: FapiServer, register: Callable[..., Registration]
) -> None:
    with pytest.raises(ConfigurationError, match="not a signed JWT"):
        register(software_statement="software-statement-from-the-wrong-place")
    assert fapi.counters["register"] == 0


@pytest.mark.parametrize(
    ("claims", "options", "message"),
    [
        # Before the fix a string was sent as a list of its characters: ["h", "t", "t", ...].
        ({"redirect_uris": REDIRECT}, {}, "software_redirect_uris is not a list of URIs"),
        ({"redirect_uris": [{"uri": REDIRECT}]}, {}, "software_redirect_uris is not a list"),
        ({"jwks_uri": ["https://keys.example"]}, {}, "software_jwks_uri is not a URI"),
        ({}, {"redirect_uris": REDIRECT}, "redirect_uris must be a list of URIs, not the string"),
    ],
    ids=["statement URIs as a string", "statement URIs as objects", "jwks_uri as a list",
         "redirect_uris argument as a string"],
)  # fmt: skip
def test_redirect_uris_and_jwks_uri_of_the_wrong_shape_are_refused_before_sending(
    fapi: FapiServer,
    directory: Directory,
    register: Callable[..., Registration],
    claims: dict[str, Any],
    options: dict[str, Any],
    message: str,
) -> None:
    ssa = statement(directory, **claims)
    with pytest.raises(ConfigurationError, match=message) as info:
        register(software_statement=ssa, **({"redirect_uris": None} | options))
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert fapi.counters["register"] == 0


def test_an_existing_store_file_is_never_overwritten(
    fapi: FapiServer, register: Callable[..., Registration], tmp_path: Path
) -> None:
    store = tmp_path / "registration.json"
    register(store=store)
    with pytest.raises(ConfigurationError, match="already exists"):
        register(store=store)
    assert fapi.counters["register"] == 1


# -- what the client refuses -----------------------------------------------------------------------------
def _set(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.__setitem__(name, value)


# (case, mutation of the registration response, expected check, registration deleted)
RESPONSE_CASES: list[tuple[str, Callable[[dict[str, Any]], Any], str, bool]] = [
    ("auth method changed", _set("token_endpoint_auth_method", "client_secret_basic"),
     "registration.token_endpoint_auth_method", True),
    ("jwks_uri changed", _set("jwks_uri", "https://keystore.example/other.jwks"),
     "registration.jwks_uri", True),
    ("a redirect URI not asked for", lambda b: b.__setitem__("redirect_uris", [*b["redirect_uris"], OTHER_REDIRECT]),
     "registration.redirect_uris", True),
    ("another statement echoed", _set("software_statement", "a.b.c"),
     "registration.software_statement", True),
    ("management URI over plain http", _set("registration_client_uri", "http://evil.example/register/x"),
     "registration.management", False),
    ("access token without a management URI", lambda b: b.pop("registration_client_uri"),
     "registration.management", False),
    ("no client_id", lambda b: b.pop("client_id"), "registration.client_id", False),
    # TypeError (unhashable type) before the fix:
    ("redirect URIs that are objects", _set("redirect_uris", [{}]), "registration.redirect_uris", True),
    ("redirect URIs that are lists", _set("redirect_uris", [["https://app.example/cb"]]),
     "registration.redirect_uris", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "mutate", "check", "deleted"), RESPONSE_CASES, ids=[c[0] for c in RESPONSE_CASES]
)
def test_a_registration_response_that_does_not_match_the_request_is_refused(
    fapi: FapiServer,
    register: Callable[..., Registration],
    tmp_path: Path,
    case: str,
    mutate: Callable[[dict[str, Any]], Any],
    check: str,
    deleted: bool,
) -> None:
    def hook(body: dict[str, Any], where: str) -> None:
        if where == "register":
            mutate(body)

    fapi.hooks.mutate_registration_response = hook
    store = tmp_path / "registration.json"
    with pytest.raises(ResponseValidationError) as info:
        register(store=store)
    assert info.value.check == check and not store.exists()
    if check != "registration.client_id":
        assert ("was deleted" in str(info.value)) is deleted
        assert (fapi.registration.clients == {}) is deleted


def test_a_configuration_answer_for_another_client_is_refused_but_its_new_token_kept(
    fapi: FapiServer, register: Callable[..., Registration]
) -> None:
    registration = register()

    def other_client(body: dict[str, Any], where: str) -> None:
        if where == "read":
            body["client_id"] = "someone-else"

    fapi.hooks.mutate_registration_response = other_client
    with pytest.raises(ResponseValidationError) as info:
        registration.read()
    assert info.value.check == "registration.client_id"
    fapi.hooks.mutate_registration_response = None
    assert registration.read()["client_id"] == registration.client_id


def test_a_read_answer_whose_redirect_uris_are_not_strings_is_refused_but_its_token_kept(
    fapi: FapiServer, register: Callable[..., Registration]
) -> None:
    registration = register()

    def objects(body: dict[str, Any], where: str) -> None:
        if where == "read":
            body["redirect_uris"] = [{"uri": REDIRECT}]

    fapi.hooks.mutate_registration_response = objects
    with pytest.raises(ResponseValidationError, match="not a list of URIs") as info:
        registration.read()
    assert info.value.check == "registration.redirect_uris"
    fapi.hooks.mutate_registration_response = None
    assert registration.read()["redirect_uris"] == [REDIRECT]  # the rotated token was kept


# -- tls_client_auth and the Open Finance subject DN ---------------------------------------------------
def _der(tag: int, text: str) -> str:
    """Short-form DER of a directory string, in hex (what RFC 4514 puts after '#')."""
    data = text.encode()
    return f"#{tag:02x}{len(data):02x}{data.hex()}"


def test_tls_client_auth_registers_the_rfc4514_subject_with_hex_for_open_finance_attributes(
    fapi: FapiServer,
    directory: Directory,
    env: Environment,
    ca: CertificateAuthority,
    register: Callable[..., Registration],
) -> None:
    subject = OpenFinanceSubject(
        organisation_id=ORG_ID, software_id="software-1", cnpj="50.685.362/0006-73",
        organisation_name="TPP Exemplo, S.A.", state="SP", locality="Sao Paulo",
    )  # fmt: skip
    tpp = ca.issue_client("tpp.example.com.br", open_finance=subject)
    registration = register(identity=tpp, auth_method="tls_client_auth")
    printable = 0x13  # reference §5.4: `2.5.4.97=#13...`, PrintableString
    assert fapi.registration.requests[-1]["tls_client_auth_subject_dn"] == ",".join(
        [
            "UID=software-1",
            f"2.5.4.97={_der(printable, 'OFBBR-' + ORG_ID)}",
            f"1.3.6.1.4.1.311.60.2.1.3={_der(printable, 'BR')}",
            f"2.5.4.15={_der(printable, 'Private Organization')}",
            f"2.5.4.5={_der(printable, '50685362000673')}",
            "CN=tpp.example.com.br",
            "O=TPP Exemplo\\, S.A.",
            "L=Sao Paulo",
            "ST=SP",
            "C=BR",
        ]
    )
    with Client(env, identity=tpp, client_id=registration.client_id, auth="tls_client_auth") as c:
        assert c.token(["accounts"], grant="client_credentials").scope == ("accounts",)


# -- update, delete, sharing -----------------------------------------------------------------------------
def test_update_puts_the_full_metadata_and_stores_the_rotated_token(
    fapi: FapiServer, directory: Directory, register: Callable[..., Registration], tmp_path: Path
) -> None:
    store = tmp_path / "registration.json"
    registration = register(store=store)
    before = registration.registration_access_token
    metadata = registration.update(
        redirect_uris=[REDIRECT, OTHER_REDIRECT], software_statement=statement(directory)
    )
    sent = fapi.registration.requests[-1]
    assert sent["client_id"] == registration.client_id and not SERVER_FIELDS & set(sent)
    assert sent["jwks_uri"] == JWKS_URI and sent["token_endpoint_auth_method"] == "private_key_jwt"
    assert metadata["redirect_uris"] == [REDIRECT, OTHER_REDIRECT]
    assert fapi.clients[registration.client_id].redirect_uris == (REDIRECT, OTHER_REDIRECT)
    after = registration.registration_access_token
    assert after is not None and after != before
    assert stored(store)["registration_access_token"] == after.reveal()
    assert stored(store)["metadata"]["redirect_uris"] == [REDIRECT, OTHER_REDIRECT]


def test_a_refused_update_keeps_the_token_and_the_registration(
    register: Callable[..., Registration],
) -> None:
    registration = register()
    current = registration.registration_access_token
    with pytest.raises(OAuthError) as info:
        registration.update(redirect_uris=["https://evil.example/cb"])
    assert info.value.error == "invalid_redirect_uri"
    assert registration.registration_access_token == current
    assert registration.read()["redirect_uris"] == [REDIRECT]


def test_delete_removes_the_client_and_its_store_file(
    fapi: FapiServer, register: Callable[..., Registration], tmp_path: Path
) -> None:
    store = tmp_path / "registration.json"
    registration = register(store=store)
    registration.delete()
    assert not store.exists() and registration.client_id not in fapi.clients
    assert registration.registration_access_token is None and registration.deleted
    with pytest.raises(ConfigurationError, match="was deleted"):
        registration.read()


def test_two_registrations_sharing_a_store_always_use_the_latest_token(
    fapi: FapiServer,
    register: Callable[..., Registration],
    client_identity: Identity,
    ca_bundle: Path,
    tmp_path: Path,
) -> None:
    store = tmp_path / "registration.json"
    first = register(store=store)
    with Registration.load(store, identity=client_identity, ca_bundle=ca_bundle) as second:
        for caller in (first, second, first, second):  # like two kernels, taking turns
            caller.read()
        latest = second.registration_access_token
        assert latest is not None and stored(store)["registration_access_token"] == latest.reveal()
        first.read()  # picks the latest token up from the file
    assert fapi.calls(f"/register/{first.client_id}") == 5


def test_concurrent_reads_are_serialised(
    fapi: FapiServer, register: Callable[..., Registration]
) -> None:
    registration = register()
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: registration.read(), range(8)))
    assert all(answer["client_id"] == registration.client_id for answer in answers)
    assert fapi.calls(f"/register/{registration.client_id}") == 8


def test_a_store_readable_by_others_is_refused(
    register: Callable[..., Registration], tmp_path: Path
) -> None:
    store = tmp_path / "registration.json"
    register(store=store)
    store.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        Registration.load(store)


def test_managing_without_a_certificate_says_how_to_load_one(
    register: Callable[..., Registration], tmp_path: Path
) -> None:
    store = tmp_path / "registration.json"
    register(store=store)
    with pytest.raises(ConfigurationError, match="identity="):
        Registration.load(store).read()


# -- redaction -------------------------------------------------------------------------------------------
def test_no_access_token_statement_or_assertion_in_reprs_logs_or_errors(
    fapi: FapiServer,
    directory: Directory,
    register: Callable[..., Registration],
    client_identity: Identity,
    ca_bundle: Path,
    tmp_path: Path,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    ssa = statement(directory)
    store, stale_copy = tmp_path / "registration.json", tmp_path / "stale.json"
    registration = register(store=store, software_statement=ssa)
    first = registration.registration_access_token
    shutil.copy2(store, stale_copy)
    registration.read()
    errors: list[BaseException] = []
    with Registration.load(stale_copy, identity=client_identity, ca_bundle=ca_bundle) as stale:
        for attempt in (stale.read, lambda: register(software_statement=ssa)):
            try:
                attempt()
            except OAuthError as exc:
                errors.append(exc)
        shown = [repr(stale), stale._repr_html_()]
    assert [getattr(e, "status", None) for e in errors] == [401, 400]
    shown += [repr(registration), registration._repr_html_(), str(registration.metadata)]
    shown += [repr(registration.credentials()), *(str(x.as_row()) for x in registration.log)]
    shown += [f"{type(e).__name__}: {e}" for e in errors]
    text = debug_logs.text + "\n".join(shown)
    latest = registration.registration_access_token
    assert first is not None and latest is not None and latest.last4 in text
    leaked = [s[:8] for s in (first.reveal(), latest.reveal(), ssa) if s in text]
    assert not leaked, f"visible: {leaked}"
