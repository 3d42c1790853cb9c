"""Security audit: no secret leaks anywhere a person could see it; weakening security is refused.

For every secret kind - access token, refresh token, ID token, client secret, private key,
PKCS#12 password, authorization code, PKCE verifier, client assertion, request object, state
and nonce - the audit drives every code path that handles it against the sandbox and then
looks for it (the whole value, and the distinctive parts: a JWT's payload and signature, each
line of a PEM key) in:

- every log record of every logger, captured at DEBUG;
- `repr`, `str` and `_repr_html_` of every package object involved, the exchange log and its
  table, and the text of every error raised on the way;
- the output of the command line (`token`, `authorize --auto`, `cert inspect`, `sandbox`, `csr`)
  run as subprocesses with DEBUG logging on;
- files: any file holding a secret must be 0600 (token cache, pending authorization, keys,
  .env), and no temporary key file outlives the TLS context that loaded it.

The list of secrets is `sb.known_secrets()` (everything the sandbox issued or was sent) plus
what only the client holds (the PKCS#12 password). Then: `verify=False` and plain `http://` to
anything but loopback are refused everywhere - `Session`, `Client`, `Family`/`Environment`
URLs, discovery documents and redirects - and `alg: none` cannot be allowed.

Widget state: the widget layer drives its own views in `tests/widgets`; to have this audit grep
a view's state as well, append a function to `SURFACE_HOOKS` (it gets the sandbox and returns
the text the view shows, e.g. `json.dumps(widget.get_state())`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

import bradesco_explore as bx
from bradesco_explore.apis import boletos, openfinance, pix
from bradesco_explore.auth import Client, Environment, Family, PendingAuthorization, TokenCache
from bradesco_explore.errors import (
    BradescoExploreError,
    ConfigurationError,
    InsecureConfigurationError,
    ResponseValidationError,
    TLSHandshakeError,
)
from bradesco_explore.identity import CertificateAuthority, Identity, save_private_key
from bradesco_explore.sandbox import Sandbox
from bradesco_explore.sandbox._server import Reply, Request, Router, TLSServer, json_reply
from bradesco_explore.transport import Session

from ..widgets._audit import dashboard_surface
from .conftest import authorize_accounts, client_for

ROOT = Path(__file__).resolve().parents[2]
REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
P12_PASSWORD = "p12-Pass-word-7391"
SECRET_KINDS = (
    "access token", "refresh token", "ID token", "client secret", "private key",
    "PKCS#12 password", "authorization code", "PKCE verifier", "client assertion",
    "request object", "state", "nonce",
)  # fmt: skip

SURFACE_HOOKS: list[Callable[[Sandbox], str]] = [dashboard_surface]
"""Extra views to audit: each gets the sandbox and returns all the text it shows (the widget
dashboard's saved state, after a client-credentials flow, an authorization code flow and a fetch)."""

DEBUG_CLI = textwrap.dedent(
    """
    import logging, sys
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    from bradesco_explore.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


# -- what a secret looks like in text ------------------------------------------------------------------
def needles(secrets: Iterable[str]) -> set[str]:
    """Each secret, plus the parts that identify it: JWT payload and signature, PEM key lines."""
    found: set[str] = set()
    for secret in secrets:
        if len(secret) < 8:
            continue
        found.add(secret)
        if "PRIVATE KEY-----" in secret:
            found.update(line for line in secret.splitlines() if len(line) >= 32)
        elif secret.count(".") in (2, 4) and secret.startswith("eyJ"):
            found.update(part for part in secret.split(".")[1:] if len(part) >= 16)
    return found


def assert_no_leak(secrets: Iterable[str], text: str, where: str) -> None:
    leaked = sorted({n[:10] + "…" for n in needles(secrets) if n in text})
    assert not leaked, f"secrets visible in {where}: {leaked}"


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a compact JWS (unverified), or {} if it is not one."""
    parts = token.split(".")
    if len(parts) != 3 or not token.startswith("eyJ"):
        return {}
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def views(*objects: object) -> str:
    """Every way a notebook or a terminal shows these objects."""
    shown = []
    for obj in objects:
        shown += [repr(obj), str(obj)]
        html = getattr(obj, "_repr_html_", None)
        if callable(html):
            shown.append(str(html()))
    return "\n".join(shown)


def client_views(client: Client) -> str:
    frame = client.log.to_frame()
    rows = [str(e.as_row()) for e in client.log]
    return "\n".join(
        [views(client, client.session, client.credentials, client.cache, client.log), frame.to_string(), *rows]
    )  # fmt: skip


# -- driving every path that handles a secret -------------------------------------------------------------
class Run:
    """Everything one audited session produced: objects to show, errors raised, secrets."""

    def __init__(self) -> None:
        self.objects: list[object] = []
        self.errors: list[BaseException] = []
        self.clients: list[Client] = []

    def keep(self, *objects: object) -> None:
        self.objects.extend(objects)

    def expect_error(self, action: Callable[[], object]) -> None:
        try:
            action()
        except BradescoExploreError as error:
            self.errors.append(error)
            return
        raise AssertionError("the action was expected to fail")


def drive_every_flow(sb: Sandbox, folder: Path, run: Run) -> None:
    """Every grant of every family, with failures, persistence and the identity formats."""
    _secret_families(sb, folder, run)
    _open_finance(sb, folder, run)
    _identities(sb, folder, run)


def _secret_families(sb: Sandbox, folder: Path, run: Run) -> None:
    pix_client = client_for(sb, "pix", cache_file=folder / "tokens.json")
    portal, legacy = client_for(sb, "portal"), client_for(sb, "legacy")
    run.clients += [pix_client, portal, legacy]
    charge = pix.create_charge(
        pix_client, txid=pix.new_txid(), amount="1.00", key=sb.beneficiary.pix_key
    )
    sb.expire_tokens()  # the reactive refresh path
    run.keep(charge, pix_client.token(), pix.get_charge(pix_client, charge.json()["txid"]))
    run.keep(portal.token(), legacy.token(), boletos.register(legacy, _layout(sb)))
    run.expect_error(lambda: pix.get_webhook(pix_client, "no-such-key"))
    run.expect_error(lambda: pix_client.get("/v2/cob/" + "x" * 30))
    sb.clock_skew = -120  # assertions refused, with the skew named
    run.expect_error(lambda: client_for(sb, "legacy").token())
    run.expect_error(
        lambda: client_for(sb, "openfinance").token(["consents"], grant="client_credentials")
    )
    sb.clock_skew = 0
    wrong = Client(sb.environment, "pix", identity=sb.identity, client_id=sb.credentials.client_id,
                   client_secret="a-wrong-secret-" + "w" * 20)  # fmt: skip
    run.expect_error(wrong.token)
    run.clients.append(wrong)


def _open_finance(sb: Sandbox, folder: Path, run: Run) -> None:
    client = client_for(sb, "openfinance", cache_file=folder / "of-tokens.json")
    run.clients.append(client)
    token = authorize_accounts(sb, client)
    run.keep(token, client.refresh(token), openfinance.accounts(client))
    consent = openfinance.create_consent(client, cpf=sb.customer.cpf).json()["data"]["consentId"]
    pending = client.authorize(scopes=["openid", "accounts"], consent=consent, response_mode="jwt")
    pending.save(folder / "pending.json")
    redirect = client.follow(pending)
    run.keep(pending, client.finish(PendingAuthorization.load(folder / "pending.json"), redirect))
    run.expect_error(lambda: client.finish(pending, redirect))  # the code is spent
    tampered = client.authorize(scopes=["openid", "accounts"], consent=_consent(sb, client))
    run.keep(tampered)
    run.expect_error(
        lambda: client.finish(tampered, client.follow(tampered).replace("state=", "state=x"))
    )
    run.expect_error(
        lambda: client.finish(tampered, "https://elsewhere.example/cb#code=abc&state=def")
    )


def _identities(sb: Sandbox, folder: Path, run: Run) -> None:
    identity = sb.identity
    key = identity._private_key()
    p12 = pkcs12.serialize_key_and_certificates(
        b"audit", key, identity.certificate, None,
        serialization.BestAvailableEncryption(P12_PASSWORD.encode()),
    )  # fmt: skip
    (folder / "client.p12").write_bytes(p12)
    run.keep(
        Identity.load(p12, password=P12_PASSWORD),
        Identity.load(folder / "client.p12", password=P12_PASSWORD),
    )
    run.expect_error(lambda: Identity.load(p12, password=P12_PASSWORD + "-wrong"))
    run.expect_error(lambda: Identity.load(p12))
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    save_private_key(folder / "saved.key", pem)
    run.keep(Identity.load(identity.certificate_pem, key=folder / "saved.key"), sb.credentials)


def _layout(sb: Sandbox) -> dict[str, Any]:
    import datetime as dt

    today = dt.date.today()
    return boletos.hybrid_boleto(
        beneficiary_cnpj=sb.beneficiary.cnpj, negotiation=sb.beneficiary.negotiation,
        amount="10.00", due=today + dt.timedelta(days=5), issued=today,
        payer_name="FULANO", payer_document=sb.customer.cpf,
    )  # fmt: skip


def secrets_by_kind(sb: Sandbox, run: Run) -> dict[str, list[str]]:
    """The secrets of this run, sorted into the kinds the audit promises to cover."""
    known = sb.known_secrets()
    client_id = sb.credentials.client_id
    tokens = [t for t in run.objects if isinstance(t, bx.Token)]
    pendings = [p for p in run.objects if isinstance(p, PendingAuthorization)]
    jwts = {s: claims_of(s) for s in known}
    kinds = {
        "access token": [t.access_token.reveal() for t in tokens],
        "refresh token": [t.refresh_token.reveal() for t in tokens if t.refresh_token],
        "ID token": [t.id_token.reveal() for t in tokens if t.id_token],
        "client secret": [sb.credentials.client_secret.reveal()]
        if sb.credentials.client_secret
        else [],
        "private key": [s for s in known if "PRIVATE KEY-----" in s],
        "PKCS#12 password": [P12_PASSWORD],
        "authorization code": [
            str(c["code"]) for c in jwts.values() if "code" in c and "state" in c
        ],
        "PKCE verifier": [p.code_verifier.reveal() for p in pendings],
        "client assertion": [
            s for s, c in jwts.items() if c.get("sub") == client_id and "jti" in c
        ],
        "request object": [s for s, c in jwts.items() if "response_type" in c],
        "state": [p.state.reveal() for p in pendings],
        "nonce": [p.nonce.reveal() for p in pendings],
    }
    return kinds


def grep_list(sb: Sandbox, kinds: dict[str, list[str]]) -> list[str]:
    """Every secret to look for. PAR `request_uri`s are left out on purpose: the authorization
    URL that carries one is what the user must open, so it is shown (once, short-lived)."""
    values = [s for found in kinds.values() for s in found] + sb.known_secrets()
    return [v for v in values if not v.startswith(REQUEST_URI_PREFIX)]


@pytest.fixture
def every_logger_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every record of every logger at DEBUG (root and each known logger)."""
    caplog.set_level(logging.DEBUG)
    names = [
        n
        for n in logging.root.manager.loggerDict
        if isinstance(logging.getLogger(n), logging.Logger)
    ]
    previous = {n: logging.getLogger(n).level for n in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog
    for name, level in previous.items():
        logging.getLogger(name).setLevel(level)


def test_no_secret_of_any_kind_reaches_logs_views_or_errors(
    sb: Sandbox, tmp_path: Path, every_logger_at_debug: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    run = Run()
    drive_every_flow(sb, tmp_path, run)
    kinds = secrets_by_kind(sb, run)
    missing = [kind for kind in SECRET_KINDS if not kinds[kind]]
    assert not missing, f"the flows did not exercise: {missing}"
    for kind in ("PKCE verifier", "state", "nonce"):  # sent to the sandbox, so it lists them
        assert set(kinds[kind]) & set(sb.known_secrets()), f"known_secrets() lacks every {kind}"
    # the hooks run flows of their own (the dashboard's tokens and codes): run them before the
    # grep list is made, so what they mint is looked for too
    surfaces = "\n".join(hook(sb) for hook in SURFACE_HOOKS)
    secrets = grep_list(sb, kinds)

    records = every_logger_at_debug.records
    assert any(r.name.startswith("urllib3") for r in records), "DEBUG records were captured"
    logs = every_logger_at_debug.text + "\n".join(r.getMessage() for r in records)
    assert_no_leak(secrets, logs, "DEBUG logs")
    assert_no_leak(secrets, views(*run.objects), "reprs and HTML views")
    assert_no_leak(
        secrets, "\n".join(client_views(c) for c in run.clients), "clients, sessions, exchange logs"
    )
    assert_no_leak(secrets, "\n".join(f"{e!r} {e}" for e in run.errors), "error messages")
    assert_no_leak(
        secrets, views(sb, sb.environment, *sb.environment.families.values()), "sandbox views"
    )
    assert_no_leak(secrets, surfaces, "widget state hooks")
    printed = capsys.readouterr()
    assert_no_leak(secrets, printed.out + printed.err, "printed output")
    for client in run.clients:
        client.close()


# -- files ---------------------------------------------------------------------------------------------
def files_holding(secrets: list[str], folders: Iterable[Path]) -> Iterator[tuple[Path, int]]:
    """(file, mode) of every file under `folders` whose bytes contain one of the secrets."""
    wanted = [n.encode() for n in needles(secrets)]
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and any(n in path.read_bytes() for n in wanted):
                yield path, stat.S_IMODE(path.stat().st_mode)


def test_every_file_holding_a_secret_is_0600(sb: Sandbox, tmp_path: Path) -> None:
    run = Run()
    drive_every_flow(sb, tmp_path, run)
    secrets = grep_list(sb, secrets_by_kind(sb, run))
    holding = dict(files_holding(secrets, [tmp_path, sb.directory]))
    names = {p.name for p in holding}
    assert {
        "tokens.json",
        "of-tokens.json",
        "pending.json",
        "saved.key",
        "client.key",
        "signing.key",
        ".env",
    } <= names
    loose = {
        str(p): oct(mode) for p, mode in holding.items() if mode != 0o600 and p.name != "client.p12"
    }
    assert not loose, f"files with secrets readable by others: {loose}"
    for client in run.clients:
        client.close()


def test_no_temporary_key_file_outlives_the_tls_context(
    sb: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Path] = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*args: Any, **kwargs: Any) -> str:
        kwargs.setdefault("dir", tmp_path)  # a folder of this test's own: no other run interferes
        made.append(Path(real_mkdtemp(*args, **kwargs)))
        return str(made[-1])

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    sessions = [Session(sb.identity, ca_bundle=sb.ca_bundle) for _ in range(3)]
    assert len(made) == 3 and all(p.name.startswith("bx-mtls-") for p in made)
    assert not any(p.exists() for p in made) and not list(tmp_path.iterdir())
    for session in sessions:
        session.close()


def test_files_readable_by_others_are_refused(sb: Sandbox, tmp_path: Path) -> None:
    with client_for(sb, "openfinance", cache_file=tmp_path / "tokens.json") as client:
        client.token(["consents"], grant="client_credentials")
        pending = client.authorize(scopes=["openid", "accounts"], consent=_consent(sb, client))
    pending.save(tmp_path / "pending.json")
    for name in ("tokens.json", "pending.json"):
        (tmp_path / name).chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        PendingAuthorization.load(tmp_path / "pending.json")
    with pytest.raises(ConfigurationError, match="chmod 600"):
        TokenCache(tmp_path / "tokens.json").keys()


def _consent(sb: Sandbox, client: Client) -> str:
    return str(openfinance.create_consent(client, cpf=sb.customer.cpf).json()["data"]["consentId"])


# -- the command line, as subprocesses -----------------------------------------------------------------------
def cli(args: list[str], env: dict[str, str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `bradesco-explore ARGS` in a fresh interpreter with every logger at DEBUG."""
    return subprocess.run(
        [sys.executable, "-c", DEBUG_CLI, *args], env=env, cwd=cwd, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


def cli_env(sb: Sandbox, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BRADESCO_")}
    return clean | sb.env_variables() | {"PYTHONPATH": str(ROOT / "src")} | extra


def test_command_line_output_shows_no_secret(sb: Sandbox, tmp_path: Path) -> None:
    env = cli_env(sb, AUDIT_P12_PASSWORD=P12_PASSWORD)
    key = sb.identity._private_key()
    (tmp_path / "client.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"audit", key, sb.identity.certificate, None,
        serialization.BestAvailableEncryption(P12_PASSWORD.encode())))  # fmt: skip
    with client_for(sb, "openfinance") as client:
        consents = [_consent(sb, client) for _ in range(2)]
    local = ["--env", "local-sandbox"]
    commands = [
        ["token", *local, "--family", "pix", "--cache-file", str(tmp_path / "cli-tokens.json")],
        ["token", *local, "--family", "portal", "--json"],
        ["token", *local, "--family", "legacy"],
        ["token", *local, "--family", "openfinance", "--grant", "client_credentials", "--scope", "consents"],
        ["authorize", *local, "--family", "openfinance", "--auto", "--consent", consents[0]],
        ["authorize", *local, "--family", "openfinance", "--auto", "--consent", consents[1], "--response-mode", "jwt", "--json"],
        ["cert", "inspect", str(sb.directory / "client.pem"), "--key", str(sb.directory / "client.key")],
        ["cert", "inspect", str(tmp_path / "client.p12"), "--password-env", "AUDIT_P12_PASSWORD", "--json"],
        ["csr", "--cn", "audit.example", "--out", str(tmp_path / "plain")],
        ["csr", "--cn", "audit.example", "--out", str(tmp_path / "locked"), "--passphrase-env", "AUDIT_P12_PASSWORD"],
    ]  # fmt: skip
    outputs = []
    for args in commands:
        done = cli(args, env, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stderr[-2000:])
        outputs.append(done.stdout + done.stderr)
    failing = cli(["cert", "inspect", str(tmp_path / "client.p12"), "--password-env", "WRONG"],
                  env | {"WRONG": P12_PASSWORD + "-no"}, cwd=tmp_path)  # fmt: skip
    assert failing.returncode == 2 and "password" in failing.stderr.lower()
    outputs.append(failing.stdout + failing.stderr)
    secrets = [*grep_list(sb, {}), P12_PASSWORD, P12_PASSWORD + "-no"]
    assert any("DEBUG:urllib3" in o for o in outputs), "the runs logged at DEBUG"
    for args, output in zip(
        [*commands, ["cert", "inspect", "(wrong password)"]], outputs, strict=True
    ):
        assert_no_leak(secrets, output, f"`bradesco-explore {' '.join(args[:2])}` output")
    assert stat.S_IMODE((tmp_path / "cli-tokens.json").stat().st_mode) == 0o600
    keys = [tmp_path / "plain.key", tmp_path / "locked.key"]
    assert all(b"PRIVATE KEY" in p.read_bytes() for p in keys)
    assert {stat.S_IMODE(p.stat().st_mode) for p in keys} == {0o600}


def test_sandbox_command_prints_where_things_are_but_no_secret(tmp_path: Path) -> None:
    env_file = tmp_path / "sandbox.env"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRADESCO_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    process = subprocess.Popen(
        [sys.executable, "-c", DEBUG_CLI, "sandbox", "--env-file", str(env_file)],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert _wait_for(lambda: env_file.exists() and env_file.stat().st_size > 0, process)
        variables = dict(
            line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line
        )
        secret = variables["BRADESCO_CLIENT_SECRET"]
        keys = [Path(variables[n]).read_text() for n in ("BRADESCO_KEY", "BRADESCO_SIGNING_KEY")]
        modes = {
            n: stat.S_IMODE(Path(variables[n]).stat().st_mode)
            for n in ("BRADESCO_KEY", "BRADESCO_SIGNING_KEY")
        }
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output[-2000:]
    assert variables["BRADESCO_CA_BUNDLE"] in output, "the banner says where the files are"
    assert_no_leak([secret, *keys], output, "`bradesco-explore sandbox` output")
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert set(modes.values()) == {0o600}


def _wait_for(
    condition: Callable[[], bool], process: subprocess.Popen[str], seconds: float = 60
) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# -- weakening security is refused everywhere -------------------------------------------------------------------
def test_verify_false_is_refused(sb: Sandbox) -> None:
    with pytest.raises(InsecureConfigurationError, match="verify"):
        Session(sb.identity, ca_bundle=sb.ca_bundle, verify=False)
    with (
        Session(sb.identity, ca_bundle=sb.ca_bundle) as session,
        pytest.raises(InsecureConfigurationError),
    ):
        session.request("GET", sb.mtls_url + "/v2/cob", verify=False)


@pytest.mark.parametrize(
    "url", ["http://bank.example/v2/cob", "http://10.0.0.1/x", "HTTP://bank.example/"]
)
def test_plain_http_to_a_remote_host_is_refused_before_connecting(sb: Sandbox, url: str) -> None:
    with Session(None) as session, pytest.raises(InsecureConfigurationError, match="http://"):
        session.request("GET", url)
    assert len(session.log) == 0, "nothing was sent"
    with client_for(sb, "pix") as client, pytest.raises(InsecureConfigurationError):
        client.get(url)
    with pytest.raises(InsecureConfigurationError):
        Family("pix", url, token_url="https://bank.example/token")
    with pytest.raises(InsecureConfigurationError):
        Family("pix", "https://bank.example", token_url=url)
    with pytest.raises(InsecureConfigurationError):
        Environment.discover(url.rstrip("/") + "/.well-known/openid-configuration")


def test_alg_none_cannot_be_allowed(sb: Sandbox) -> None:
    for algorithms in (["none"], ["PS256", "none"], ["HS256"]):
        with pytest.raises(InsecureConfigurationError):
            Client(sb.environment, "openfinance", identity=sb.identity, credentials=sb.credentials,
                   algorithms=algorithms)  # fmt: skip


@pytest.fixture(scope="module")
def rogue(ca: CertificateAuthority) -> Iterator[str]:
    """An HTTPS server (trusted test CA) that misbehaves: http:// endpoints and redirects."""
    router = Router()
    base: list[str] = []

    def discovery(request: Request) -> Reply:
        issuer = base[0] + "/as"
        return json_reply(200, {"issuer": issuer, "token_endpoint": issuer + "/token",
                                "jwks_uri": "http://as.example/jwks",
                                "authorization_endpoint": issuer + "/authorize"})  # fmt: skip

    router.add("GET", "/as/.well-known/openid-configuration", discovery)
    router.add(
        "GET", "/to-http", lambda r: Reply(302, b"", {"Location": "http://as.example/cb?code=x"})
    )
    router.add(
        "GET", "/to-loopback-http", lambda r: Reply(302, b"", {"Location": "http://127.0.0.1:9/x"})
    )
    server = TLSServer(router, ca.issue_server(), ca.certificate_pem, client_cert="none")
    server.start()
    base.append(server.base_url)
    yield server.base_url
    server.stop()


def test_discovery_advertising_http_endpoints_is_refused(rogue: str, ca_bundle: Path) -> None:
    with pytest.raises(ResponseValidationError) as info:
        Environment.discover(rogue + "/as/.well-known/openid-configuration", ca_bundle=ca_bundle)
    assert info.value.check == "discovery.endpoint" and "http://as.example/jwks" in str(info.value)


def test_a_redirect_to_plain_http_is_not_followed(rogue: str, ca_bundle: Path) -> None:
    with Session(None, ca_bundle=ca_bundle) as session:
        with pytest.raises(InsecureConfigurationError, match=r"as\.example"):
            session.request(
                "GET", rogue + "/to-http", follow_redirects=True
            )  # connected before the fix
        not_followed = session.request("GET", rogue + "/to-http")
    assert not_followed.status_code == 302, "without follow_redirects the 302 is simply returned"
    assert [e.outcome for e in session.log] == ["InsecureConfigurationError", "ok"]


def test_a_redirect_to_loopback_http_is_allowed_like_the_sandbox(
    rogue: str, ca_bundle: Path
) -> None:
    with (
        Session(None, ca_bundle=ca_bundle, timeout=2) as session,
        pytest.raises(BradescoExploreError) as info,
    ):
        session.request("GET", rogue + "/to-loopback-http", follow_redirects=True)
    assert not isinstance(info.value, InsecureConfigurationError), "loopback http is the sandbox's"


def test_follow_refuses_a_consent_page_that_redirects_to_plain_http(
    sb: Sandbox, rogue: str, ca_bundle: Path
) -> None:
    import datetime as dt

    from bradesco_explore._secret import Secret

    now = dt.datetime.now(dt.UTC)
    pending = PendingAuthorization(
        url=rogue + "/to-http", issuer=sb.issuer, client_id=sb.credentials.client_id,
        redirect_uri="https://app.example/cb", state=Secret("s" * 24), nonce=Secret("n" * 24),
        code_verifier=Secret("v" * 43), scopes=("openid",), response_type="code id_token",
        response_mode=None, request_uri=None, created_at=now, expires_at=now + dt.timedelta(minutes=1),
    )  # fmt: skip
    client = Client(sb.environment, "openfinance", credentials=sb.credentials,
                    session=Session(None, ca_bundle=ca_bundle))  # fmt: skip
    with pytest.raises(InsecureConfigurationError):
        client.follow(pending)


def test_an_explicit_ca_bundle_wins_over_requests_ca_bundle(
    sb: Sandbox, other_ca_bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other_ca_bundle))
    with client_for(sb, "pix") as client:
        assert client.token().cnf == sb.identity.x5t_s256
    with Session(sb.identity) as session, pytest.raises(TLSHandshakeError):
        session.request("GET", sb.mtls_url + "/v2/cob")  # REQUESTS_CA_BUNDLE: the wrong CA
