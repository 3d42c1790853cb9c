"""Legacy "Open APIs" (Gen1, API Studio) on the mTLS port: JWT-bearer tokens and X-Brad signatures.

Token: `POST /auth/server/v1.1/token` (and `/v1.2/token`, which Bradesco's homologation uses
for Pix/hybrid flows), form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=`.
The assertion must be RS256 (`alg: none` and every other algorithm are refused), signed with the
key of a certificate registered for the client, with `sub` = client_id, `exp` in the future,
`iat` not in the future, a numeric `jti` of at most 18 digits never seen before, and `ver`
"1.1" or "1.2". Leniencies real clients need, as reference section 2.1 explains: `aud` is
compared loosely (either token path version, repeated or trailing slashes, localhost for
127.0.0.1), and JWT segments in standard base64 (with `+`, `/`, `=`) are accepted. Errors are
`{"code": <status>, "message"}`. The token is an RS512 JWT like Bradesco's (`ver` "1.0").

Business calls (`POST /v1/boleto/registrarBoleto` (classic layout),
`/v1/boleto-hibrido/registrar-boleto` (the hybrid flat layout of the portal),
`/v1/boleto/titulo-consultar`, `/v1/boleto/titulo-baixar`) need `Authorization: Bearer`,
`X-Brad-Nonce` (numeric, single use), `X-Brad-Timestamp`, `X-Brad-Algorithm: SHA256` and
`X-Brad-Signature`: RSA PKCS#1 v1.5 SHA-256 over the eight lines METHOD, path, query string,
body, access token, nonce, timestamp, "SHA256" joined with "\\n" (no trailing newline), in
base64 or base64url, padded or not. The timestamp must be current to 10 minutes, allowing the
whole-hour offset of a time zone mislabelled as UTC (up to 5 hours: clients send Brazilian
local time with a literal `Z` or `-00:00`). An `access-token` (or the misspelled
`acess-token`) header, if sent, must be the client_id. Errors are
`{"codigo", "mensagem", "errosValidacao": [{"campo", "mensagem"}]}`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from ._boletos import (
    BoletoBook,
    Title,
    br_date,
    json_body,
    parse_br_date,
    refusal,
    register_hybrid,
    require_fields,
    title_fields,
)
from ._context import SandboxContext, form_of, require_grant
from ._refusal import (
    GENERIC_FAULT_CODES,
    OAUTH_FAULT_CODES,
    Refusal,
    Violation,
    fault_as,
    guarded,
    legacy_error,
    legacy_token_error,
)
from ._registry import Client, invalid_client, require_registered_certificate
from ._server import Handler, Reply, Request, Router, json_reply
from ._state import LEEWAY
from ._tokens import presented_token

FAMILY = "legacy"
TOKEN_PATHS = ("/auth/server/v1.1/token", "/auth/server/v1.2/token")
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
_JTI = re.compile(r"^\d{1,18}$")
NONCE_MEMORY = 30 * 3600
TIMESTAMP_SLACK = 600
MAX_ZONE_HOURS = 5

CLASSIC_REQUIRED = (
    "nuCPFCNPJ", "filialCPFCNPJ", "ctrlCPFCNPJ", "idProduto", "nuNegociacao", "nuTitulo",
    "nuCliente", "dtEmissaoTitulo", "dtVencimentoTitulo", "vlNominalTitulo", "cdEspecieTitulo",
    "nomePagador", "logradouroPagador", "nuLogradouroPagador", "cepPagador",
    "complementoCepPagador", "bairroPagador", "municipioPagador", "ufPagador",
    "cdIndCpfcnpjPagador", "nuCpfcnpjPagador",
)  # fmt: skip


def register(router: Router, context: SandboxContext, book: BoletoBook) -> None:
    """Add the Gen1 token endpoints and signed business calls to `router`."""
    api = LegacyAPI(context, book)
    for path in TOKEN_PATHS:
        router.add("POST", path, guarded(api.token, legacy_token_error))
    for template, handler in api.routes():
        router.add("POST", template, guarded(api.signed(handler), legacy_error))


def render_fault(request: Request, reply: Reply) -> Reply:
    """Server-made answers on Gen1 business paths (404, 405, 500, faults), in the Gen1 envelope."""
    return fault_as(legacy_error, GENERIC_FAULT_CODES, request, reply)


def render_token_fault(request: Request, reply: Reply) -> Reply:
    """Server-made answers on the Gen1 token paths: `{"code": <status>, "message"}`."""
    return fault_as(legacy_token_error, OAUTH_FAULT_CODES, request, reply)


def standard_to_url_b64(segment: str) -> str:
    """A base64 JWT segment in base64url without padding (tolerates standard base64)."""
    return segment.replace("+", "-").replace("/", "_").rstrip("=")


def decode_signature(text: str) -> bytes:
    """Signature bytes from base64 or base64url, padded or not."""
    cleaned = text.strip().replace("-", "+").replace("_", "/").rstrip("=")
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)


def string_to_sign(request: Request, token: str, nonce: str, timestamp: str) -> str:
    """The eight lines Bradesco signs, joined with newlines (no trailing newline)."""
    body = request.body.decode("utf-8", "replace")
    return "\n".join(
        [request.method, request.path, request.raw_query, body, token, nonce, timestamp, "SHA256"]
    )


class LegacyAPI:
    """Gen1 handlers."""

    def __init__(self, context: SandboxContext, book: BoletoBook) -> None:
        self.context = context
        self.book = book

    def routes(self) -> list[tuple[str, Handler]]:
        """(path template, handler) of every signed business call (all POST)."""
        return [
            ("/v1/boleto/registrarBoleto", self.register_classic),
            ("/v1/boleto-hibrido/registrar-boleto", self.register_hybrid),
            ("/v1/boleto/titulo-consultar", self.query),
            ("/v1/boleto/titulo-baixar", self.write_off),
        ]

    # -- token -------------------------------------------------------------------------------
    def token(self, request: Request) -> Reply:
        """Exchange a signed JWT-bearer assertion for an access token."""
        form = form_of(request)
        self.context.counters.requested(
            FAMILY,
            "jwt_bearer" if form.get("grant_type") == JWT_BEARER else form.get("grant_type", "?"),
        )
        require_grant(form, JWT_BEARER)
        assertion = form.get("assertion") or ""
        self.context.ledger.add(assertion)
        client = self._verify_assertion(assertion, request)
        thumbprint = require_registered_certificate(client, request)
        lifetime = self.context.token_lifetime
        token_url = f"{self.context.mtls_base}{request.path}"
        value = self.context.sign_bank_jwt(
            self.context.token_claims(client.client_id, thumbprint, lifetime)
            | {"ver": "1.0", "iss": token_url, "scp": "boleto,cobranca"}
        )
        self.context.tokens.issue(
            value, family=FAMILY, grant="jwt_bearer", client_id=client.client_id, scopes=(),
            thumbprint=thumbprint, lifetime=lifetime,
        )  # fmt: skip
        self.context.counters.issued(FAMILY, "jwt_bearer")
        body = {"access_token": value, "token_type": "Bearer", "expires_in": int(lifetime)}
        return json_reply(200, body, **{"Cache-Control": "no-store"})

    def _verify_assertion(self, assertion: str, request: Request) -> Client:
        if not assertion:
            raise Refusal(400, "invalid_request", "the assertion parameter is missing.")
        compact = ".".join(standard_to_url_b64(s) for s in assertion.split("."))
        header, unverified = _peek(compact)
        if header.get("alg") != "RS256":
            raise invalid_client(
                f"assertion alg '{header.get('alg')}' is refused: sign it with RS256."
            )
        client = self.context.registry.require(str(unverified.get("sub") or ""))
        claims = _verify_rs256(compact, client)
        self._check_claims(claims, request)
        return client

    def _check_claims(self, claims: dict[str, Any], request: Request) -> None:
        now = self.context.clock.now()
        if not _audience_matches(claims.get("aud"), request, self.context.mtls_base):
            raise invalid_client(
                f"assertion aud '{str(claims.get('aud'))[:120]}' is not this token endpoint."
            )
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] < now - LEEWAY:
            raise invalid_client("assertion exp is missing or in the past.")
        if not isinstance(claims.get("iat"), int | float) or claims["iat"] > now + LEEWAY:
            raise invalid_client("assertion iat is missing or in the future (check the clock).")
        if str(claims.get("ver")) not in ("1.1", "1.2"):
            raise invalid_client(f'assertion ver \'{claims.get("ver")}\' must be "1.1" or "1.2".')
        jti = str(claims.get("jti", ""))
        if not _JTI.match(jti):
            raise invalid_client(
                "assertion jti must be numeric, at most 18 digits (epoch milliseconds)."
            )
        if not self.context.once.claim(
            f"legacy-jti:{claims['sub']}", jti, until=float(claims["exp"])
        ):
            raise invalid_client(
                f"assertion jti {jti} was already used: make a fresh assertion for every token request."
            )

    # -- signed calls ------------------------------------------------------------------------
    def signed(self, handler: Handler) -> Handler:
        """`handler` behind the bearer token and X-Brad signature checks."""

        def run(request: Request) -> Reply:
            self._verify_call(request)
            return handler(request)

        run.__doc__ = handler.__doc__
        return run

    def _verify_call(self, request: Request) -> None:
        try:
            token = self.context.tokens.authenticate(request, FAMILY)
        except Refusal as refusal_:
            raise Refusal(
                refusal_.status, "TOKEN_INVALIDO", refusal_.detail, headers=refusal_.headers
            ) from None
        client = self.context.registry.require(token.client_id)
        named = request.header("access-token") or request.header("acess-token")
        if named is not None and named != client.client_id:
            raise _signature_refusal(
                "the access-token header is not this token's client_id.", "access-token"
            )
        nonce, timestamp = self._brad_headers(request)
        self._check_timestamp(timestamp)
        text = string_to_sign(request, presented_token(request), nonce, timestamp)
        _verify_signature(client, request.header("X-Brad-Signature") or "", text.encode("utf-8"))
        if not self.context.once.claim(
            f"xbrad-nonce:{client.client_id}", nonce, until=self.context.clock.now() + NONCE_MEMORY
        ):
            raise _signature_refusal(
                f"X-Brad-Nonce {nonce} was already used: send a fresh nonce on every call.",
                "X-Brad-Nonce",
            )

    def _brad_headers(self, request: Request) -> tuple[str, str]:
        values = {
            n: request.header(n)
            for n in ("X-Brad-Nonce", "X-Brad-Timestamp", "X-Brad-Algorithm", "X-Brad-Signature")
        }
        missing = [n for n, v in values.items() if not v]
        if missing:
            raise Refusal(401, "ASSINATURA_AUSENTE", f"missing header(s): {', '.join(missing)}.",
                          violations=[Violation(n, "cabecalho obrigatorio") for n in missing])  # fmt: skip
        if (values["X-Brad-Algorithm"] or "").upper() != "SHA256":
            raise _signature_refusal("X-Brad-Algorithm must be SHA256.", "X-Brad-Algorithm")
        nonce = values["X-Brad-Nonce"] or ""
        if not nonce.isdigit() or len(nonce) > 18:
            raise _signature_refusal(
                "X-Brad-Nonce must be numeric (at most 18 digits).", "X-Brad-Nonce"
            )
        return nonce, values["X-Brad-Timestamp"] or ""

    def _check_timestamp(self, timestamp: str) -> None:
        try:
            moment = dt.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError:
            raise _signature_refusal(
                "X-Brad-Timestamp is not yyyy-MM-ddTHH:mm:ss with an offset.", "X-Brad-Timestamp"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        delta = moment.timestamp() - self.context.clock.now()
        hours = round(delta / 3600)
        if abs(hours) > MAX_ZONE_HOURS or abs(delta - hours * 3600) > TIMESTAMP_SLACK:
            raise _signature_refusal(
                "X-Brad-Timestamp is not current: sign with the time of the call.",
                "X-Brad-Timestamp",
            )

    # -- business ----------------------------------------------------------------------------
    def register_classic(self, request: Request) -> Reply:
        """Register a classic boleto."""
        title = self._classic_title(json_body(request))
        if self.book.find(title.nosso_numero) is not None:
            raise refusal(
                "TITULO_JA_CADASTRADO",
                "TITULO JA CADASTRADO",
                Violation("nuTitulo", title.nosso_numero),
                status=422,
            )
        self.book.add(title)
        return json_reply(200, {
            "codigoRetorno": "0", "mensagemRetorno": "REGISTRO EFETUADO COM SUCESSO",
            "nuTituloGerado": int(title.nosso_numero), "linhaDigitavel": title.digitable_line,
            "cdBarras": title.bar_code, "vlTitulo": title.cents, "dtVencimento": br_date(title.due),
            "dtEmissao": br_date(title.issued),
        })  # fmt: skip

    def _classic_title(self, body: dict[str, Any]) -> Title:
        """The title a classic registration describes, after the layout checks (422 otherwise)."""
        require_fields(body, CLASSIC_REQUIRED)
        if str(body["nuCPFCNPJ"]).lstrip("0") != self.context.data.beneficiary.cnpj_root:
            raise refusal("NEGOCIACAO_NAO_AUTORIZADA", "BENEFICIARIO NAO AUTORIZADO",
                          Violation("nuCPFCNPJ", str(body["nuCPFCNPJ"])[:14]), status=422)  # fmt: skip
        issued, due = (
            parse_br_date(body["dtEmissaoTitulo"]),
            parse_br_date(body["dtVencimentoTitulo"]),
        )
        if issued is None or due is None or due < issued:
            raise refusal("DATA_INVALIDA", "DATAS INVALIDAS (dd.MM.yyyy, VENCIMENTO APOS EMISSAO)",
                          Violation("dtVencimentoTitulo", str(body["dtVencimentoTitulo"])[:10]), status=422)  # fmt: skip
        if not str(body["vlNominalTitulo"]).isdigit() or int(body["vlNominalTitulo"]) <= 0:
            raise refusal("VALOR_INVALIDO", "VALOR NOMINAL INVALIDO (CENTAVOS)",
                          Violation("vlNominalTitulo", str(body["vlNominalTitulo"])[:15]), status=422)  # fmt: skip
        return Title(self.book.assign(str(body["nuTitulo"])), str(body["nuCliente"]), str(body["nuNegociacao"]),
                     int(body["idProduto"]), issued, due, int(body["vlNominalTitulo"]), str(body["nomePagador"]),
                     str(body["nuCpfcnpjPagador"]))  # fmt: skip

    def register_hybrid(self, request: Request) -> Reply:
        """Register a hybrid boleto (same flat layout and canned scenarios as the portal)."""
        return json_reply(200, title_fields(register_hybrid(self.book, json_body(request))))

    def query(self, request: Request) -> Reply:
        """Query a title: `{STATUS, TRANSACAO, MENSAGEM, TITULO{...}}`."""
        body = json_body(request)
        require_fields(body, ("nossoNumero",))
        title = self._title(body["nossoNumero"])
        status = {"A VENCER": "Aberto", "BAIXADO": "Baixado", "LIQUIDADO": "Liquidado"}[
            title.status
        ]
        baixa = (
            {
                "CODIGO": 57,
                "DESCRICAO": "BAIXA SOLICITADA",
                "DATA": br_date(self.context.clock.utcnow().date()),
            }
            if title.status == "BAIXADO"
            else {}
        )
        return json_reply(200, {"STATUS": 0, "TRANSACAO": "CONSULTA", "MENSAGEM": "OPERACAO EFETUADA", "TITULO": {
            "STATUS": status, "CODSTATUS": 1 if status == "Aberto" else 2, "CODBARRAS": title.bar_code,
            "LINHADIG": title.digitable_line, "VALMOEDA": title.cents, "DATAVENCTO": br_date(title.due),
            "SACADO": {"NOME": title.payer_name, "CNPJCPF": title.payer_document}, "BAIXA": baixa}})  # fmt: skip

    def write_off(self, request: Request) -> Reply:
        """Baixa (codigoBaixa 57)."""
        body = json_body(request)
        require_fields(
            body, ("cpfCnpj", "produto", "negociacao", "nossoNumero", "sequencia", "codigoBaixa")
        )
        if str(body["codigoBaixa"]) != "57":
            raise refusal(
                "CODIGO_BAIXA_INVALIDO",
                "CODIGO DE BAIXA INVALIDO",
                Violation("codigoBaixa", str(body["codigoBaixa"])[:5]),
            )
        title = self._title(body["nossoNumero"])
        if title.status != "A VENCER":
            raise refusal(
                "TITULO_JA_BAIXADO", f"TITULO {title.status}: BAIXA NAO PERMITIDA", status=422
            )
        title.status = "BAIXADO"
        return json_reply(
            200,
            {"codigo": "0", "mensagem": "BAIXA EFETUADA", "nossoNumero": int(title.nosso_numero)},
        )

    def _title(self, nosso_numero: object) -> Title:
        title = self.book.find(nosso_numero)
        if title is None:
            raise refusal(
                "TITULO_NAO_ENCONTRADO",
                "TITULO NAO ENCONTRADO",
                Violation("nossoNumero", str(nosso_numero)[:20]),
                status=404,
            )
        return title


def _peek(compact: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return jwt.get_unverified_header(compact), jwt.decode(
            compact, options={"verify_signature": False}
        )
    except jwt.PyJWTError:
        raise invalid_client("the assertion is not a well-formed JWT.") from None


def _verify_rs256(compact: str, client: Client) -> dict[str, Any]:
    for key in client.certificate_keys():
        try:
            claims: dict[str, Any] = jwt.decode(
                compact, key, algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
            )  # fmt: skip
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise invalid_client(
                f"the assertion could not be verified ({type(exc).__name__})."
            ) from None
        return claims
    raise invalid_client(
        "the assertion signature does not verify with any certificate registered for this client."
    )


def _audience_matches(audience: object, request: Request, mtls_base: str) -> bool:
    values = audience if isinstance(audience, list) else [audience]
    expected_port = urlsplit(mtls_base).port
    for value in values:
        parts = urlsplit(str(value))
        path = "/" + "/".join(p for p in parts.path.split("/") if p)
        host_ok = (parts.hostname or "") in ("127.0.0.1", "localhost")
        if (
            parts.scheme == "https"
            and host_ok
            and parts.port == expected_port
            and path in TOKEN_PATHS
        ):
            return True
    return False


def _verify_signature(client: Client, signature: str, message: bytes) -> None:
    try:
        raw = decode_signature(signature)
    except (binascii.Error, ValueError):
        raise _signature_refusal(
            "X-Brad-Signature is not base64 or base64url.", "X-Brad-Signature"
        ) from None
    for key in client.certificate_keys():
        try:
            key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return
    raise _signature_refusal(
        "X-Brad-Signature does not verify: sign METHOD, path, query, body, token, nonce, timestamp "
        "and SHA256, one per line, with the registered certificate's key.",
        "X-Brad-Signature",
    )


def _signature_refusal(detail: str, field: str) -> Refusal:
    return Refusal(401, "ASSINATURA_INVALIDA", detail, violations=[Violation(field, detail)])
