"""Fuzzing every parser that reads outside input: only the package's own errors come out.

Inputs come from the outside world at these doors, and each is fuzzed here through the real
parsing code: certificate and key files (PEM, DER, PKCS#12, mutated byte by byte), ID tokens
and JARM responses (signed with a real key, so arbitrary claims and headers get past the
signature to the claim checks), JWK sets and discovery documents, the redirect URL pasted into
`client.finish` (against the sandbox, mutated in its query, fragment and JARM JWT), error
envelopes and bodies that come back over real HTTPS, token responses, dynamic client
registration answers (register, update, read) and the directory's software statements, the
token-cache and pending-authorization files, `Retry-After` values, and the amounts users type.

Every test asserts the same contract: the call returns, or raises a `BradescoExploreError`;
any other exception (a `ValueError` from urllib, an `OverflowError` from datetime, a
`TypeError` from a dict walk) fails the test with the input that caused it. The `@example`
inputs are the ones that failed before their fixes.

atheris is not used: hypothesis already drives the same parsers with structure-aware inputs
(valid-but-odd JSON, signed tokens with hostile claims) that a byte-level fuzzer rarely
reaches, and atheris needs an instrumented build to add coverage guidance.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bradesco_explore._secret import Secret
from bradesco_explore.apis import boletos, openfinance, pix, saldo_extrato
from bradesco_explore.auth import Client, JWKSCache, PendingAuthorization, TokenCache
from bradesco_explore.auth._callback import read_redirect, verify_jarm
from bradesco_explore.auth._discovery import expected_issuers, validate_metadata
from bradesco_explore.auth._grants import parse_token_response
from bradesco_explore.auth._idtoken import IdTokenCheck, validate_id_token
from bradesco_explore.auth._jose import public_jwk
from bradesco_explore.auth._jwks import parse_jwks
from bradesco_explore.auth._registration import (
    Registration,
    _check_registration,
    _request_body,
    _State,
    _statement_claims,
)
from bradesco_explore.auth._tokens import cache_key
from bradesco_explore.errors import (
    BradescoExploreError,
    ConfigurationError,
    IdentityFormatError,
    ResponseValidationError,
)
from bradesco_explore.identity import CertificateAuthority, Identity
from bradesco_explore.sandbox import Sandbox
from bradesco_explore.sandbox._server import Reply, Request, Router, TLSServer
from bradesco_explore.tables import BoletoListPages, OpenFinancePages, PixPages, to_frame
from bradesco_explore.transport import (
    NO_RETRY,
    Response,
    Session,
    check_url,
    parse_error_envelope,
    parse_retry_after,
    status_error,
)

from .conftest import authorize_accounts, client_for

T = TypeVar("T")
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)  # no derandomize here: CI's "ci" profile (tests/conftest.py) makes runs repeatable
FEW = settings(FUZZ, max_examples=40)


def ours(call: Callable[[], T]) -> T | None:
    """Run `call`; a `BradescoExploreError` is an allowed outcome, anything else fails."""
    try:
        return call()
    except BradescoExploreError as error:
        message = str(error)
    assert message, "our errors always carry a message"
    return None


# -- strategies ------------------------------------------------------------------------------------
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e300, -1e300, 1e20, 2**63, -(2**63)]),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)


@st.composite
def mutated_bytes(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` with a few bytes flipped, set, deleted, inserted, or cut off at the end."""
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        if not data:
            break
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        kind = draw(st.sampled_from(["flip", "set", "delete", "insert", "truncate"]))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif kind == "set":
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=8))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at:]
    return bytes(data)


@st.composite
def altered(draw: st.DrawFn, base: dict[str, Any], extra_keys: list[str]) -> dict[str, Any]:
    """`base` with some values replaced by arbitrary JSON, some keys dropped, some added."""
    result = dict(base)
    for name in draw(st.lists(st.sampled_from(sorted(base) + extra_keys), max_size=4)):
        if draw(st.booleans()):
            result[name] = draw(json_values)
        else:
            result.pop(name, None)
    return result


# -- certificates and keys ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def identity_files(ca: CertificateAuthority) -> dict[str, bytes]:
    """One identity as every format `Identity.load` reads (generated at run time)."""
    identity = ca.issue_client("fuzz client")
    key = identity._private_key()
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    der_cert = identity.certificate_der
    cert, name = identity.certificate, b"fuzz"
    return {
        "pem": identity.certificate_pem + pem_key,
        "der": der_cert,
        "der-key": key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "p12": pkcs12.serialize_key_and_certificates(
            name, key, cert, None, serialization.BestAvailableEncryption(b"fuzz-pass")
        ),
        "p12-open": pkcs12.serialize_key_and_certificates(
            name, key, cert, None, serialization.NoEncryption()
        ),
    }


def exercise(identity: Identity) -> None:
    """Everything a notebook shows about a loaded identity."""
    identity.findings  # noqa: B018 - the property runs every check
    identity.summary()
    repr(identity)
    identity._repr_html_()
    assert identity.x5t_s256


def load_and_show(data: bytes, password: str | None = None) -> None:
    identity = ours(lambda: Identity.load(data, password=password, name="upload"))
    if identity is not None:
        ours(lambda: exercise(identity))


@pytest.mark.parametrize("kind", ["pem", "der", "der-key", "p12", "p12-open"])
@FUZZ
@given(data=st.data())
def test_mutated_identity_files(identity_files: dict[str, bytes], kind: str, data: Any) -> None:
    original = identity_files[kind]
    if kind in ("der", "pem") and data.draw(st.booleans()):
        mutated = _mutated_der_as(kind, identity_files, data)
    else:
        mutated = data.draw(mutated_bytes(original))
    password = "fuzz-pass" if kind == "p12" and data.draw(st.booleans()) else None
    load_and_show(mutated, password)


def _mutated_der_as(kind: str, files: dict[str, bytes], data: Any) -> bytes:
    """A mutated DER certificate, re-wrapped as PEM for "pem" so the base64 stays valid."""
    der = data.draw(mutated_bytes(files["der"]))
    if kind == "der":
        return der
    body = base64.encodebytes(der)
    return b"-----BEGIN CERTIFICATE-----\n" + body + b"-----END CERTIFICATE-----\n"


def test_a_certificate_whose_issuer_does_not_decode_is_refused_at_load(
    identity_files: dict[str, bytes],
) -> None:
    """cryptography decodes names lazily: before the fix this loaded, and `findings` raised."""
    der = identity_files["der"]
    issuer_cn = der.index(b"\x0c\x18bradesco-explore test CA")
    damaged = der[:issuer_cn] + b"\x0d" + der[issuer_cn + 1 :]  # UTF8String tag -> tag 13
    with pytest.raises(IdentityFormatError, match="do not decode"):
        Identity.load(damaged, name="upload.der")


@FUZZ
@given(blob=st.binary(max_size=300), password=st.one_of(st.none(), st.text(max_size=10)))
def test_arbitrary_bytes_as_identity(blob: bytes, password: str | None) -> None:
    load_and_show(blob, password)


@FUZZ
@example(source="a\x00b")  # ValueError (embedded null byte) before the fix
@example(source=12345)  # TypeError before the fix
@example(source=["-----BEGIN CERTIFICATE-----"])
@example(source="~no-such-user-bx/client.pem")
# a truncated armour around 3 bytes that are no key, assembled so no key-shaped line is committed
@example(source="-----BEGIN " + "PRIVATE KEY-----\nMIIE\n")
@given(source=st.one_of(st.text(max_size=120), json_values, st.binary(max_size=40).map(bytearray)))
def test_arbitrary_values_as_identity_sources(
    identity_files: dict[str, bytes], source: Any
) -> None:
    """Whatever a notebook passes as cert= or key=: a path, PEM text, bytes, or a mistake."""
    ours(lambda: Identity.load(source))
    ours(lambda: Identity.load(identity_files["pem"], key=source))


# -- signed tokens: ID tokens and JARM -------------------------------------------------------------------
ISSUER = "https://as.example"
CLIENT_ID = "fuzz-client"
NOW = 1_900_000_000.0
KID = "fuzz-key-1"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(header: dict[str, Any], claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    """A compact JWS with exactly this header and payload, and a real PS256 signature."""
    text = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    signature = key.sign(
        text.encode(),
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size),
        hashes.SHA256(),
    )
    return text + "." + _b64(signature)


def key_lookup(key: rsa.RSAPrivateKey) -> Callable[[Any, str], Any]:
    cache = JWKSCache(lambda: {"keys": [public_jwk(key, kid=KID)]}, clock=lambda: NOW)
    return lambda header, what: cache.key_for(header, what=what)


GOOD_CLAIMS = {
    "iss": ISSUER, "sub": "user-1", "aud": CLIENT_ID, "exp": NOW + 300, "iat": NOW - 5,
    "nbf": NOW - 5, "nonce": "nonce-123456", "auth_time": NOW - 30, "azp": CLIENT_ID,
}  # fmt: skip
GOOD_HEADER = {"alg": "PS256", "kid": KID, "typ": "JWT"}
headers = altered(GOOD_HEADER, ["crit", "b64", "jku", "x5u", "enc", "zip"]) | st.fixed_dictionaries(
    {"alg": st.sampled_from(["PS256", "ES256", "RS256", "none", "None", "HS256", "PS512", ""])}
).map(lambda h: GOOD_HEADER | h)
claims = altered(GOOD_CLAIMS, ["c_hash", "s_hash", "at_hash", "state", "code", "error"])


@st.composite
def tokens(draw: st.DrawFn, key: rsa.RSAPrivateKey) -> str:
    """A signed token with hostile header/claims, a mangled one, or plain text."""
    token = signed(draw(headers), draw(claims), key)
    choice = draw(st.sampled_from(["signed", "mangled", "parts", "text"]))
    if choice == "mangled":
        return draw(mutated_bytes(token.encode())).decode("latin-1")
    if choice == "parts":
        return ".".join(draw(st.lists(st.text(max_size=12), min_size=1, max_size=6)))
    if choice == "text":
        return draw(st.text(max_size=60))
    return token


@FUZZ
@given(data=st.data())
def test_id_tokens(signing_key: rsa.RSAPrivateKey, data: Any) -> None:
    raw = data.draw(tokens(signing_key))
    check = IdTokenCheck(
        issuer=ISSUER, client_id=CLIENT_ID, algorithms=("PS256", "ES256"),
        nonce=data.draw(st.sampled_from([None, "nonce-123456"])),
        code=data.draw(st.sampled_from([None, "code-1"])),
        state=data.draw(st.sampled_from([None, "state-1"])),
        previous=data.draw(st.sampled_from([None, GOOD_CLAIMS, {"aud": 5, "sub": []}])),
        auth_max_age=data.draw(st.sampled_from([None, 60.0])),
    )  # fmt: skip
    decryption_key = signing_key if data.draw(st.booleans()) else None
    ours(
        lambda: validate_id_token(
            raw, check, keys=key_lookup(signing_key), decryption_key=decryption_key, now=NOW
        )
    )


def test_a_code_that_is_not_ascii_fails_the_c_hash_check(signing_key: rsa.RSAPrivateKey) -> None:
    token = signed(GOOD_HEADER, GOOD_CLAIMS | {"c_hash": "abc"}, signing_key)
    check = IdTokenCheck(issuer=ISSUER, client_id=CLIENT_ID, algorithms=("PS256",), code="c\x80de")
    with pytest.raises(ResponseValidationError) as info:  # UnicodeEncodeError before the fix
        validate_id_token(token, check, keys=key_lookup(signing_key), decryption_key=None, now=NOW)
    assert info.value.check == "id_token.c_hash"


@FUZZ
@given(data=st.data())
def test_jarm_responses(signing_key: rsa.RSAPrivateKey, data: Any) -> None:
    raw = data.draw(tokens(signing_key))
    ours(
        lambda: verify_jarm(
            raw, issuer=ISSUER, client_id=CLIENT_ID, algorithms=("PS256", "ES256"),
            keys=key_lookup(signing_key), decryption_key=None, now=NOW, leeway=60,
        )
    )  # fmt: skip


@FUZZ
@given(data=st.data())
def test_encrypted_looking_tokens(signing_key: rsa.RSAPrivateKey, data: Any) -> None:
    header = data.draw(
        altered({"alg": "RSA-OAEP", "enc": "A256GCM", "kid": "enc-1"}, ["zip", "cty"])
    )
    parts = [_b64(json.dumps(header).encode())]
    parts += [_b64(data.draw(st.binary(max_size=40))) for _ in range(4)]
    check = IdTokenCheck(issuer=ISSUER, client_id=CLIENT_ID, algorithms=("PS256",))
    ours(
        lambda: validate_id_token(
            ".".join(parts),
            check,
            keys=key_lookup(signing_key),
            decryption_key=signing_key,
            now=NOW,
        )
    )


# -- JWK sets and discovery documents --------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_jwks_documents(signing_key: rsa.RSAPrivateKey, data: Any) -> None:
    good = public_jwk(signing_key, kid=KID)
    entries = data.draw(
        st.lists(
            st.one_of(altered(good, ["alg", "key_ops", "crv", "x", "y", "d"]), json_values),
            max_size=3,
        )
    )
    document = data.draw(st.sampled_from([{"keys": entries}, entries, {"keys": {"0": good}}, None]))
    header = data.draw(altered(GOOD_HEADER, []))
    ours(lambda: parse_jwks(document, source="https://as.example/jwks"))
    cache = JWKSCache(lambda: document, clock=lambda: NOW)
    ours(lambda: cache.key_for(header, what="id_token"))


@pytest.mark.parametrize("kty", [[], {}, ["RSA"]])
def test_a_jwk_whose_kty_is_not_a_string_is_skipped(
    signing_key: rsa.RSAPrivateKey, kty: Any
) -> None:
    good = public_jwk(signing_key, kid=KID)
    keys = parse_jwks({"keys": [good | {"kty": kty}, good]}, source="jwks")  # TypeError before
    assert len(keys) == 1


DISCOVERY = "https://as.example/.well-known/openid-configuration"
GOOD_METADATA = {
    "issuer": ISSUER, "token_endpoint": ISSUER + "/token", "authorization_endpoint": ISSUER + "/auth",
    "jwks_uri": ISSUER + "/jwks", "pushed_authorization_request_endpoint": ISSUER + "/par",
    "mtls_endpoint_aliases": {"token_endpoint": "https://mtls.as.example/token"},
    "require_pushed_authorization_requests": True,
}  # fmt: skip
endpoint_texts = st.sampled_from(
    ["https://[", "http://evil.example/x", "https://a:99999/", "javascript:x", "https://ok/", ""]
)


@FUZZ
@example(document=GOOD_METADATA | {"token_endpoint": "https://[bad"})  # ValueError before the fix
@given(
    document=st.one_of(
        altered(GOOD_METADATA, ["userinfo_endpoint", "revocation_endpoint"]),
        altered(GOOD_METADATA, []).flatmap(
            lambda d: st.fixed_dictionaries({"jwks_uri": endpoint_texts}).map(lambda e: d | e)
        ),
        json_values,
    )
)
def test_discovery_documents(document: Any) -> None:
    metadata = ours(lambda: validate_metadata(document, discovery_url=DISCOVERY))
    if metadata is None:
        return
    for name in [*GOOD_METADATA, "userinfo_endpoint"]:
        for mtls in (False, True):
            ours(lambda n=name, m=mtls: metadata.require(n, mtls=m))  # type: ignore[misc]
        metadata.flag(name)
    ours(metadata.require_issuer)


@FUZZ
@example(url="https://[::1/.well-known/openid-configuration")  # ValueError before the fix
@given(url=st.text(max_size=60) | st.sampled_from([DISCOVERY, "http://[x", "https://a:70000/x"]))
def test_urls_given_as_configuration(url: str) -> None:
    ours(lambda: check_url(url))
    ours(lambda: expected_issuers(url))


# -- the redirect URL pasted into client.finish ------------------------------------------------------------
@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=3, transactions=50) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def finishing(sb: Sandbox) -> Iterator[tuple[Client, dict[str, tuple[PendingAuthorization, str]]]]:
    """A client and, per response mode, a real pending authorization and its redirect URL."""
    with client_for(sb, "openfinance") as client:
        flows = {}
        for mode in (None, "jwt"):
            consent = client.post(
                "/open-banking/consents/v3/consents",
                token=client.token(["consents"], grant="client_credentials"),
                json={"data": {"loggedUser": {"document": {"identification": sb.customer.cpf, "rel": "CPF"}},
                               "permissions": ["ACCOUNTS_READ", "RESOURCES_READ"]}},
            ).json()["data"]["consentId"]  # fmt: skip
            pending = client.authorize(
                scopes=["openid", "accounts"], consent=consent, response_mode=mode
            )
            flows[mode or "fragment"] = (pending, client.follow(pending))
        yield client, flows


@st.composite
def redirect_urls(draw: st.DrawFn, genuine: str) -> str:
    """The genuine redirect URL with its parameters dropped, doubled, replaced or moved."""
    parts = urlsplit(genuine)
    where = "fragment" if parts.fragment else "query"
    pairs = parse_qsl(getattr(parts, where), keep_blank_values=True)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        pairs = draw(_edited(pairs))
    encoded = urlencode(pairs, safe=draw(st.sampled_from(["", "/:", "=&#"])))
    if draw(st.booleans()):
        where = "query" if where == "fragment" else "fragment"
    rebuilt = parts._replace(
        **{where: encoded, ("query" if where == "fragment" else "fragment"): ""}
    )
    url = urlunsplit(rebuilt)
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        url = draw(mutated_bytes(url.encode())).decode("latin-1")
    return url


@st.composite
def _edited(draw: st.DrawFn, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    names = [
        "code",
        "state",
        "id_token",
        "iss",
        "error",
        "error_description",
        "response",
        "session_state",
    ]
    edit = draw(st.sampled_from(["drop", "double", "replace", "add", "mangle"]))
    result = list(pairs)
    if edit == "add" or not result:
        return [*result, (draw(st.sampled_from(names)), draw(st.text(max_size=20)))]
    at = draw(st.integers(min_value=0, max_value=len(result) - 1))
    name, value = result[at]
    if edit == "drop":
        del result[at]
    elif edit == "double":
        result.insert(at, (name, value))
    elif edit == "replace":
        result[at] = (name, draw(st.text(max_size=30)))
    else:
        result[at] = (name, draw(mutated_bytes(value.encode())).decode("latin-1"))
    return result


@pytest.mark.parametrize("mode", ["fragment", "jwt"])
@FEW
@given(data=st.data())
def test_redirect_urls_given_to_finish(
    finishing: tuple[Client, dict[str, tuple[PendingAuthorization, str]]], mode: str, data: Any
) -> None:
    client, flows = finishing
    pending, genuine = flows[mode]
    url = data.draw(redirect_urls(genuine))
    ours(lambda: client.finish(pending, url))


@FUZZ
@example(url="https://[x/cb?code=1")  # ValueError before the fix
@given(url=st.text(max_size=80) | st.sampled_from(["https://app.example/cb?code=1&code=2"]))
def test_arbitrary_text_as_redirect_url(url: str) -> None:
    ours(lambda: read_redirect(url, redirect_uri="https://app.example/cb"))


# -- bodies and envelopes that come back over HTTPS --------------------------------------------------------
class ReplyServer:
    """Answers `POST /reply?status=N` with the request's own body, status and Retry-After,
    and `GET /redirect?to=URL` with a 302 to that Location."""

    def __init__(self, ca: CertificateAuthority) -> None:
        router = Router()
        router.add("POST", "/reply", self._reply)
        router.add("GET", "/redirect", lambda r: Reply(302, b"", {"Location": r.arg("to") or ""}))
        self.server = TLSServer(router, ca.issue_server(), ca.certificate_pem, client_cert="none")

    @staticmethod
    def _reply(request: Request) -> Reply:
        headers = {"Content-Type": request.header("X-Reply-Type") or "application/json"}
        if request.header("X-Reply-Retry-After") is not None:
            headers["Retry-After"] = request.header("X-Reply-Retry-After") or ""
        return Reply(status=int(request.arg("status") or 200), body=request.body, headers=headers)


@pytest.fixture(scope="module")
def reply_session(ca: CertificateAuthority, ca_bundle: Path) -> Iterator[tuple[Session, str]]:
    server = ReplyServer(ca)
    server.server.start()
    with Session(None, ca_bundle=ca_bundle, retry=NO_RETRY) as session:
        yield session, server.server.base_url + "/reply"
    server.server.stop()


def test_a_redirect_to_something_that_is_not_a_url_is_the_servers_error(
    sb: Sandbox, reply_session: tuple[Session, str]
) -> None:
    session, reply_url = reply_session
    start = reply_url.replace("/reply", "/redirect") + "?" + urlencode({"to": "https://[broken"})
    now = dt.datetime.now(dt.UTC)
    pending = PendingAuthorization(
        url=start, issuer=sb.issuer, client_id=sb.credentials.client_id,
        redirect_uri="https://app.example/cb", state=Secret("state-" + "s" * 20),
        nonce=Secret("nonce-" + "n" * 20), code_verifier=Secret("verifier-" + "v" * 40),
        scopes=("openid",), response_type="code id_token", response_mode=None, request_uri=None,
        created_at=now, expires_at=now + dt.timedelta(minutes=1),
    )  # fmt: skip
    client = Client(sb.environment, "openfinance", credentials=sb.credentials, session=session)
    with pytest.raises(ResponseValidationError, match="Location is not a URL") as info:
        client.follow(pending)  # ValueError from requests' redirect handling before the fix
    assert info.value.check == "redirect.location"


@pytest.mark.parametrize(
    "url",
    ["https://exa mple.com/x", "https://ex\u00e4mple..com/x", "https://a:99999/", "https://[::1/x",
     "https://" + "a" * 300 + ".com/"],
)  # fmt: skip
def test_urls_requests_cannot_send_are_refused_clearly(url: str) -> None:
    with Session(None) as session, pytest.raises(ConfigurationError) as info:
        session.request("GET", url)  # InvalidURL, LocationParseError or ValueError before the fix
    assert "https://" in str(info.value)


header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40
).map(str.strip)
error_bodies = st.one_of(
    st.fixed_dictionaries({"errors": json_values}),
    st.fixed_dictionaries({"errors": st.lists(altered({"code": "X", "title": "t", "detail": "d"}, []), max_size=3)}),
    altered({"type": "https://pix.bcb.gov.br/api/v2/error/CobOperacaoInvalida", "title": "t",
             "detail": "d", "violacoes": [{"razao": "r", "propriedade": "p"}]}, []),
    altered({"codigo": "1", "mensagem": "m", "errosValidacao": [{"campo": "c", "mensagem": "m"}]}, []),
    altered({"code": "1", "message": "m", "details": [{"name": "n", "value": "v"}]}, []),
    altered({"error": "invalid_request", "error_description": "d"}, []),
    json_values,
)  # fmt: skip


def _body(value: Any, raw: bytes | None) -> bytes:
    return raw if raw is not None else json.dumps(value).encode()


@FUZZ
@example(body={"violacoes": 5}, raw=None, status=400, retry_after=None, kind="application/json")
@example(
    body={"codigo": 1, "errosValidacao": 5},
    raw=None,
    status=400,
    retry_after=None,
    kind="application/json",
)
@example(
    body={"code": 1, "details": 5}, raw=None, status=400, retry_after=None, kind="application/json"
)
@example(body=None, raw=b"[" * 100_000, status=400, retry_after=None, kind="application/json")
@given(
    body=error_bodies,
    raw=st.one_of(st.none(), st.binary(max_size=100)),
    status=st.integers(min_value=400, max_value=599),
    retry_after=st.one_of(st.none(), header_text, st.sampled_from(["1e400", "nan", "Wed, 21 Oct 2015 07:28:00 GMT"])),
    kind=st.sampled_from(["application/json", "application/problem+json", "text/html"]),
)  # fmt: skip
def test_error_envelopes_over_https(
    reply_session: tuple[Session, str], body: Any, raw: bytes | None, status: int,
    retry_after: str | None, kind: str,
) -> None:  # fmt: skip
    session, url = reply_session
    headers = {"X-Reply-Type": kind} | (
        {"X-Reply-Retry-After": retry_after} if retry_after is not None else {}
    )
    response = session.request("POST", url, params={"status": status}, data=_body(body, raw), headers=headers)  # fmt: skip
    assert response.status_code == status
    ours(lambda: parse_error_envelope(response))
    error = ours(lambda: status_error(response))
    assert error is not None and error.status == status
    ours(response.raise_for_status)
    ours(response._repr_html_)


@FUZZ
@example(body={"data": [{"transactionAmount": {"amount": "NaN", "currency": "BRL"}}]}, raw=None)
@given(body=json_values, raw=st.one_of(st.none(), st.binary(max_size=60)))
def test_success_bodies_tabulated(
    reply_session: tuple[Session, str], body: Any, raw: bytes | None
) -> None:
    session, url = reply_session
    response = session.request("POST", url, params={"status": 200}, data=_body(body, raw))
    ours(response.json)
    ours(lambda: to_frame(response))


PAGE_COUNTS = st.one_of(json_values, st.sampled_from(["\u00b2", "9" * 5000, "-1", " 3 ", "0"]))


@st.composite
def first_pages(draw: st.DrawFn, paginator: str) -> Any:
    """The first page of a listing, with hostile paging fields."""
    records = draw(st.lists(json_values, max_size=2))
    if paginator == "openfinance":
        links = draw(altered({"self": "/a?page=1", "next": "/a?page=2"}, []) | json_values)
        next_link = draw(
            st.sampled_from(["https://[x", "//other.example/a", "http://127.0.0.1/a", "/a?page=2"])
        )
        meta = {"totalPages": draw(PAGE_COUNTS), "totalRecords": draw(json_values)}
        return {
            "data": records,
            "links": links if draw(st.booleans()) else {"next": next_link},
            "meta": meta,
        }
    if paginator == "pix":
        paging = {"paginaAtual": draw(PAGE_COUNTS), "quantidadeDePaginas": draw(PAGE_COUNTS)}
        return {"parametros": {"paginacao": paging}, "cobs": records}
    return {
        "pagina": draw(PAGE_COUNTS),
        "indMaisPagina": draw(json_values | st.just("S")),
        "titulos": records,
    }


def walk(session: Session, url: str, paginator: str, first: Any) -> None:
    """Page through a listing whose first page is `first` (then one empty last page)."""
    pages = [first]

    def fetch(method: str, target: str, params: Any, body: Any) -> Response:
        page = (
            pages.pop(0)
            if pages
            else {
                "data": [],
                "links": {},
                "meta": {},
                "indMaisPagina": "N",
                "parametros": {"paginacao": {"paginaAtual": 0, "quantidadeDePaginas": 1}},
            }
        )
        return session.request("POST", url, params={"status": 200}, data=json.dumps(page).encode())

    window = {"inicio": "2024-01-01T00:00:00Z", "fim": "2024-01-02T00:00:00Z"}
    walker = {
        "openfinance": lambda: OpenFinancePages(fetch, "/open-banking/accounts/v2/accounts", progress=False),
        "pix": lambda: PixPages(fetch, "/v2/cob", window, progress=False, max_pages=5),
        "boletos": lambda: BoletoListPages(fetch, "/boleto/listar", {"a": 1}, progress=False, max_pages=5),
    }[paginator]()  # fmt: skip
    ours(lambda: list(walker))
    ours(walker.to_frame)


@pytest.mark.parametrize("paginator", ["openfinance", "pix", "boletos"])
@FUZZ
@given(data=st.data())
def test_paginators_over_hostile_pages(
    reply_session: tuple[Session, str], paginator: str, data: Any
) -> None:
    session, url = reply_session
    walk(session, url, paginator, data.draw(first_pages(paginator)))


@pytest.mark.parametrize(
    ("paginator", "first"),
    [
        ("openfinance", {"data": [], "links": {"next": "https://[x"}, "meta": {}}),
        ("openfinance", {"data": [], "links": {}, "meta": {"totalPages": "\u00b2"}}),
        ("pix", {"parametros": {"paginacao": {"paginaAtual": "\u00b2", "quantidadeDePaginas": 3}}}),
        ("boletos", {"pagina": "9" * 5000, "indMaisPagina": "S", "titulos": []}),
    ],
)
def test_paging_fields_python_cannot_read(
    reply_session: tuple[Session, str], paginator: str, first: Any
) -> None:
    """A broken next link, a superscript digit, 5,000 digits: ValueError before the fix."""
    session, url = reply_session
    walk(session, url, paginator, first)


@pytest.fixture(scope="module")
def real_bodies(sb: Sandbox) -> list[Any]:
    """Real sandbox answers of every family: the envelopes `to_frame` knows, with real values."""
    ben, today = sb.beneficiary, dt.date.today()
    with client_for(sb, "pix") as pix_client, client_for(sb, "portal") as portal:
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        pix.create_charge(
            pix_client,
            amount="12.34",
            key=ben.pix_key,
            debtor={"cpf": sb.customer.cpf, "nome": "F"},
        )
        bodies = [
            pix.list_charges(pix_client, start, start + dt.timedelta(days=2)).json(),
            saldo_extrato.balance(portal, branch=ben.branch, account=ben.account).json(),
            saldo_extrato.statement(portal, branch=ben.branch, account=ben.account,
                                    start=today - dt.timedelta(days=20), end=today).json(),
        ]  # fmt: skip
    with client_for(sb, "openfinance") as of_client:
        authorize_accounts(sb, of_client)
        account = openfinance.accounts(of_client).json()["data"][0]["accountId"]
        bodies += [
            openfinance.accounts(of_client).json(),
            openfinance.balances(of_client, account).json(),
            openfinance.transactions(of_client, account, page_size=5).json(),
        ]
    return bodies


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))]
    return [path]


def _replaced(body: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = list(body) if isinstance(body, list) else dict(body)
    copy[path[0]] = _replaced(body[path[0]], path[1:], new)
    return copy


hostile_leaves = st.one_of(
    json_values,
    st.from_regex(r"\A-?[0-9]{1,22}([.,][0-9]{0,6})?\Z"),  # amounts, in and out of range
    st.from_regex(
        r"\A[0-9]{2,5}-[0-9]{1,2}-[0-9]{1,2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?\Z"
    ),
    st.from_regex(r"\A[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{2,5}\Z"),  # dd.mm.yyyy and friends
    st.sampled_from(
        ["00.00.0000", "0", "", " ", "NaN", "Infinity", "9" * 40, "2024-02-30", "24:00"]
    ),
)


@FUZZ
@given(data=st.data())
def test_real_bodies_with_hostile_values_tabulate_or_fail_clearly(
    real_bodies: list[Any], data: Any
) -> None:
    body = data.draw(st.sampled_from(real_bodies))
    paths = _leaf_paths(body)
    for path in (
        data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3)) if paths else []
    ):
        body = _replaced(body, path, data.draw(hostile_leaves))
    ours(lambda: to_frame(body))
    ours(lambda: to_frame(body, mask=False))


# -- token responses, cache files, pending files -------------------------------------------------------------
GOOD_TOKEN = {"access_token": "at-" + "x" * 20, "token_type": "Bearer", "expires_in": 300,
              "scope": "cob.read", "refresh_token": "rt-" + "y" * 20, "refresh_expires_in": 3600}  # fmt: skip


@FUZZ
@example(body=GOOD_TOKEN | {"expires_in": 1e300})  # OverflowError before the fix
@example(body=GOOD_TOKEN | {"expires_in": "inf"})
@example(body=GOOD_TOKEN | {"refresh_expires_in": 10**12})
@given(body=altered(GOOD_TOKEN, ["id_token", "cnf"]))
def test_token_responses(body: dict[str, Any]) -> None:
    ours(lambda: parse_token_response(body, grant="client_credentials", requested_scope=("cob.read",), sent_at=NOW))  # fmt: skip


@FEW
@given(content=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()),
                         altered({"version": 1, "tokens": {}}, []).map(lambda v: json.dumps(v).encode())))  # fmt: skip
def test_token_cache_files(tmp_path_factory: pytest.TempPathFactory, content: bytes) -> None:
    path = tmp_path_factory.mktemp("cache") / "tokens.json"
    path.write_bytes(content)
    path.chmod(0o600)
    cache = TokenCache(path)
    ours(cache.keys)
    ours(lambda: cache.get(cache_key(ISSUER, CLIENT_ID, "client_credentials", ())))


@FEW
@given(
    content=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode()))
)
def test_pending_authorization_files(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("pending") / "pending.json"
    path.write_bytes(content)
    path.chmod(0o600)
    pending = ours(lambda: PendingAuthorization.load(path))
    if pending is not None:
        repr(pending)
        pending._repr_html_()


DEEP = b"[" * 100_000  # json.loads raises RecursionError on this


def test_json_nested_beyond_the_recursion_limit_is_refused_clearly(
    signing_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    """RecursionError escaped from each of these before the fix."""
    check = IdTokenCheck(issuer=ISSUER, client_id=CLIENT_ID, algorithms=("PS256",))
    deep_payload = signed(GOOD_HEADER, {}, signing_key).split(".")[0] + "." + _b64(DEEP)
    key = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)
    deep_payload += "." + _b64(signing_key.sign(deep_payload.encode(), key, hashes.SHA256()))
    for token in (_b64(DEEP) + ".e30.c2ln", deep_payload):
        with pytest.raises(ResponseValidationError):
            validate_id_token(
                token, check, keys=key_lookup(signing_key), decryption_key=None, now=NOW
            )
    body = GOOD_TOKEN | {"access_token": "x." + _b64(DEEP) + ".y"}
    token, _ = parse_token_response(
        body, grant="client_credentials", requested_scope=(), sent_at=NOW
    )
    assert token.cnf is None
    cache_file, pending_file = tmp_path / "tokens.json", tmp_path / "pending.json"
    for path in (cache_file, pending_file):
        path.write_bytes(DEEP)
        path.chmod(0o600)
    assert TokenCache(cache_file).keys() == []
    with pytest.raises(ConfigurationError, match="not JSON"):
        PendingAuthorization.load(pending_file)


# -- amounts and Retry-After ---------------------------------------------------------------------------------
amounts = st.one_of(
    st.text(max_size=20),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.sampled_from(["NaN", "sNaN", "Infinity", "-0", "1e999999", "1e-999999", "10.5", "0.001"]),
)


@FUZZ
@example(amount="NaN")  # decimal.InvalidOperation before the fix
@example(amount=Decimal("NaN"))
@given(amount=amounts)
def test_pix_amounts(amount: Any) -> None:
    text = ours(lambda: pix.format_amount(amount))
    if text is not None:
        assert Decimal(text) > 0 and text == f"{Decimal(text):.2f}"


@FUZZ
@example(amount="NaN")  # decimal.InvalidOperation before the fix
@example(amount="Infinity")
@example(amount="1e999999")
@given(amount=amounts)
def test_boleto_amounts(amount: Any) -> None:
    value = ours(lambda: boletos.cents(amount))
    if value is not None:
        assert value > 0 and Decimal(value) / 100 == Decimal(str(amount))


@FUZZ
@given(
    value=st.one_of(
        st.none(),
        st.text(max_size=40),
        st.datetimes().map(lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT")),
    )
)
def test_retry_after_values(value: str | None) -> None:
    wait = parse_retry_after(value)
    assert wait is None or wait >= 0


def test_dates_in_pix_windows_must_be_aware(sb: Sandbox) -> None:
    with client_for(sb, "pix") as client:
        naive = dt.datetime(2024, 1, 1)
        assert ours(lambda: pix.list_charges(client, naive, naive + dt.timedelta(days=1))) is None


# -- dynamic client registration: the server's answers and the directory's statements ------------------
REG_SENT = {"redirect_uris": ["https://app.example/cb"], "jwks_uri": "https://keys.example/c.jwks",
            "token_endpoint_auth_method": "private_key_jwt", "response_types": ["code id_token"],
            "grant_types": ["authorization_code", "implicit", "refresh_token"]}  # fmt: skip
GOOD_REGISTRATION = REG_SENT | {
    "client_id": "dcr-1", "registration_client_uri": "https://as.example/register/dcr-1",
    "registration_access_token": "rat-" + "z" * 20, "client_secret": "cs-" + "w" * 20,
}  # fmt: skip
FUZZ_STATEMENT = "eyJhbGciOiJQUzI1NiJ9.eyJzb2Z0d2FyZV9pZCI6InMtMSJ9.c2ln"  # {"alg":"PS256"}.{"software_id":"s-1"}


def adopt_registration(kind: str, document: Any) -> None:
    """What the client does with a registration, update or read answer, then shows it."""
    previous = _State(client_id="dcr-1", metadata={}, issuer=ISSUER)
    registration = Registration(previous, session=None)
    if kind == "register":
        _check_registration(document, REG_SENT, Secret(FUZZ_STATEMENT))
        registration = Registration(_State.from_response(document, issuer=ISSUER), session=None)
    else:
        sent = REG_SENT if kind == "update" else None
        registration._adopt_document(document, previous, sent=sent, statement=None)
    repr(registration)
    registration._repr_html_()
    assert registration.credentials().client_id == registration.client_id


@pytest.mark.parametrize("kind", ["register", "update", "read"])
@FUZZ
@example(document={"client_id": "dcr-1", "redirect_uris": [{}]})  # TypeError before the fix
@example(document={"client_id": "dcr-1", "redirect_uris": [["https://app.example/cb"]]})
@example(document=GOOD_REGISTRATION | {"redirect_uris": "https://app.example/cb"})
@given(document=altered(GOOD_REGISTRATION, ["software_statement", "client_id_issued_at", "jwks"]))
def test_registration_responses(kind: str, document: dict[str, Any]) -> None:
    ours(lambda: adopt_registration(kind, document))


GOOD_STATEMENT = {"software_id": "s-1", "software_redirect_uris": ["https://app.example/cb"],
                  "software_jwks_uri": "https://keys.example/c.jwks", "org_id": "org-1",
                  "iss": "Open Banking Brasil SSA issuer", "iat": NOW}  # fmt: skip


def _jws(header: Any, claims: Any) -> str:
    parts = (json.dumps(header).encode(), json.dumps(claims).encode(), b"signature")
    return ".".join(_b64(p) for p in parts)


@st.composite
def software_statements(draw: st.DrawFn) -> str:
    """Directory statements with odd claims, odd headers, non-object payloads, or plain text."""
    choice = draw(st.sampled_from(["claims", "header", "payload", "text"]))
    if choice == "text":
        return draw(st.text(max_size=60))
    header = draw(json_values) if choice == "header" else {"alg": "PS256", "typ": "JWT"}
    if choice == "payload":
        return _jws(header, draw(json_values))
    return _jws(header, draw(altered(GOOD_STATEMENT, ["software_roles", "software_client_id"])))


@FUZZ
@example(
    statement=_jws({"alg": "PS256"}, GOOD_STATEMENT | {"software_redirect_uris": 5})
)  # TypeError before the fix
@example(statement=_jws({"alg": "PS256"}, GOOD_STATEMENT | {"software_redirect_uris": [{}]}))
@example(statement=_jws({"alg": "PS256"}, GOOD_STATEMENT | {"software_jwks_uri": ["a"]}))
@given(statement=software_statements())
def test_software_statements(statement: str) -> None:
    body = ours(lambda: _request_body(
        _statement_claims(Secret(statement)), identity=None, redirect_uris=None,  # type: ignore[arg-type]
        jwks_uri=None, auth_method="private_key_jwt", subject_dn=None, grant_types=None,
        response_types=("code id_token",), scopes=None, extra={},
    ))  # fmt: skip
    if body is not None:  # what is sent is what the statement said, with the types it must have
        assert all(isinstance(uri, str) for uri in body["redirect_uris"]) and body["redirect_uris"]
        assert isinstance(body["jwks_uri"], str)
