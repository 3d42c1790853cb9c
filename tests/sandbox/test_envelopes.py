"""Answers the server makes itself (unknown path, wrong method, a handler crash, an injected
fault) come in the envelope of the family that owns the path, on both ports, like the
handlers' own refusals: OFB `errors[]` + `meta` with the interaction id echoed, Bacen problem
details with Bacen's type names, the portal and Gen1 envelopes, OAuth errors on token paths."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
import requests

from bradesco_explore.sandbox import Sandbox
from bradesco_explore.sandbox._server import Reply, Request

from ._wire import Wire, fapi_headers

PIX_ERROR = "https://pix.bcb.gov.br/api/v2/error/"


def assert_ofb_error(
    reply: requests.Response, status: int, code: str, sent: dict[str, str]
) -> None:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert set(body) == {"errors", "meta"} and body["errors"][0]["code"] == code
    assert set(body["errors"][0]) == {"code", "title", "detail"}
    assert reply.headers["x-fapi-interaction-id"] == sent["x-fapi-interaction-id"]


def assert_pix_problem(reply: requests.Response, status: int, name: str, title: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["Content-Type"] == "application/problem+json"
    body = reply.json()
    assert body["type"] == PIX_ERROR + name and body["title"] == title
    assert body["status"] == status and body["detail"]


# -- unknown paths and wrong methods -------------------------------------------------------------


def test_an_unknown_open_finance_path_is_an_ofb_404_with_the_interaction_id(wire: Wire) -> None:
    headers = fapi_headers("whatever")
    reply = wire.http.get(f"{wire.api}/accounts/v2/nope", headers=headers)
    assert_ofb_error(reply, 404, "NOT_FOUND", headers)
    assert reply.json()["meta"]["requestDateTime"].endswith("Z")


def test_a_wrong_method_on_open_finance_is_an_ofb_405_with_allow(wire: Wire) -> None:
    headers = fapi_headers("whatever")
    reply = wire.http.delete(f"{wire.api}/accounts/v2/accounts", headers=headers)
    assert_ofb_error(reply, 405, "METHOD_NOT_ALLOWED", headers)
    assert reply.headers["Allow"] == "GET"


def test_a_missing_or_bad_interaction_id_on_an_unknown_path_gets_a_fresh_one(wire: Wire) -> None:
    for headers in ({}, {"x-fapi-interaction-id": "not-a-uuid"}):
        reply = wire.http.get(f"{wire.api}/accounts/v2/nope", headers=headers)
        assert reply.status_code == 404 and "errors" in reply.json()
        assert uuid.UUID(reply.headers["x-fapi-interaction-id"]).version == 4


def test_an_unknown_pix_path_is_a_bacen_problem(wire: Wire) -> None:
    reply = wire.http.get(f"{wire.mtls}/v2/nope")
    assert_pix_problem(reply, 404, "NaoEncontrado", "Não Encontrado")
    wrong = wire.http.delete(f"{wire.mtls}/v2/cob")
    assert_pix_problem(wrong, 405, "RequisicaoInvalida", "Requisição Inválida")
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "POST"}


def test_unknown_portal_and_legacy_paths_use_their_envelopes(wire: Wire) -> None:
    portal = wire.http.post(f"{wire.mtls}/boleto-hibrido/nope/v1/x", json={})
    assert portal.status_code == 404
    assert set(portal.json()) == {"code", "message", "details"}
    assert portal.json()["code"] == "NOT_FOUND"
    statement = wire.http.post(f"{wire.mtls}/v1/fornecimento-extratos-contas/extratos")
    assert statement.status_code == 405 and statement.json()["code"] == "METHOD_NOT_ALLOWED"
    legacy = wire.http.post(f"{wire.mtls}/v1/boleto/nope", json={})
    assert legacy.status_code == 404
    assert set(legacy.json()) == {"codigo", "mensagem", "errosValidacao"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/server/oauth/token", {"error": "invalid_request"}),
        ("/auth/server-mtls/v2/token", {"error": "invalid_request"}),
        ("/auth/server/v1.1/token", {"code": 405}),
    ],
)
def test_a_wrong_method_on_a_token_endpoint_uses_its_error_format(
    wire: Wire, path: str, body: dict[str, object]
) -> None:
    reply = wire.http.get(f"{wire.mtls}{path}")
    assert reply.status_code == 405 and reply.headers["Allow"] == "POST"
    assert body.items() <= reply.json().items()


def test_unknown_paths_on_the_public_port_use_the_family_format(
    shared_sandbox: Sandbox, no_cert_session: requests.Session
) -> None:
    headers = fapi_headers()
    api = no_cert_session.get(f"{shared_sandbox.public_url}/open-banking/nope", headers=headers)
    assert_ofb_error(api, 404, "NOT_FOUND", headers)
    auth = no_cert_session.delete(f"{shared_sandbox.public_url}/open-banking/auth/authorize")
    assert auth.status_code == 405 and auth.json()["error"] == "invalid_request"
    other = no_cert_session.get(f"{shared_sandbox.public_url}/nope")
    assert other.status_code == 404 and set(other.json()) == {"error", "error_description"}


# -- a handler that crashes ------------------------------------------------------------------------


@pytest.fixture
def crashing(sandbox: Sandbox) -> Sandbox:
    """The sandbox with a route per family whose handler raises (once per module)."""

    def boom(request: Request) -> Reply:
        raise RuntimeError("a handler bug")

    router = sandbox._mtls_router
    if ("GET", "/v2/crash") not in router.templates():
        for path in (
            "/v2/crash",
            "/open-banking/accounts/v2/crash",
            "/boleto/crash",
            "/v1/boleto/crash",
        ):
            router.add("GET", path, boom)
    return sandbox


def test_a_handler_crash_is_a_500_in_the_family_envelope(
    crashing: Sandbox, fresh_wire: Wire
) -> None:
    mtls = crashing.mtls_url
    assert_pix_problem(fresh_wire.http.get(f"{mtls}/v2/crash"), 500, "ErroInternoDoServidor",
                       "Erro Interno do Servidor")  # fmt: skip
    headers = fapi_headers()
    ofb = fresh_wire.http.get(f"{mtls}/open-banking/accounts/v2/crash", headers=headers)
    assert_ofb_error(ofb, 500, "INTERNAL_ERROR", headers)
    portal = fresh_wire.http.get(f"{mtls}/boleto/crash")
    assert portal.status_code == 500 and portal.json()["code"] == "INTERNAL_ERROR"
    legacy = fresh_wire.http.get(f"{mtls}/v1/boleto/crash")
    assert legacy.status_code == 500 and legacy.json()["codigo"] == "INTERNAL_ERROR"
    assert "a handler bug" not in ofb.text + portal.text + legacy.text


# -- injected faults -------------------------------------------------------------------------------


def test_injected_pix_faults_use_bacens_type_names(sandbox: Sandbox, fresh_wire: Wire) -> None:
    token = fresh_wire.pix_token()
    sandbox.faults.status_503, sandbox.faults.retry_after, sandbox.faults.only = 1, 3, "/v2/"
    reply = fresh_wire.http.get(
        f"{sandbox.mtls_url}/v2/cob", headers={"Authorization": f"Bearer {token}"}
    )
    assert_pix_problem(reply, 503, "ServicoIndisponivel", "Serviço Indisponível")
    assert reply.headers["Retry-After"] == "3"


def test_injected_faults_on_the_public_port_use_the_family_format(sandbox: Sandbox) -> None:
    no_cert_session = requests.Session()
    no_cert_session.trust_env, no_cert_session.verify = False, str(sandbox.ca_bundle)
    sandbox.faults.status_503, sandbox.faults.only = 1, "/open-banking/.well-known"
    discovery = no_cert_session.get(sandbox.discovery_url)
    assert discovery.status_code == 503 and discovery.json()["error"] == "temporarily_unavailable"
    assert no_cert_session.get(sandbox.discovery_url).status_code == 200
    sandbox.faults.status_429, sandbox.faults.only = 1, "/open-banking/auth/authorize"
    authorize = no_cert_session.get(f"{sandbox.public_url}/open-banking/auth/authorize")
    assert authorize.status_code == 429 and set(authorize.json()) == {"error", "error_description"}


def test_injected_faults_on_a_legacy_token_path_use_the_gen1_token_format(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    sandbox.faults.status_503, sandbox.faults.only = 1, "/auth/server/v1.1/token"
    reply = fresh_wire.legacy_token()
    assert reply.status_code == 503 and reply.json()["code"] == 503 and reply.json()["message"]


# -- the server clock ------------------------------------------------------------------------------


def test_ofb_error_envelopes_read_the_skewed_server_clock(
    sandbox: Sandbox, fresh_wire: Wire
) -> None:
    sandbox.clock_skew = 3 * 86400
    expected = dt.datetime.fromtimestamp(time.time() + sandbox.clock_skew, dt.UTC)
    for reply in (
        fresh_wire.http.get(f"{fresh_wire.api}/accounts/v2/nope", headers=fapi_headers()),
        fresh_wire.http.get(
            f"{fresh_wire.api}/accounts/v2/accounts", headers={}
        ),  # no interaction id
    ):
        assert reply.status_code in (400, 404)
        stamp = dt.datetime.strptime(reply.json()["meta"]["requestDateTime"], "%Y-%m-%dT%H:%M:%SZ")
        assert abs(stamp.replace(tzinfo=dt.UTC) - expected) < dt.timedelta(seconds=30)
