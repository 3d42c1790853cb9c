"""Legacy Open APIs (Gen1): the JWT-bearer assertion grant and X-Brad-Signature business calls,
strict where the manual is and lenient where real clients differ."""

from __future__ import annotations

import base64
import datetime as dt
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bradesco_explore.sandbox import Sandbox

from ._wire import Wire, identity_files
from .test_portal import gerar_body

CLASSIC = {
    "nuCPFCNPJ": "68542653", "filialCPFCNPJ": "1018", "ctrlCPFCNPJ": "38", "cdTipoAcesso": "2",
    "clubBanco": "2269651", "cdTipoContrato": "48", "idProduto": "09", "nuNegociacao": "386100000000041000",
    "nuTitulo": "0", "nuCliente": "PEDIDO-77", "dtEmissaoTitulo": "01.06.2025", "dtVencimentoTitulo": "30.06.2025",
    "vlNominalTitulo": "15075", "cdEspecieTitulo": "02", "nomePagador": "FULANO DE TAL",
    "logradouroPagador": "RUA A", "nuLogradouroPagador": "10", "cepPagador": "06029", "complementoCepPagador": "900",
    "bairroPagador": "CENTRO", "municipioPagador": "OSASCO", "ufPagador": "SP", "cdIndCpfcnpjPagador": "1",
    "nuCpfcnpjPagador": "38453450803",
}  # fmt: skip


@pytest.fixture(scope="module")
def token(wire: Wire) -> str:
    reply = wire.legacy_token()
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def test_a_valid_assertion_gets_an_rs512_token(wire: Wire, token: str) -> None:
    header, claims = (
        jwt.get_unverified_header(token),
        jwt.decode(token, options={"verify_signature": False}),
    )
    assert header["alg"] == "RS512" and claims["ver"] == "1.0"
    assert claims["cnf"]["x5t#S256"] == wire.sb.identity.x5t_s256


@pytest.mark.parametrize("version", ["v1.1", "v1.2"])
@pytest.mark.parametrize("ver", ["1.1", "1.2"])
def test_both_token_versions_accept_both_ver_claims(wire: Wire, version: str, ver: str) -> None:
    assert wire.legacy_token(wire.legacy_assertion(ver=ver), version).status_code == 200


def test_aud_is_matched_loosely_as_real_clients_build_it(wire: Wire) -> None:
    port = wire.mtls.rsplit(":", 1)[1]
    for aud in (
        f"https://localhost:{port}/auth/server/v1.2/token",
        f"{wire.mtls}//auth/server/v1.1/token/",
    ):
        assert wire.legacy_token(wire.legacy_assertion(aud=aud)).status_code == 200, aud
    wrong = wire.legacy_token(
        wire.legacy_assertion(aud="https://openapi.bradesco.com.br/auth/server/v1.1/token")
    )
    assert wrong.status_code == 401 and "aud" in wrong.json()["message"]


def test_standard_base64_jwt_segments_are_accepted(wire: Wire) -> None:
    compact = wire.legacy_assertion()
    standard = ".".join(
        base64.b64encode(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))).decode()
        for p in compact.split(".")
    )
    assert standard != compact
    assert wire.legacy_token(standard).status_code == 200


def test_a_reused_jti_is_refused(wire: Wire) -> None:
    assertion = wire.legacy_assertion(jti=str(time.time_ns() // 1000 + 7))
    assert wire.legacy_token(assertion).status_code == 200
    again = wire.legacy_token(assertion)
    assert again.status_code == 401
    assert (
        again.json() == {"code": 401, "message": again.json()["message"]}
        and "already used" in again.json()["message"]
    )


@pytest.mark.parametrize(
    ("claims", "fragment"),
    [
        ({"jti": "not-a-number"}, "numeric"),
        ({"jti": "1" * 19}, "numeric"),
        ({"ver": "2.0"}, "ver"),
        ({"sub": "someone-else"}, "not registered"),
        ({"exp": int(time.time()) - 120}, "exp"),
        ({"iat": int(time.time()) + 600}, "iat"),
    ],
)
def test_bad_claims_are_refused(wire: Wire, claims: dict[str, Any], fragment: str) -> None:
    reply = wire.legacy_token(wire.legacy_assertion(**claims))
    assert reply.status_code == 401 and fragment in reply.json()["message"]


def test_alg_none_and_other_algorithms_are_refused(wire: Wire) -> None:
    none = wire.legacy_token(wire.legacy_assertion(alg="none"))
    assert none.status_code == 401 and "'none'" in none.json()["message"]
    ps256 = wire.legacy_token(wire.legacy_assertion(alg="PS256"))
    assert ps256.status_code == 401 and "RS256" in ps256.json()["message"]


def test_an_assertion_signed_with_another_key_is_refused(wire: Wire) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    reply = wire.legacy_token(wire.legacy_assertion(key=stranger))
    assert reply.status_code == 401 and "signature" in reply.json()["message"]


def test_a_classic_boleto_is_registered_queried_and_written_off_with_signed_calls(
    wire: Wire, token: str
) -> None:
    created = wire.signed_call("/v1/boleto/registrarBoleto", CLASSIC, token)
    assert created.status_code == 200, created.text
    number = created.json()["nuTituloGerado"]
    assert len(created.json()["linhaDigitavel"]) == 47
    query = wire.signed_call("/v1/boleto/titulo-consultar", {"nossoNumero": number}, token)
    assert query.json()["TITULO"]["STATUS"] == "Aberto"
    baixa = {"cpfCnpj": {"cpfCnpj": "68542653", "filial": "1018", "controle": "38"}, "produto": "9",
             "negociacao": CLASSIC["nuNegociacao"], "nossoNumero": number, "sequencia": "0", "codigoBaixa": "57"}  # fmt: skip
    assert wire.signed_call("/v1/boleto/titulo-baixar", baixa, token).status_code == 200
    assert (
        wire.signed_call("/v1/boleto/titulo-consultar", {"nossoNumero": number}, token).json()[
            "TITULO"
        ]["STATUS"]
        == "Baixado"
    )


def test_the_hybrid_registration_shares_the_portal_layout_and_scenarios(
    wire: Wire, token: str
) -> None:
    ok = wire.signed_call("/v1/boleto-hibrido/registrar-boleto", gerar_body(), token)
    assert ok.status_code == 200 and "linhaDig10" in ok.json()
    canned = wire.signed_call(
        "/v1/boleto-hibrido/registrar-boleto", gerar_body(cnegocCobr=111111111111111116), token
    )
    assert canned.status_code == 400 and canned.json()["codigo"] == "VENCIMENTO_ANTERIOR_EMISSAO"


def test_a_tampered_signature_is_refused(wire: Wire, token: str) -> None:
    reply = wire.signed_call(
        "/v1/boleto/titulo-consultar", {"nossoNumero": 970039324}, token, tamper=True
    )
    assert reply.status_code == 401
    body = reply.json()
    assert (
        body["codigo"] == "ASSINATURA_INVALIDA"
        and body["errosValidacao"][0]["campo"] == "X-Brad-Signature"
    )


def test_a_signature_over_another_body_is_refused(wire: Wire, token: str) -> None:
    nonce, stamp = (
        str(time.time_ns() // 1000),
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00"),
    )
    signed = wire.signed_call(
        "/v1/boleto/titulo-consultar", {"nossoNumero": 1}, token, nonce=nonce, timestamp=stamp
    )
    assert signed.status_code == 404  # valid signature, unknown title
    headers = dict(signed.request.headers)
    replay = wire.http.post(
        f"{wire.mtls}/v1/boleto/titulo-consultar",
        data=b'{"nossoNumero":970039324}',
        headers=headers,
    )
    assert replay.status_code == 401 and "does not verify" in replay.json()["mensagem"]


def test_base64url_signatures_are_accepted(wire: Wire, token: str) -> None:
    def url_safe(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    reply = wire.signed_call(
        "/v1/boleto/titulo-consultar", {"nossoNumero": 970039324}, token, encode=url_safe
    )
    assert reply.status_code == 200


def test_the_query_string_is_part_of_what_is_signed(wire: Wire, token: str) -> None:
    reply = wire.signed_call(
        "/v1/boleto/titulo-consultar",
        {"nossoNumero": 970039324},
        token,
        query="agencia=3861&conta=41000",
    )
    assert reply.status_code == 200


def test_a_reused_nonce_is_refused(wire: Wire, token: str) -> None:
    nonce = str(time.time_ns() // 1000 + 3)
    assert (
        wire.signed_call(
            "/v1/boleto/titulo-consultar", {"nossoNumero": 970039324}, token, nonce=nonce
        ).status_code
        == 200
    )
    again = wire.signed_call(
        "/v1/boleto/titulo-consultar", {"nossoNumero": 970039324}, token, nonce=nonce
    )
    assert again.status_code == 401 and "already used" in again.json()["mensagem"]


@pytest.mark.parametrize(
    ("offset", "suffix", "accepted"),
    [
        (dt.timedelta(0), "Z", True),
        (dt.timedelta(hours=-3), "-03:00", True),  # correct local time with its offset
        (
            dt.timedelta(hours=-3),
            "Z",
            True,
        ),  # Brazilian local time mislabelled as UTC (BoletoNetCore)
        (dt.timedelta(hours=-3), "-00:00", True),  # ... or with a literal -00:00 (Protheus)
        (dt.timedelta(minutes=-30), "Z", False),  # stale
        (dt.timedelta(days=-1), "Z", False),
    ],
)
def test_timestamps_must_be_current_allowing_a_mislabelled_zone(wire: Wire, token: str, offset: dt.timedelta,
                                                                 suffix: str, accepted: bool) -> None:  # fmt: skip
    stamp = (dt.datetime.now(dt.UTC) + offset).strftime("%Y-%m-%dT%H:%M:%S") + suffix
    reply = wire.signed_call(
        "/v1/boleto/titulo-consultar", {"nossoNumero": 970039324}, token, timestamp=stamp
    )
    assert (reply.status_code == 200) is accepted, reply.text


def test_missing_x_brad_headers_are_listed(wire: Wire, token: str) -> None:
    reply = wire.http.post(
        f"{wire.mtls}/v1/boleto/titulo-consultar",
        json={"nossoNumero": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 401
    assert {e["campo"] for e in reply.json()["errosValidacao"]} == {
        "X-Brad-Nonce",
        "X-Brad-Timestamp",
        "X-Brad-Algorithm",
        "X-Brad-Signature",
    }


def test_expired_legacy_tokens_are_refused(sandbox: Sandbox, fresh_wire: Wire) -> None:
    token = fresh_wire.legacy_token().json()["access_token"]
    sandbox.expire_tokens()
    reply = fresh_wire.signed_call("/v1/boleto/titulo-consultar", {"nossoNumero": 970039324}, token)
    assert reply.status_code == 401 and reply.json()["codigo"] == "TOKEN_INVALIDO"


def test_a_bound_legacy_token_is_refused_with_another_registered_certificate(
    sandbox: Sandbox, fresh_wire: Wire, tmp_path: Path
) -> None:
    token = fresh_wire.legacy_token().json()["access_token"]
    body = {"nossoNumero": 970039324}
    assert fresh_wire.signed_call("/v1/boleto/titulo-consultar", body, token).status_code != 401
    second = sandbox.ca.issue_client("second legacy")
    sandbox.register_identity(second)
    other = fresh_wire.with_cert(identity_files(second, tmp_path))
    reply = other.signed_call("/v1/boleto/titulo-consultar", body, token)
    assert reply.status_code == 401 and reply.json()["codigo"] == "TOKEN_INVALIDO"
    assert "cnf.x5t#S256" in reply.json()["mensagem"]
