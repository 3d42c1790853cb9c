"""Pix (Bacen API Pix v2 on Bradesco): Basic + mTLS tokens bound to the certificate, cob, cobv,
cob-emv, loc, received Pix with devolucoes, webhooks, problem details, Bradesco's 200-not-201."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from bradesco_explore.sandbox import Sandbox
from bradesco_explore.sandbox._pix_store import crc16_ccitt

from ._wire import Wire, identity_files

WINDOW = {"inicio": "2024-10-01T00:00:00Z", "fim": "2024-10-04T00:00:00Z"}


def txid() -> str:
    return secrets.token_hex(16)


def cob_body(wire: Wire, **extra: Any) -> dict[str, Any]:
    return {"calendario": {"expiracao": 3600}, "valor": {"original": "123.45"},
            "chave": wire.sb.beneficiary.pix_key, "solicitacaoPagador": "Pedido 42",
            "devedor": {"nome": "Maria", "cpf": wire.sb.customer.cpf}} | extra  # fmt: skip


def call(wire: Wire, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
    return wire.http.request(
        method, f"{wire.mtls}{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
    )


@pytest.fixture(scope="module")
def token(wire: Wire) -> str:
    return wire.pix_token()


def test_the_token_is_an_rs512_jwt_bound_to_the_certificate_like_bradescos(
    wire: Wire, token: str
) -> None:
    claims = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token)["alg"] == "RS512"
    assert claims["ver"] == "2.0" and claims["sub"] == wire.client_id
    assert claims["cnf"]["x5t#S256"] == wire.sb.identity.x5t_s256
    assert claims["scp"].endswith(" ") and "cob.write" in claims["scp"]


def test_the_token_endpoint_answers_on_both_paths(wire: Wire) -> None:
    for path in ("/oauth/token", "/auth/server/oauth/token"):
        reply = wire.http.post(
            f"{wire.mtls}{path}",
            data={"grant_type": "client_credentials"},
            auth=(wire.client_id, wire.secret),
        )
        assert reply.status_code == 200
        assert (
            reply.json()["token_type"] == "Bearer" and reply.headers["Cache-Control"] == "no-store"
        )


def test_credentials_in_the_body_are_refused_basic_is_required(wire: Wire) -> None:
    reply = wire.http.post(f"{wire.mtls}/auth/server/oauth/token", data={
        "grant_type": "client_credentials", "client_id": wire.client_id, "client_secret": wire.secret})  # fmt: skip
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"
    assert reply.headers["WWW-Authenticate"].startswith("Basic")


def test_a_wrong_secret_is_invalid_client(wire: Wire) -> None:
    reply = wire.http.post(f"{wire.mtls}/auth/server/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(wire.client_id, "wrong-secret"))  # fmt: skip
    assert reply.status_code == 401 and reply.json()["error"] == "invalid_client"


def test_an_unknown_scope_is_invalid_scope(wire: Wire) -> None:
    reply = wire.http.post(f"{wire.mtls}/auth/server/oauth/token", data={"grant_type": "client_credentials", "scope": "lotecobv.write"},
                           auth=(wire.client_id, wire.secret))  # fmt: skip
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_scope"


def test_put_cob_creates_with_201_and_a_valid_br_code(wire: Wire, token: str) -> None:
    reply = call(wire, "PUT", f"/v2/cob/{txid()}", token, json=cob_body(wire))
    assert reply.status_code == 201
    cob = reply.json()
    assert cob["status"] == "ATIVA" and cob["revisao"] == 0 and cob["valor"]["original"] == "123.45"
    emv = cob["pixCopiaECola"]
    assert emv.startswith("000201") and emv[-4:] == crc16_ccitt(emv[:-4].encode())
    assert cob["loc"]["location"] in emv


def test_post_cob_answers_200_not_201_as_bradesco_does(wire: Wire, token: str) -> None:
    reply = call(wire, "POST", "/v2/cob", token, json=cob_body(wire))
    assert reply.status_code == 200
    assert len(reply.json()["txid"]) == 32


def test_put_cob_again_revises_and_revisions_can_be_read(wire: Wire, token: str) -> None:
    charge = txid()
    call(wire, "PUT", f"/v2/cob/{charge}", token, json=cob_body(wire))
    revised = call(wire, "PATCH", f"/v2/cob/{charge}", token, json={"valor": {"original": "99.00"}})
    assert revised.status_code == 200 and revised.json()["revisao"] == 1
    first = call(wire, "GET", f"/v2/cob/{charge}", token, params={"revisao": "0"})
    assert first.json()["valor"]["original"] == "123.45"
    removed = call(
        wire,
        "PATCH",
        f"/v2/cob/{charge}",
        token,
        json={"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"},
    )
    assert removed.json()["status"] == "REMOVIDA_PELO_USUARIO_RECEBEDOR"
    again = call(wire, "PATCH", f"/v2/cob/{charge}", token, json={"valor": {"original": "1.00"}})
    assert again.status_code == 400 and again.json()["type"].endswith("/CobOperacaoInvalida")


def test_an_invalid_cob_is_a_problem_with_violacoes(wire: Wire, token: str) -> None:
    body = cob_body(wire, valor={"original": "12,50"}, chave="someone-else@example.com")
    reply = call(wire, "PUT", f"/v2/cob/{txid()}", token, json=body)
    assert reply.status_code == 400
    problem = reply.json()
    assert problem["type"] == "https://pix.bcb.gov.br/api/v2/error/CobOperacaoInvalida"
    assert problem["status"] == 400 and problem["title"] == "Cobrança inválida."
    assert {v["propriedade"] for v in problem["violacoes"]} == {"cob.valor.original", "cob.chave"}
    assert reply.headers["Content-Type"].startswith("application/problem+json")


def test_a_bad_txid_and_an_unknown_cob(wire: Wire, token: str) -> None:
    short = call(wire, "PUT", "/v2/cob/short", token, json=cob_body(wire))
    assert short.status_code == 400 and short.json()["violacoes"][0]["propriedade"] == "txid"
    missing = call(wire, "GET", f"/v2/cob/{txid()}", token)
    assert missing.status_code == 404 and missing.json()["type"].endswith("/CobNaoEncontrado")


def test_list_cob_needs_a_period_and_paginates(wire: Wire, token: str) -> None:
    assert call(wire, "GET", "/v2/cob", token).json()["type"].endswith("/CobConsultaInvalida")
    page = call(
        wire, "GET", "/v2/cob", token, params=WINDOW | {"paginacao.itensPorPagina": "3"}
    ).json()
    assert page["parametros"]["paginacao"]["itensPorPagina"] == 3
    assert (
        page["parametros"]["paginacao"]["quantidadeTotalDeItens"] == 8
    )  # the canned cobs paid in the window
    assert len(page["cobs"]) == 3 and all(c["status"] == "CONCLUIDA" for c in page["cobs"])


def test_cobv_answers_200_and_refuses_a_past_due_date(wire: Wire, token: str) -> None:
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    body = cob_body(wire, calendario={"dataDeVencimento": due, "validadeAposVencimento": 30})
    created = call(wire, "PUT", f"/v2/cobv/{txid()}", token, json=body)
    assert created.status_code == 200
    assert created.json()["recebedor"]["cnpj"] == wire.sb.beneficiary.cnpj
    past = cob_body(wire, calendario={"dataDeVencimento": "2020-01-01"})
    refused = call(wire, "PUT", f"/v2/cobv/{txid()}", token, json=past)
    assert refused.status_code == 400 and refused.json()["type"].endswith("/CobVOperacaoInvalida")
    assert refused.json()["violacoes"][0]["propriedade"] == "cobv.calendario.dataDeVencimento"


def test_cob_emv_returns_the_charge_the_emv_and_an_image(wire: Wire, token: str) -> None:
    reply = call(wire, "POST", "/v2/cob-emv", token, json=cob_body(wire))
    assert reply.status_code == 200
    assert set(reply.json()) == {"cob", "emv", "base64"}
    assert reply.json()["emv"] == reply.json()["cob"]["pixCopiaECola"]


def test_locations_can_be_created_linked_and_unlinked(wire: Wire, token: str) -> None:
    loc = call(wire, "POST", "/v2/loc", token, json={"tipoCob": "cob"})
    assert loc.status_code == 201
    loc_id = loc.json()["id"]
    charge = txid()
    created = call(wire, "PUT", f"/v2/cob/{charge}", token, json=cob_body(wire, loc={"id": loc_id}))
    assert created.json()["loc"]["id"] == loc_id
    assert call(wire, "GET", f"/v2/loc/{loc_id}", token).json()["txid"] == charge
    reused = call(wire, "PUT", f"/v2/cob/{txid()}", token, json=cob_body(wire, loc={"id": loc_id}))
    assert reused.status_code == 400
    assert "txid" not in call(wire, "DELETE", f"/v2/loc/{loc_id}/txid", token).json()
    bad = call(wire, "POST", "/v2/loc", token, json={"tipoCob": "boleto"})
    assert bad.json()["type"].endswith("/PayloadLocationOperacaoInvalida")


def test_received_pix_exist_only_in_bradescos_sandbox_window(wire: Wire, token: str) -> None:
    inside = call(wire, "GET", "/v2/pix", token, params=WINDOW).json()
    assert inside["parametros"]["paginacao"]["quantidadeTotalDeItens"] == 24
    assert all("2024-10-02" <= p["horario"] < "2024-10-03T10:06" for p in inside["pix"])
    later = call(
        wire,
        "GET",
        "/v2/pix",
        token,
        params={"inicio": "2025-01-01T00:00:00Z", "fim": "2025-02-01T00:00:00Z"},
    )
    assert later.json()["pix"] == []


def private_keys(value: Any) -> list[str]:
    """Keys starting with `_` anywhere in a JSON value."""
    if isinstance(value, dict):
        own = [k for k in value if k.startswith("_")]
        return own + [k for v in value.values() for k in private_keys(v)]
    if isinstance(value, list):
        return [k for v in value for k in private_keys(v)]
    return []


def test_a_devolucao_answers_200_and_cannot_exceed_the_pix(wire: Wire, token: str) -> None:
    receipt = call(wire, "GET", "/v2/pix", token, params=WINDOW).json()["pix"][5]
    e2e = receipt["endToEndId"]
    refund = call(wire, "PUT", f"/v2/pix/{e2e}/devolucao/D1", token, json={"valor": "0.01"})
    assert refund.status_code == 200 and refund.json()["status"] == "EM_PROCESSAMENTO"
    assert call(wire, "GET", f"/v2/pix/{e2e}/devolucao/D1", token).json()["status"] == "DEVOLVIDO"
    shown = call(wire, "GET", f"/v2/pix/{e2e}", token).json()
    assert shown["devolucoes"][0]["id"] == "D1"
    assert not private_keys(shown), "the public view has no bookkeeping fields"
    listed = call(wire, "GET", "/v2/pix", token, params=WINDOW).json()["pix"][5]
    assert listed == shown
    too_much = call(wire, "PUT", f"/v2/pix/{e2e}/devolucao/D2", token, json={"valor": "99999.00"})
    assert too_much.status_code == 400 and too_much.json()["type"].endswith("/PixDevolucaoInvalida")
    same_id = call(wire, "PUT", f"/v2/pix/{e2e}/devolucao/D1", token, json={"valor": "0.01"})
    assert same_id.status_code == 400


def test_webhooks_need_https_and_the_beneficiarys_key(wire: Wire, token: str) -> None:
    key = wire.sb.beneficiary.pix_key
    assert (
        call(
            wire, "PUT", f"/v2/webhook/{key}", token, json={"webhookUrl": "https://example.com/pix"}
        ).status_code
        == 200
    )
    assert (
        call(wire, "GET", f"/v2/webhook/{key}", token).json()["webhookUrl"]
        == "https://example.com/pix"
    )
    assert (
        call(
            wire, "PUT", f"/v2/webhook/{key}", token, json={"webhookUrl": "http://example.com"}
        ).status_code
        == 400
    )
    assert (
        call(
            wire, "PUT", "/v2/webhook/other-key", token, json={"webhookUrl": "https://x.example"}
        ).status_code
        == 400
    )
    assert call(wire, "DELETE", f"/v2/webhook/{key}", token).status_code == 204
    assert (
        call(wire, "GET", f"/v2/webhook/{key}", token)
        .json()["type"]
        .endswith("/WebhookNaoEncontrado")
    )


def test_a_scope_not_granted_is_403_acesso_negado(wire: Wire) -> None:
    read_only = wire.pix_token(scope="cob.read")
    reply = call(wire, "PUT", f"/v2/cob/{txid()}", read_only, json=cob_body(wire))
    assert reply.status_code == 403
    assert reply.json()["type"].endswith("/AcessoNegado")
    assert 'error="insufficient_scope"' in reply.headers["WWW-Authenticate"]
    assert call(wire, "GET", "/v2/cob", read_only, params=WINDOW).status_code == 200


def test_a_bound_token_is_refused_with_another_registered_certificate(
    sandbox: Sandbox, fresh_wire: Wire, tmp_path: Path
) -> None:
    token = fresh_wire.pix_token()
    second = sandbox.ca.issue_client("second")
    sandbox.register_identity(second)
    other = fresh_wire.with_cert(identity_files(second, tmp_path))
    reply = call(other, "GET", "/v2/cob", token, params=WINDOW)
    assert reply.status_code == 401
    assert "cnf.x5t#S256" in reply.json()["detail"]
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]


def test_expired_tokens_answer_401_invalid_token(sandbox: Sandbox, fresh_wire: Wire) -> None:
    token = fresh_wire.pix_token()
    assert call(fresh_wire, "GET", "/v2/cob", token, params=WINDOW).status_code == 200
    assert sandbox.expire_tokens() >= 1
    reply = call(fresh_wire, "GET", "/v2/cob", token, params=WINDOW)
    assert reply.status_code == 401 and "expired" in reply.json()["detail"]
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert (
        call(fresh_wire, "GET", "/v2/cob", fresh_wire.pix_token(), params=WINDOW).status_code == 200
    )


def test_a_missing_or_foreign_token_is_401(wire: Wire) -> None:
    assert wire.http.get(f"{wire.mtls}/v2/cob", params=WINDOW).status_code == 401
    portal = wire.portal_token()
    reply = call(wire, "GET", "/v2/cob", portal, params=WINDOW)
    assert reply.status_code == 401 and "'portal'" in reply.json()["detail"]
