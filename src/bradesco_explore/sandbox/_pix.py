"""Pix (Bacen API Pix v2, as Bradesco serves it), on the mTLS port.

Token: `POST /oauth/token` (old homolog path) and `POST /auth/server/oauth/token`, with
`Authorization: Basic base64(client_id:secret)` and `grant_type=client_credentials` (credentials
in the body are refused, as at the bank), over mTLS with the registered certificate. The access
token is an RS512 JWT like the one recorded from Bradesco (`ver` "2.0", `scp` with its trailing
space, `cnf.x5t#S256`); the sandbox checks the binding on every call (401 otherwise).

Endpoints and scopes (403 `AcessoNegado` for a scope not granted):
`PUT|PATCH|GET /v2/cob/{txid}`, `POST|GET /v2/cob` (cob.*); `PUT|PATCH|GET /v2/cobv/{txid}`,
`GET /v2/cobv` (cobv.*); Bradesco's `PUT /v2/cob-emv/{txid}`, `POST /v2/cob-emv`,
`PUT /v2/cobv-emv/{txid}` (answer `{cob|cobv, emv, base64}`); `POST|GET /v2/loc`,
`GET /v2/loc/{id}`, `DELETE /v2/loc/{id}/txid` (payloadlocation.*); `GET /v2/pix`,
`GET /v2/pix/{e2eid}`, `PUT|GET /v2/pix/{e2eid}/devolucao/{id}` (pix.*);
`PUT|GET|DELETE /v2/webhook/{chave}`, `GET /v2/webhook` (webhook.*). `lotecobv` is not offered.

Bradesco quirks reproduced: **200 instead of 201** for `POST /v2/cob`, `PUT /v2/cobv/{txid}` and
`PUT /v2/pix/{e2eid}/devolucao/{id}` (the standard 201 for `PUT /v2/cob/{txid}` and
`POST /v2/loc`); `GET /v2/pix` only has receipts between 2024-10-02T00:00:00Z and
2024-10-03T10:06:00Z, as in Bradesco's sandbox. The `chave` of a cob must be the beneficiary's
key (`Sandbox.beneficiary.pix_key`). QR images (`base64`) are a 1x1 placeholder PNG; the EMV
string is a real BR Code with its CRC. Errors are RFC 7807 problems with `violacoes`.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from ._context import (
    SandboxContext,
    authenticate_with_secret,
    form_of,
    require_grant,
    token_reply,
)
from ._documents import is_valid_cnpj, is_valid_cpf
from ._money import parse_pix_value
from ._pix_store import PixStore, iso, placeholder_png
from ._refusal import (
    GENERIC_FAULT_CODES,
    FaultCodes,
    Refusal,
    Violation,
    fault_as,
    guarded,
    oauth_error,
    pix_problem,
)
from ._server import Handler, Reply, Request, Router, json_reply
from ._tokens import AccessToken, require_scope

FAMILY = "pix"
SCOPES = (
    "cob.write", "cob.read", "cobv.write", "cobv.read", "payloadlocation.write",
    "payloadlocation.read", "pix.write", "pix.read", "webhook.write", "webhook.read",
)  # fmt: skip
TOKEN_PATHS = ("/oauth/token", "/auth/server/oauth/token")

_TXID = re.compile(r"^[a-zA-Z0-9]{26,35}$")
_E2E = re.compile(r"^[a-zA-Z0-9]{32}$")
_DEVOLUCAO_ID = re.compile(r"^[a-zA-Z0-9]{1,35}$")
_TITLES = {
    "CobOperacaoInvalida": "Cobrança inválida.",
    "CobVOperacaoInvalida": "Cobrança inválida.",
    "CobConsultaInvalida": "Consulta de cobranças inválida.",
    "CobVConsultaInvalida": "Consulta de cobranças inválida.",
    "CobNaoEncontrado": "Cobrança não encontrada.",
    "CobVNaoEncontrada": "Cobrança não encontrada.",
    "PayloadLocationOperacaoInvalida": "PayloadLocation inválido.",
    "PayloadLocationConsultaInvalida": "Consulta de locations inválida.",
    "PayloadLocationNaoEncontrado": "Location não encontrada.",
    "PixConsultaInvalida": "Consulta Pix Inválida",
    "PixNaoEncontrado": "Pix não encontrado.",
    "PixDevolucaoInvalida": "Devolução inválida.",
    "PixDevolucaoNaoEncontrada": "Devolução não encontrada.",
    "WebhookOperacaoInvalida": "Webhook inválido.",
    "WebhookNaoEncontrado": "Webhook não encontrado.",
    "AcessoNegado": "Acesso Negado",
    # the general errors of Bacen's catalogue ("Gerais": any endpoint may answer them)
    "RequisicaoInvalida": "Requisição Inválida",
    "NaoEncontrado": "Não Encontrado",
    "ErroInternoDoServidor": "Erro Interno do Servidor",
    "ServicoIndisponivel": "Serviço Indisponível",
}
# Answers the server makes itself. Bacen's catalogue names 404, 500 and 503 (and 400, which a
# wrong method gets here); it has no 429 or 529, which keep the sandbox's generic names.
PIX_FAULT_CODES: FaultCodes = {
    404: ("NaoEncontrado", _TITLES["NaoEncontrado"]),
    405: ("RequisicaoInvalida", _TITLES["RequisicaoInvalida"]),
    429: GENERIC_FAULT_CODES[429],
    500: ("ErroInternoDoServidor", _TITLES["ErroInternoDoServidor"]),
    503: ("ServicoIndisponivel", _TITLES["ServicoIndisponivel"]),
    529: GENERIC_FAULT_CODES[529],
}


def problem(status: int, name: str, detail: str, *violations: Violation) -> Refusal:
    """A Bacen problem (`type` .../error/<name>) with its standard title."""
    return Refusal(status, name, detail, title=_TITLES.get(name, name), violations=violations)


def register(router: Router, context: SandboxContext) -> None:
    """Add the Pix token endpoints and API to `router`."""
    api = PixAPI(context)
    for path in TOKEN_PATHS:
        router.add("POST", path, guarded(api.token, oauth_error))
    for method, template, handler in api.routes():
        router.add(method, template, guarded(handler, pix_problem))


def render_fault(request: Request, reply: Reply) -> Reply:
    """Server-made answers on Pix paths (404, 405, 500, faults), as Bacen problem details."""
    return fault_as(pix_problem, PIX_FAULT_CODES, request, reply)


class PixAPI:
    """The Pix handlers over one `PixStore`."""

    def __init__(self, context: SandboxContext) -> None:
        self.context = context
        self.store = PixStore(context.data)

    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, path template, handler) of every Pix endpoint."""
        return [
            ("PUT", "/v2/cob/{txid}", self.put_cob), ("POST", "/v2/cob", self.post_cob),
            ("PATCH", "/v2/cob/{txid}", self.patch_charge("cob")), ("GET", "/v2/cob/{txid}", self.get_charge("cob")),
            ("GET", "/v2/cob", self.list_charges("cob")),
            ("PUT", "/v2/cobv/{txid}", self.put_cobv), ("PATCH", "/v2/cobv/{txid}", self.patch_charge("cobv")),
            ("GET", "/v2/cobv/{txid}", self.get_charge("cobv")), ("GET", "/v2/cobv", self.list_charges("cobv")),
            ("PUT", "/v2/cob-emv/{txid}", self.emv("cob")), ("POST", "/v2/cob-emv", self.emv("cob")),
            ("PUT", "/v2/cobv-emv/{txid}", self.emv("cobv")),
            ("POST", "/v2/loc", self.post_loc), ("GET", "/v2/loc", self.list_locs),
            ("GET", "/v2/loc/{id}", self.get_loc), ("DELETE", "/v2/loc/{id}/txid", self.unlink_loc),
            ("GET", "/v2/pix", self.list_pix), ("GET", "/v2/pix/{e2eid}", self.get_pix),
            ("PUT", "/v2/pix/{e2eid}/devolucao/{id}", self.put_devolucao),
            ("GET", "/v2/pix/{e2eid}/devolucao/{id}", self.get_devolucao),
            ("PUT", "/v2/webhook/{chave}", self.put_webhook), ("GET", "/v2/webhook/{chave}", self.get_webhook),
            ("DELETE", "/v2/webhook/{chave}", self.delete_webhook), ("GET", "/v2/webhook", self.list_webhooks),
        ]  # fmt: skip

    # -- token -------------------------------------------------------------------------------
    def token(self, request: Request) -> Reply:
        """`client_credentials` with Basic over mTLS; an RS512 JWT bound to the certificate."""
        form = form_of(request)
        self.context.counters.requested(FAMILY, form.get("grant_type", "?"))
        require_grant(form, "client_credentials")
        client, thumbprint = authenticate_with_secret(self.context, request, form, basic_only=True)
        scopes = self._granted_scopes(form.get("scope"))
        lifetime = self.context.token_lifetime
        claims = self.context.token_claims(client.client_id, thumbprint, lifetime)
        claims |= {"ver": "2.0", "scp": " ".join(scopes) + " "}  # Bradesco's trailing space
        value = self.context.sign_bank_jwt(claims)
        token = self.context.tokens.issue(
            value, family=FAMILY, grant="client_credentials", client_id=client.client_id,
            scopes=scopes, thumbprint=thumbprint, lifetime=lifetime,
        )  # fmt: skip
        self.context.counters.issued(FAMILY, "client_credentials")
        return token_reply(token)

    def _granted_scopes(self, requested: str | None) -> list[str]:
        if not requested:
            return list(SCOPES)
        asked = requested.split()
        unknown = [s for s in asked if s not in SCOPES]
        if unknown:
            raise Refusal(400, "invalid_scope", f"scope(s) not offered: {' '.join(unknown)[:200]}.")
        return asked

    def _authorize(self, request: Request, scope: str) -> AccessToken:
        try:
            token = self.context.tokens.authenticate(request, FAMILY)
            require_scope(token, scope)
        except Refusal as refusal:
            raise Refusal(refusal.status, "AcessoNegado", refusal.detail, title="Acesso Negado",
                          headers=refusal.headers) from None  # fmt: skip
        return token

    # -- cob / cobv ---------------------------------------------------------------------------
    def put_cob(self, request: Request) -> Reply:
        """Create (201) or revise (200) an immediate charge with the caller's txid."""
        self._authorize(request, "cob.write")
        txid = self._txid(request, "CobOperacaoInvalida")
        return self._create_or_revise(
            "cob", txid, _body(request, "CobOperacaoInvalida"), created_status=201
        )

    def post_cob(self, request: Request) -> Reply:
        """Create an immediate charge with a txid chosen here (Bradesco answers 200, not 201)."""
        self._authorize(request, "cob.write")
        body = _body(request, "CobOperacaoInvalida")
        return self._create_or_revise("cob", secrets.token_hex(16), body, created_status=200)

    def put_cobv(self, request: Request) -> Reply:
        """Create or revise a charge with due date (Bradesco answers 200, not 201)."""
        self._authorize(request, "cobv.write")
        txid = self._txid(request, "CobVOperacaoInvalida")
        return self._create_or_revise(
            "cobv", txid, _body(request, "CobVOperacaoInvalida"), created_status=200
        )

    def emv(self, kind: str) -> Handler:
        """Bradesco's cob-emv/cobv-emv: the charge plus its EMV string and a QR image."""

        def handle(request: Request) -> Reply:
            self._authorize(request, f"{kind}.write")
            name = "CobOperacaoInvalida" if kind == "cob" else "CobVOperacaoInvalida"
            txid = self._txid(request, name) if "txid" in request.params else secrets.token_hex(16)
            reply = self._create_or_revise(kind, txid, _body(request, name), created_status=200)
            charge = reply.body
            reply.body = {kind: charge, "emv": charge["pixCopiaECola"], "base64": placeholder_png()}
            return reply

        return handle

    def _create_or_revise(
        self, kind: str, txid: str, body: dict[str, Any], *, created_status: int
    ) -> Reply:
        name = "CobOperacaoInvalida" if kind == "cob" else "CobVOperacaoInvalida"
        with self.store.lock:
            existing = self.store.charges.get(txid)
            self._check_charge(kind, body, name, creating=existing is None)
            if existing is None:
                charge = self.store.new_charge(kind, txid, body, self.context.clock.utcnow())
                return json_reply(created_status, charge.current)
            if existing.kind != kind or existing.current["status"] != "ATIVA":
                raise problem(400, name, "A cobrança já existe e não está ATIVA (ou é de outro tipo).",
                              Violation(f"{kind}.txid", "txid já utilizado por outra cobrança", txid))  # fmt: skip
            return json_reply(200, self.store.revise(txid, body))

    def patch_charge(self, kind: str) -> Handler:
        """Revise an ATIVA charge, or remove it (status REMOVIDA_PELO_USUARIO_RECEBEDOR)."""
        name = "CobOperacaoInvalida" if kind == "cob" else "CobVOperacaoInvalida"

        def handle(request: Request) -> Reply:
            self._authorize(request, f"{kind}.write")
            charge = self._charge(kind, request.params["txid"])
            body = _body(request, name)
            if charge.current["status"] != "ATIVA":
                raise problem(400, name, "A cobrança não está ATIVA e não pode ser alterada.")
            status = body.get("status")
            if status is not None and (
                status != "REMOVIDA_PELO_USUARIO_RECEBEDOR" or len(body) > 1
            ):
                raise problem(400, name, "Só é possível remover a cobrança, sem outras alterações.",
                              Violation(f"{kind}.status", "status inválido para esta operação", str(status)))  # fmt: skip
            if status is None:
                self._check_charge(kind, body, name, creating=False)
            return json_reply(200, self.store.revise(charge.current["txid"], body))

        return handle

    def get_charge(self, kind: str) -> Handler:
        """One charge, optionally at `?revisao=n`."""
        name = "CobConsultaInvalida" if kind == "cob" else "CobVConsultaInvalida"

        def handle(request: Request) -> Reply:
            self._authorize(request, f"{kind}.read")
            charge = self._charge(kind, request.params["txid"])
            wanted = request.arg("revisao")
            if wanted is None:
                return json_reply(200, charge.current)
            if not wanted.isdigit() or int(wanted) >= len(charge.revisions):
                raise problem(400, name, "A revisão pedida não existe para esta cobrança.",
                              Violation("revisao", "revisão inexistente", wanted))  # fmt: skip
            return json_reply(200, charge.revisions[int(wanted)])

        return handle

    def list_charges(self, kind: str) -> Handler:
        """Charges created between `inicio` and `fim`, paginated (`paginacao.*`)."""
        name = "CobConsultaInvalida" if kind == "cob" else "CobVConsultaInvalida"

        def handle(request: Request) -> Reply:
            self._authorize(request, f"{kind}.read")
            start, end = _period(request, name)
            cpf, cnpj, status = request.arg("cpf"), request.arg("cnpj"), request.arg("status")
            if cpf and cnpj:
                raise problem(
                    400,
                    name,
                    "Informe cpf ou cnpj, não ambos.",
                    Violation("cpf", "cpf e cnpj preenchidos"),
                )
            with self.store.lock:
                found = [c.current for c in self.store.charges.values()
                         if c.kind == kind and start <= c.created <= end
                         and (not status or c.current["status"] == status)
                         and _debtor_matches(c.current, cpf, cnpj)]  # fmt: skip
            return _page(request, name, start, end, found, "cobs")  # Bacen names both lists "cobs"

        return handle

    def _charge(self, kind: str, txid: str) -> Any:
        charge = self.store.charges.get(txid)
        if charge is None or charge.kind != kind:
            name = "CobNaoEncontrado" if kind == "cob" else "CobVNaoEncontrada"
            raise problem(404, name, f"Nenhuma cobrança encontrada para o txid {txid[:35]}.")
        return charge

    def _txid(self, request: Request, name: str) -> str:
        txid = request.params["txid"]
        if not _TXID.match(txid):
            raise problem(400, name, "O txid não respeita o schema.",
                          Violation("txid", "txid deve ter de 26 a 35 caracteres [a-zA-Z0-9]", txid[:40]))  # fmt: skip
        return txid

    def _check_charge(self, kind: str, body: dict[str, Any], name: str, *, creating: bool) -> None:
        problems = _charge_violations(
            kind, body, creating=creating, key=self.context.data.beneficiary.pix_key
        )
        problems += self._location_violations(kind, body)
        if kind == "cobv" and "calendario" in body:
            problems += _due_date_violations(body["calendario"], self.context.clock.utcnow().date())
        if problems:
            detail = ("A requisição que busca alterar ou criar uma cobrança não respeita o schema "
                      "ou está semanticamente errada.")  # fmt: skip
            raise problem(400, name, detail, *problems)

    def _location_violations(self, kind: str, body: dict[str, Any]) -> list[Violation]:
        loc_id = (body.get("loc") or {}).get("id")
        if loc_id is None:
            return []
        location = self.store.locations.get(int(loc_id)) if str(loc_id).isdigit() else None
        if location is None:
            return [
                Violation(
                    f"{kind}.loc.id", "O location referenciado por loc.id inexiste.", str(loc_id)
                )
            ]
        if location["tipoCob"] != kind:
            return [
                Violation(
                    f"{kind}.loc.id",
                    f"O location referenciado apresenta tipo '{location['tipoCob']}'.",
                )
            ]
        if location.get("txid"):
            return [
                Violation(
                    f"{kind}.loc.id", "O location já está sendo utilizado por outra cobrança."
                )
            ]
        return []

    # -- locations ---------------------------------------------------------------------------
    def post_loc(self, request: Request) -> Reply:
        """Create a payload location (201)."""
        self._authorize(request, "payloadlocation.write")
        kind = _body(request, "PayloadLocationOperacaoInvalida").get("tipoCob")
        if kind not in ("cob", "cobv"):
            raise problem(400, "PayloadLocationOperacaoInvalida", "O campo tipoCob não respeita o schema.",
                          Violation("tipoCob", "deve ser 'cob' ou 'cobv'", str(kind)))  # fmt: skip
        return json_reply(201, self.store.new_location(kind, self.context.clock.utcnow()))

    def list_locs(self, request: Request) -> Reply:
        """Locations created between `inicio` and `fim`."""
        self._authorize(request, "payloadlocation.read")
        start, end = _period(request, "PayloadLocationConsultaInvalida")
        with self.store.lock:
            found = [loc for loc in self.store.locations.values()
                     if start <= _when(loc["criacao"]) <= end]  # fmt: skip
        return _page(request, "PayloadLocationConsultaInvalida", start, end, found, "loc")

    def get_loc(self, request: Request) -> Reply:
        """One location (with the txid it serves, if any)."""
        self._authorize(request, "payloadlocation.read")
        return json_reply(200, self._location(request.params["id"]))

    def unlink_loc(self, request: Request) -> Reply:
        """Detach the location from its charge."""
        self._authorize(request, "payloadlocation.write")
        with self.store.lock:
            location = self._location(request.params["id"])
            location.pop("txid", None)
            return json_reply(200, location)

    def _location(self, loc_id: str) -> dict[str, Any]:
        location = self.store.locations.get(int(loc_id)) if loc_id.isdigit() else None
        if location is None:
            raise problem(
                404, "PayloadLocationNaoEncontrado", f"Location {loc_id[:20]} não encontrada."
            )
        return location

    # -- received Pix and devolucoes -----------------------------------------------------------
    def list_pix(self, request: Request) -> Reply:
        """Received Pix between `inicio` and `fim` (the sandbox has them on 2024-10-02/03)."""
        self._authorize(request, "pix.read")
        start, end = _period(request, "PixConsultaInvalida")
        txid, cpf, cnpj = request.arg("txid"), request.arg("cpf"), request.arg("cnpj")
        with self.store.lock:
            found = [r for r in self.store.receipts.values()
                     if start <= _when(r["horario"]) <= end and (not txid or r.get("txid") == txid)
                     and _payer_matches(r, cpf, cnpj)]  # fmt: skip
            return _page(request, "PixConsultaInvalida", start, end, found, "pix")  # copies, locked

    def get_pix(self, request: Request) -> Reply:
        """One received Pix by endToEndId."""
        self._authorize(request, "pix.read")
        with self.store.lock:  # a devolucao may be appended meanwhile: copy under the lock
            return json_reply(200, _public(self._receipt(request.params["e2eid"])))

    def put_devolucao(self, request: Request) -> Reply:
        """Ask for a refund of (part of) a received Pix (Bradesco answers 200, not 201)."""
        self._authorize(request, "pix.write")
        refund_id = request.params["id"]
        body = _body(request, "PixDevolucaoInvalida")
        with self.store.lock:
            receipt = self._receipt(request.params["e2eid"])
            cents = self._refund_cents(receipt, refund_id, body.get("valor"))
            refund = {"id": refund_id, "rtrId": f"D60746948{self.context.clock.utcnow():%Y%m%d%H%M}{secrets.token_hex(6)[:11]}",
                      "valor": body["valor"], "natureza": body.get("natureza", "ORIGINAL"),
                      "horario": {"solicitacao": iso(self.context.clock.utcnow())}, "status": "EM_PROCESSAMENTO",
                      "_cents": cents}  # fmt: skip
            receipt["devolucoes"].append(refund)
            return json_reply(200, _public(refund))

    def _refund_cents(self, receipt: dict[str, Any], refund_id: str, value: object) -> int:
        name, detail = (
            "PixDevolucaoInvalida",
            "A requisição de devolução não respeita o schema ou não faz sentido.",
        )
        if not _DEVOLUCAO_ID.match(refund_id):
            raise problem(
                400, name, detail, Violation("id", "id deve ter de 1 a 35 caracteres [a-zA-Z0-9]")
            )
        cents = parse_pix_value(value)
        if cents is None or cents == 0:
            raise problem(
                400,
                name,
                detail,
                Violation(
                    "devolucao.valor", "O campo devolucao.valor não respeita o schema.", str(value)
                ),
            )
        if any(r["id"] == refund_id for r in receipt["devolucoes"]):
            raise problem(
                400,
                name,
                detail,
                Violation("id", "id já utilizado por outra devolução deste pix", refund_id),
            )
        refunded = sum(r["_cents"] for r in receipt["devolucoes"])
        if refunded + cents > parse_pix_value(receipt["valor"]):
            raise problem(
                400,
                name,
                detail,
                Violation(
                    "devolucao.valor",
                    "A devolução excederia o valor do pix originário.",
                    str(value),
                ),
            )
        return cents

    def get_devolucao(self, request: Request) -> Reply:
        """One refund; it shows as DEVOLVIDO once asked for again (the SPI settled it)."""
        self._authorize(request, "pix.read")
        with self.store.lock:
            receipt = self._receipt(request.params["e2eid"])
            refund = next(
                (r for r in receipt["devolucoes"] if r["id"] == request.params["id"]), None
            )
            if refund is None:
                raise problem(
                    404, "PixDevolucaoNaoEncontrada", "Devolução não encontrada para este e2eid."
                )
            if refund["status"] == "EM_PROCESSAMENTO":
                refund["status"] = "DEVOLVIDO"
                refund["horario"]["liquidacao"] = iso(self.context.clock.utcnow())
            return json_reply(200, _public(refund))

    def _receipt(self, e2eid: str) -> dict[str, Any]:
        receipt = self.store.receipts.get(e2eid) if _E2E.match(e2eid) else None
        if receipt is None:
            raise problem(404, "PixNaoEncontrado", f"Pix {e2eid[:32]} não encontrado.")
        return receipt

    # -- webhooks ------------------------------------------------------------------------------
    def put_webhook(self, request: Request) -> Reply:
        """Configure the webhook of a Pix key (HTTPS URL required)."""
        self._authorize(request, "webhook.write")
        key, url = (
            request.params["chave"],
            _body(request, "WebhookOperacaoInvalida").get("webhookUrl"),
        )
        self._own_key(key)
        if not isinstance(url, str) or not url.startswith("https://"):
            raise problem(400, "WebhookOperacaoInvalida", "Campo webhook.webhookUrl não respeita o schema.",
                          Violation("webhookUrl", "deve ser uma URL https://", str(url)[:100]))  # fmt: skip
        with self.store.lock:
            self.store.webhooks[key] = {
                "webhookUrl": url,
                "chave": key,
                "criacao": iso(self.context.clock.utcnow()),
            }
        return json_reply(200, None)

    def get_webhook(self, request: Request) -> Reply:
        """The webhook of a Pix key."""
        self._authorize(request, "webhook.read")
        return json_reply(200, self._webhook(request.params["chave"]))

    def delete_webhook(self, request: Request) -> Reply:
        """Remove the webhook of a Pix key (204)."""
        self._authorize(request, "webhook.write")
        with self.store.lock:
            self._webhook(request.params["chave"])
            del self.store.webhooks[request.params["chave"]]
        return json_reply(204, None)

    def list_webhooks(self, request: Request) -> Reply:
        """Webhooks configured between `inicio` and `fim` (both optional here)."""
        self._authorize(request, "webhook.read")
        with self.store.lock:
            found = list(self.store.webhooks.values())
        start = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        return _page(
            request,
            "WebhookConsultaInvalida",
            start,
            self.context.clock.utcnow(),
            found,
            "webhooks",
        )

    def _webhook(self, key: str) -> dict[str, Any]:
        webhook = self.store.webhooks.get(key)
        if webhook is None:
            raise problem(404, "WebhookNaoEncontrado", f"Nenhum webhook para a chave {key[:77]}.")
        return webhook

    def _own_key(self, key: str) -> None:
        if key != self.context.data.beneficiary.pix_key:
            raise problem(400, "WebhookOperacaoInvalida", "A chave não pertence a este usuário recebedor.",
                          Violation("chave", "chave DICT de outro usuário recebedor", key[:77]))  # fmt: skip


# -- request parsing and checks --------------------------------------------------------------------
def _body(request: Request, name: str) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise problem(400, name, "O corpo da requisição não é JSON válido.") from None
    if not isinstance(body, dict):
        raise problem(400, name, "O corpo da requisição deve ser um objeto JSON.")
    return body


def _charge_violations(
    kind: str, body: dict[str, Any], *, creating: bool, key: str
) -> list[Violation]:
    problems: list[Violation] = []
    calendar = body.get("calendario") or {}
    expiry = calendar.get("expiracao")
    if kind == "cob" and expiry is not None and (not isinstance(expiry, int) or expiry <= 0):
        problems.append(
            Violation(
                "cob.calendario.expiracao",
                "O campo cob.calendario.expiracao é igual ou menor que zero.",
                str(expiry),
            )
        )
    value = (body.get("valor") or {}).get("original")
    if (creating or value is not None) and not parse_pix_value(value):
        problems.append(
            Violation(
                f"{kind}.valor.original",
                f"O campo {kind}.valor.original não respeita o schema ou é zero.",
                str(value),
            )
        )
    if (creating or "chave" in body) and body.get("chave") != key:
        problems.append(
            Violation(
                f"{kind}.chave",
                f"O campo {kind}.chave corresponde a uma conta que não pertence a este usuário recebedor.",
                str(body.get("chave"))[:77],
            )
        )
    if "devedor" in body or (kind == "cobv" and creating):
        problems += _debtor_violations(kind, body.get("devedor"))
    if len(str(body.get("solicitacaoPagador", ""))) > 140:
        problems.append(
            Violation(
                "solicitacaoPagador",
                "O campo solicitacaoPagador não respeita o schema (até 140 caracteres).",
            )
        )
    return problems


def _debtor_violations(kind: str, debtor: object) -> list[Violation]:
    field = f"{kind}.devedor"
    if not isinstance(debtor, dict) or not debtor.get("nome"):
        return [Violation(field, f"O objeto {field} não respeita o schema (nome obrigatório).")]
    cpf, cnpj = debtor.get("cpf"), debtor.get("cnpj")
    if bool(cpf) == bool(cnpj):
        return [Violation(field, f"O objeto {field} deve ter cpf ou cnpj, não ambos.")]
    if cpf and not is_valid_cpf(str(cpf)):
        return [Violation(f"{field}.cpf", "CPF inválido (dígitos verificadores).", str(cpf))]
    if cnpj and not is_valid_cnpj(str(cnpj)):
        return [Violation(f"{field}.cnpj", "CNPJ inválido (dígitos verificadores).", str(cnpj))]
    return []


def _due_date_violations(calendar: dict[str, Any], today: dt.date) -> list[Violation]:
    due = calendar.get("dataDeVencimento")
    try:
        parsed = dt.date.fromisoformat(str(due))
    except ValueError:
        return [
            Violation(
                "cobv.calendario.dataDeVencimento",
                "Data no formato YYYY-MM-DD obrigatória.",
                str(due),
            )
        ]
    if parsed < today:
        return [
            Violation(
                "cobv.calendario.dataDeVencimento",
                "O campo cobv.calendario.dataDeVencimento é anterior à data de criação da cobrança.",
                str(due),
            )
        ]
    validity = calendar.get("validadeAposVencimento", 30)
    if not isinstance(validity, int) or validity < 0:
        return [
            Violation(
                "cobv.calendario.validadeAposVencimento",
                "O campo é menor do que zero.",
                str(validity),
            )
        ]
    return []


def _when(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _period(request: Request, name: str) -> tuple[dt.datetime, dt.datetime]:
    moments = []
    for param in ("inicio", "fim"):
        value = request.arg(param)
        try:
            moment = _when(value or "")
        except ValueError:
            raise problem(400, name, f"O parâmetro {param} é obrigatório (RFC 3339).",
                          Violation(param, "parâmetro ausente ou fora do formato RFC 3339", value)) from None  # fmt: skip
        moments.append(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    if moments[1] < moments[0]:
        raise problem(
            400,
            name,
            "O timestamp fim é anterior ao inicio.",
            Violation("fim", "fim anterior a inicio"),
        )
    return moments[0], moments[1]


def _page(request: Request, name: str, start: dt.datetime, end: dt.datetime,
          items: list[dict[str, Any]], key: str) -> Reply:  # fmt: skip
    current, per_page = _paging(request, name)
    pages = max(1, -(-len(items) // per_page))
    chunk = items[current * per_page : (current + 1) * per_page]
    parameters = {"inicio": iso(start), "fim": iso(end),
                  "paginacao": {"paginaAtual": current, "itensPorPagina": per_page,
                                "quantidadeDePaginas": pages, "quantidadeTotalDeItens": len(items)}}  # fmt: skip
    return json_reply(200, {"parametros": parameters, key: [_public(i) for i in chunk]})


def _paging(request: Request, name: str) -> tuple[int, int]:
    values = []
    for param, default in (("paginacao.paginaAtual", 0), ("paginacao.itensPorPagina", 100)):
        raw = request.arg(param)
        if raw is None:
            values.append(default)
        elif raw.isdigit() and (param.endswith("paginaAtual") or 1 <= int(raw) <= 1000):
            values.append(int(raw))
        else:
            raise problem(
                400,
                name,
                f"O parâmetro {param} é inválido.",
                Violation(param, "inteiro não negativo", raw),
            )
    return values[0], values[1]


def _debtor_matches(charge: dict[str, Any], cpf: str | None, cnpj: str | None) -> bool:
    debtor = charge.get("devedor") or {}
    return (not cpf or debtor.get("cpf") == cpf) and (not cnpj or debtor.get("cnpj") == cnpj)


def _payer_matches(receipt: dict[str, Any], cpf: str | None, cnpj: str | None) -> bool:
    payer = receipt.get("pagador") or {}
    return (not cpf or payer.get("cpf") == cpf) and (not cnpj or payer.get("cnpj") == cnpj)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored record without its private bookkeeping keys (those starting with
    `_`, such as a devolucao's `_cents`), at any depth: what every Pix answer shows."""
    return {key: _public_value(value) for key, value in record.items() if not key.startswith("_")}


def _public_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _public(value)
    if isinstance(value, list):
        return [_public_value(v) for v in value]
    return value
