"""Portal APIs (Gen2, developers.bradesco.com.br) on the mTLS port.

Token: `POST /auth/server-mtls/v2/token`, `grant_type=client_credentials` with `client_id` and
`client_secret` in the form body or as Basic, over mTLS with the registered certificate;
answers `{access_token, token_type: "Bearer", expires_in}` (opaque token, bound to the
certificate). Business calls accept `Authorization: Bearer <token>` **and the bare token**
(Bradesco's own sandbox collection sends it without "Bearer ").

Cobranca / boleto hibrido (all **POST** with JSON, queries included; success is **200**, never
201): `/boleto-hibrido/cobranca-registro/v1/gerarBoleto`,
`/boleto-hibrido/cobranca-reserva-location/v1/reservarLoc`,
`/boleto-hibrido/cobranca-alteracao/v1/alteraBoletoConsulta` (optional `txId` header),
`/boleto-hibrido/cobranca-consulta-titulo/v1/consultar`, `/boleto-hibrido/cobranca-lista/v1/listar`
(30 per page: send `paginaAnterior` 0, then echo `pagina` while `indMaisPagina` is "S"),
`/boleto/cobranca-baixa/v1/baixar`, `/boleto/cobranca-webhook/v1/cadastrar` (sandbox name) and
`/boleto/cobranca-webhook/v1/executar` (production name). Dates dd.MM.yyyy, amounts integer
cents. The request values of Bradesco's sandbox collection select the canned scenarios
(reference section 3.1): `cnegocCobr` 111111111111111111 success, ...113 with ctitloCobrCdent
999999999 already registered, ...118 field too long, ...114 (or another beneficiary)
negotiation not authorised, ...115 inconsistent data, ...116 due before issue; consultar
contaProduto 38610041000 + nossoNumero 970039324 found, contaProduto 38610041050 negotiation
error, cpfCnpjUsuario 685426 invalid, nossoNumero 38610041050 not found; baixar nossoNumero
50150001462 + codigoBaixa 57 + negociacao 28560222654 success, codigoBaixa 10 invalid, cpfCnpj
134567 invalid, nossoNumero 100 not found; reservarLoc codUsuario APISERVIC success, OPENAPI
communication error, cnpjCpfBnf 68542 negotiation error; webhook 1234567/1/99 success,
1234510/1/10 client without cobranca, 1234511/1/11 no webhook; listar cpfCnpj 114383908/0/7 with
negociacao 28560230114 succeeds, an empty cpfCnpj fails. Error codes are the sandbox's own
slugs (the real ones are not public); bodies use the real envelopes: `{code, message,
details[{name, value}]}`, and `{codigo, parametro, mensagem}` on listar.

Saldo e extrato PJ (GET, the beneficiary's account agencia 3861 conta 41000):
`/v1/fornecimento-saldos-contas/saldos?agencia=&conta=` and
`/v1/fornecimento-extratos-contas/extratos?agencia=&conta=&tipo=cc&dataInicio=DDMMAAAA&dataFim=DDMMAAAA`
with pt-BR amount strings ("1.580,12") and a separate sign, dates dd/MM/yyyy, **no
pagination**: windows longer than 90 days are refused, so clients split them. The statement
has the reference's three sections: `extratoPorPeriodo[].lstLancamentoMensal` (every entry of
the window), `extratoLancamentosFuturos` (empty: the data has no scheduled entries) and
`extratoUltimosLancamentos[].listaLancamentos[{"Saldo Anterior", "Ultimos Lancamentos",
"Lancamentos Dia"}]`: the entries of the last day (`dataFim`, at most the data's business
date), the five before it, and one zero-valued "SALDO ANTERIOR" line with the balance before
them. Those two blocks repeat period entries (the tables layer keeps the period block).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from ._boletos import (
    CANNED_BAIXA,
    BoletoBook,
    Title,
    br_date,
    json_body,
    refusal,
    register_hybrid,
    require_fields,
    title_fields,
)
from ._context import SandboxContext, authenticate_with_secret, form_of, require_grant, token_reply
from ._money import pt_br
from ._pix_store import LOCATION_HOST, placeholder_png
from ._refusal import (
    GENERIC_FAULT_CODES,
    Refusal,
    Renderer,
    Violation,
    fault_as,
    guarded,
    oauth_error,
    portal_error,
    portal_list_error,
)
from ._server import Handler, Reply, Request, Router, json_reply
from ._tokens import opaque_token

FAMILY = "portal"
TOKEN_PATH = "/auth/server-mtls/v2/token"  # noqa: S105 - a path, not a secret
STATEMENT_MAX_DAYS = 90
_SETTLED_PAGE = 30
_LAST_ENTRIES = 5


def register(router: Router, context: SandboxContext, book: BoletoBook) -> None:
    """Add the portal token endpoint, cobranca and saldo/extrato to `router`."""
    api = PortalAPI(context, book)
    router.add("POST", TOKEN_PATH, guarded(api.token, oauth_error))
    for method, template, handler, render in api.routes():
        router.add(method, template, guarded(handler, render))


def render_fault(request: Request, reply: Reply) -> Reply:
    """Server-made answers on portal paths (404, 405, 500, faults), in the portal envelope."""
    return fault_as(portal_error, GENERIC_FAULT_CODES, request, reply)


class PortalAPI:
    """The Gen2 portal handlers."""

    def __init__(self, context: SandboxContext, book: BoletoBook) -> None:
        self.context = context
        self.book = book
        self.webhooks: dict[str, dict[str, Any]] = {}
        self._locations = itertools.count(500_001)

    def routes(self) -> list[tuple[str, str, Handler, Renderer]]:
        """(method, path template, handler, error renderer) of every portal endpoint."""
        hybrid, boleto = "/boleto-hibrido", "/boleto"
        return [
            ("POST", f"{hybrid}/cobranca-registro/v1/gerarBoleto", self.generate, portal_error),
            ("POST", f"{hybrid}/cobranca-reserva-location/v1/reservarLoc", self.reserve_location, portal_error),
            ("POST", f"{hybrid}/cobranca-alteracao/v1/alteraBoletoConsulta", self.alter, portal_error),
            ("POST", f"{hybrid}/cobranca-consulta-titulo/v1/consultar", self.query, portal_error),
            ("POST", f"{hybrid}/cobranca-lista/v1/listar", self.list_settled, portal_list_error),
            ("POST", f"{boleto}/cobranca-baixa/v1/baixar", self.write_off, portal_error),
            ("POST", f"{boleto}/cobranca-webhook/v1/cadastrar", self.register_webhook, portal_error),
            ("POST", f"{boleto}/cobranca-webhook/v1/executar", self.register_webhook, portal_error),
            ("GET", "/v1/fornecimento-saldos-contas/saldos", self.balance, portal_error),
            ("GET", "/v1/fornecimento-extratos-contas/extratos", self.statement, portal_error),
        ]  # fmt: skip

    # -- token -------------------------------------------------------------------------------
    def token(self, request: Request) -> Reply:
        """`client_credentials`, id/secret in the body or Basic, over mTLS."""
        form = form_of(request)
        self.context.counters.requested(FAMILY, form.get("grant_type", "?"))
        require_grant(form, "client_credentials")
        client, thumbprint = authenticate_with_secret(self.context, request, form, basic_only=False)
        token = self.context.tokens.issue(
            opaque_token(), family=FAMILY, grant="client_credentials", client_id=client.client_id,
            scopes=(), thumbprint=thumbprint, lifetime=self.context.token_lifetime,
        )  # fmt: skip
        self.context.counters.issued(FAMILY, "client_credentials")
        return token_reply(token)

    def _authorize(self, request: Request) -> None:
        self.context.tokens.authenticate(request, FAMILY, prefix_optional=True)

    # -- cobranca ----------------------------------------------------------------------------
    def generate(self, request: Request) -> Reply:
        """Register a hybrid boleto (200 with the flat `...10` fields)."""
        self._authorize(request)
        return json_reply(200, title_fields(register_hybrid(self.book, json_body(request))))

    def query(self, request: Request) -> Reply:
        """Query a title / second copy (EMV and a QR image)."""
        self._authorize(request)
        body = json_body(request)
        require_fields(body, ("cpfCnpjUsuario", "filialCnpjUsuario", "controleCpfCnpjUsuario",
                              "idProduto", "contaProduto", "nossoNumero"))  # fmt: skip
        if str(body["cpfCnpjUsuario"]) == "685426":
            raise refusal(
                "CPF_CNPJ_INVALIDO", "CPF/CNPJ INVALIDO", Violation("cpfCnpjUsuario", "685426")
            )
        if str(body["contaProduto"]) == "38610041050":
            raise refusal("ERRO_NEGOCIACAO", "NEGOCIACAO INEXISTENTE PARA O BENEFICIARIO",
                          Violation("contaProduto", "38610041050"))  # fmt: skip
        title = self._title(body["nossoNumero"])
        return json_reply(200, _query_fields(title))

    def alter(self, request: Request) -> Reply:
        """Change a title's due date or amount (`dadosTitulo`); optional `txId` header."""
        self._authorize(request)
        body = json_body(request)
        require_fields(body, ("nossoNumero",))
        title = self._title(body["nossoNumero"])
        txid = request.header("txId")
        if txid and title.txid and txid != title.txid:
            raise refusal(
                "TXID_DIVERGENTE", "TXID NAO CORRESPONDE AO TITULO", Violation("txId", txid[:35])
            )
        if title.status != "A VENCER":
            raise refusal("TITULO_NAO_ALTERAVEL", f"TITULO {title.status} NAO PODE SER ALTERADO")
        _apply_changes(title, body.get("dadosTitulo") or {})
        return json_reply(
            200, {"codigo": "0", "mensagem": "ALTERACAO EFETUADA", **title_fields(title)}
        )

    def write_off(self, request: Request) -> Reply:
        """Baixa: write a title off (codigoBaixa 57)."""
        self._authorize(request)
        body = json_body(request)
        require_fields(
            body, ("cpfCnpj", "produto", "negociacao", "nossoNumero", "sequencia", "codigoBaixa")
        )
        if str((body["cpfCnpj"] or {}).get("cpfCnpj", "")) == "134567":
            raise refusal(
                "CPF_CNPJ_INVALIDO", "CPF/CNPJ INVALIDO", Violation("cpfCnpj.cpfCnpj", "134567")
            )
        if str(body["codigoBaixa"]) != "57":
            raise refusal("CODIGO_BAIXA_INVALIDO", "CODIGO DE BAIXA INVALIDO",
                          Violation("codigoBaixa", str(body["codigoBaixa"])))  # fmt: skip
        title = self._title(body["nossoNumero"])
        if str(title.nosso_numero) == CANNED_BAIXA and str(body["negociacao"]) != title.negotiation:
            raise refusal(
                "ERRO_NEGOCIACAO",
                "NEGOCIACAO NAO CORRESPONDE AO TITULO",
                Violation("negociacao", str(body["negociacao"])),
            )
        if title.status != "A VENCER":
            raise refusal("TITULO_JA_BAIXADO", f"TITULO {title.status}: BAIXA NAO PERMITIDA")
        title.status = "BAIXADO"
        return json_reply(200, {"codigo": "0", "mensagem": "BAIXA EFETUADA", "nossoNumero": int(title.nosso_numero),
                                "dataBaixa": br_date(self.context.clock.utcnow().date())})  # fmt: skip

    def list_settled(self, request: Request) -> Reply:
        """Settled titles, 30 a page: `paginaAnterior` in, `pagina` and `indMaisPagina` out."""
        self._authorize(request)
        body = json_body(request)
        owner = body.get("cpfCnpj") or {}
        if not isinstance(owner, dict) or not str(owner.get("cpfCnpj", "")).strip():
            raise Refusal(
                400,
                "CPF_CNPJ_OBRIGATORIO",
                "CPF/CNPJ NAO INFORMADO",
                violations=[Violation("cpfCnpj", "vazio")],
            )
        previous = body.get("paginaAnterior", 0)
        if not str(previous).isdigit():
            raise Refusal(
                400,
                "PAGINA_INVALIDA",
                "PAGINA ANTERIOR INVALIDA",
                violations=[Violation("paginaAnterior", str(previous))],
            )
        if not _lists_settled(owner, str(body.get("negociacao", ""))):
            raise Refusal(404, "NENHUM_TITULO", "NENHUM TITULO ENCONTRADO PARA OS PARAMETROS",
                          violations=[Violation("negociacao", str(body.get("negociacao", "")))])  # fmt: skip
        titles = _paid_between(
            self.book.settled, body.get("dataPagamentoDe"), body.get("dataPagamentoAte")
        )
        page = int(previous) + 1
        chunk = titles[(page - 1) * _SETTLED_PAGE : page * _SETTLED_PAGE]
        more = "S" if page * _SETTLED_PAGE < len(titles) else "N"
        return json_reply(200, {"pagina": page, "indMaisPagina": more, "quantidadeTitulos": len(chunk),
                                "titulos": [_settled_fields(t) for t in chunk]})  # fmt: skip

    def register_webhook(self, request: Request) -> Reply:
        """Register the URL that receives settlement notices."""
        self._authorize(request)
        body = json_body(request)
        require_fields(body, ("documento", "urlEnvio"))
        doc = body["documento"] or {}
        owner = "/".join(str(doc.get(k, "")) for k in ("cpfCnpj", "filial", "controle"))
        if owner == "1234510/1/10":
            raise refusal(
                "CLIENTE_SEM_COBRANCA",
                "CLIENTE NAO POSSUI COBRANCA CONTRATADA",
                Violation("documento", owner),
            )
        if owner == "1234511/1/11":
            raise refusal(
                "WEBHOOK_NAO_CADASTRADO",
                "NAO HA WEBHOOK CADASTRADO PARA O CLIENTE",
                Violation("documento", owner),
                status=404,
            )
        if not str(body["urlEnvio"]).startswith("https://"):
            raise refusal(
                "URL_INVALIDA",
                "URL DE ENVIO DEVE SER HTTPS",
                Violation("urlEnvio", str(body["urlEnvio"])[:100]),
            )
        self.webhooks[owner] = body
        return json_reply(200, {"codigo": "0", "mensagem": "WEBHOOK CADASTRADO COM SUCESSO"})

    def reserve_location(self, request: Request) -> Reply:
        """Reserve the Pix location a hybrid boleto will use."""
        self._authorize(request)
        body = json_body(request)
        require_fields(body, ("codUsuario",))
        if body["codUsuario"] == "OPENAPI":
            raise refusal("ERRO_COMUNICACAO", "ERRO DE COMUNICACAO COM O BSPI", status=500)
        if str(body.get("cnpjCpfBnf", "")) == "68542":
            raise refusal(
                "ERRO_NEGOCIACAO",
                "NEGOCIACAO INEXISTENTE PARA O BENEFICIARIO",
                Violation("cnpjCpfBnf", "68542"),
            )
        if body["codUsuario"] != "APISERVIC":
            raise refusal(
                "USUARIO_INVALIDO",
                "CODIGO DE USUARIO INVALIDO",
                Violation("codUsuario", str(body["codUsuario"])[:20]),
            )
        loc_id = next(self._locations)
        return json_reply(
            200, {"idLoc": loc_id, "location": f"{LOCATION_HOST}/qr/v2/cobv/reserved{loc_id}"}
        )

    def _title(self, nosso_numero: object) -> Title:
        title = self.book.find(nosso_numero)
        if title is None:
            raise refusal("TITULO_NAO_ENCONTRADO", "TITULO NAO ENCONTRADO",
                          Violation("nossoNumero", str(nosso_numero)[:20]), status=404)  # fmt: skip
        return title

    # -- saldo e extrato ---------------------------------------------------------------------
    def balance(self, request: Request) -> Reply:
        """Saldo: the account's balances as pt-BR strings with a sign."""
        self._authorize(request)
        self._own_account(request)
        data = self.context.data
        total = data.opening_balance + sum(e[1] for e in data.statement)
        bene = data.beneficiary
        lines = [
            ("CONTA CORRENTE", "001", total),
            ("SALDO BLOQUEADO", "002", 0),
            ("LIMITE CHEQUE EMPRESA", "003", 2_500_000),
        ]
        return json_reply(200, {
            "codigoRetorno": "0", "mensagem": "CTAS0673 - CONSULTA EFETUADA COM SUCESSO",
            "numeroConta": bene.account, "digitoConta": bene.account_digit, "nomeCliente": bene.name,
            "lstLancamentosSaldos": [{"nomeProduto": n, "codigoProduto": c, "valorLancamento": pt_br(v),
                                      "sinalSaldo": "-" if v < 0 else "+"} for n, c, v in lines],
        })  # fmt: skip

    def statement(self, request: Request) -> Reply:
        """Extrato: entries between `dataInicio` and `dataFim` (DDMMAAAA), at most 90 days."""
        self._authorize(request)
        self._own_account(request)
        start, end = _statement_window(request)
        data = self.context.data
        balance, before, entries = data.opening_balance, data.opening_balance, []
        for day, cents, label, doc in data.statement:
            if day < start:
                before = balance + cents
            balance += cents
            if start <= day <= end:
                entries.append((day, _entry(day, cents, label, doc, balance), balance - cents))
        return json_reply(200, {
            "extratoUltimosLancamentos": [{"listaLancamentos": [_last_entries(entries, min(end, data.as_of), start, before)]}],
            "extratoLancamentosFuturos": [],
            "extratoPorPeriodo": [{"lstLancamentoMensal": [entry for _, entry, _ in entries]}],
        })  # fmt: skip

    def _own_account(self, request: Request) -> None:
        bene = self.context.data.beneficiary
        branch, account = request.arg("agencia") or "", request.arg("conta") or ""
        if branch.lstrip("0") != bene.branch or account.lstrip("0") not in (
            bene.account,
            bene.account + bene.account_digit,
        ):
            raise refusal("CONTA_NAO_ENCONTRADA", "AGENCIA/CONTA NAO PERTENCE AO CLIENTE",
                          Violation("conta", f"{branch[:5]}/{account[:12]}"), status=404)  # fmt: skip


def _query_fields(title: Title) -> dict[str, Any]:
    return {
        "codMensagem": "0", "codStatus": 1 if title.status == "A VENCER" else 2, "status": title.status,
        "nossoNumero": int(title.nosso_numero), "seuNumero": title.seu_numero, "nomeSacado": title.payer_name,
        "dataEmissao": br_date(title.issued), "dataVencto": br_date(title.due), "valMoeda": title.cents,
        "codBarras": title.bar_code, "linhaDig": title.digitable_line,
        "semvQrcode": title.emv, "iconcPgtoSpi": title.txid, "base64": placeholder_png() if title.emv else "",
    }  # fmt: skip


def _apply_changes(title: Title, changes: dict[str, Any]) -> None:
    due = changes.get("dataVencimento")
    if due is not None:
        text = f"{int(due):08d}" if str(due).isdigit() else str(due)
        try:
            title.due = dt.datetime.strptime(text.replace(".", ""), "%d%m%Y").date()
        except ValueError:
            raise refusal(
                "DATA_INVALIDA",
                "DATA DE VENCIMENTO INVALIDA (DDMMAAAA)",
                Violation("dataVencimento", text[:10]),
            ) from None
        if title.due < title.issued:
            raise refusal(
                "VENCIMENTO_ANTERIOR_EMISSAO", "DATA DE VENCIMENTO ANTERIOR A DATA DE EMISSAO"
            )
    if changes.get("valorTitulo") is not None:
        raise refusal(
            "VALOR_NAO_ALTERAVEL", "O VALOR NOMINAL DE UM TITULO REGISTRADO NAO PODE SER ALTERADO"
        )


def _lists_settled(owner: dict[str, Any], negotiation: str) -> bool:
    key = "/".join(str(owner.get(k, "")).lstrip("0") for k in ("cpfCnpj", "filial", "controle"))
    return (key, negotiation) in {
        ("114383908//7", "28560230114"),
        ("68542653/1018/38", "28560230114"),
    }


def _paid_between(titles: list[Title], start: object, end: object) -> list[Title]:
    def parse(value: object) -> dt.date | None:
        digits = str(value)
        text = f"{int(digits):08d}" if digits.isdigit() and int(digits) else ""
        try:
            return dt.datetime.strptime(text, "%d%m%Y").date() if text else None
        except ValueError:
            return None

    low, high = parse(start), parse(end)
    return [
        t
        for t in titles
        if t.paid_on and (low is None or t.paid_on >= low) and (high is None or t.paid_on <= high)
    ]


def _settled_fields(title: Title) -> dict[str, Any]:
    assert title.paid_on is not None
    return {"nossoNumero": int(title.nosso_numero), "seuNumero": title.seu_numero,
            "dataVencimento": int(title.due.strftime("%d%m%Y")), "dataPagamento": int(title.paid_on.strftime("%d%m%Y")),
            "valorTitulo": title.cents, "valorPago": title.cents, "nomePagador": title.payer_name,
            "origemPagamento": "PIX" if int(title.nosso_numero) % 3 == 0 else "BOLETO"}  # fmt: skip


def _statement_window(request: Request) -> tuple[dt.date, dt.date]:
    dates = []
    for name in ("dataInicio", "dataFim"):
        value = request.arg(name) or ""
        try:
            dates.append(dt.datetime.strptime(value, "%d%m%Y").date())
        except ValueError:
            raise refusal(
                "DATA_INVALIDA",
                f"{name.upper()} INVALIDA: USE DDMMAAAA",
                Violation(name, value[:10]),
            ) from None
    if request.arg("tipo", "cc") != "cc":
        raise refusal(
            "TIPO_INVALIDO",
            "TIPO DE EXTRATO INVALIDO (USE cc)",
            Violation("tipo", (request.arg("tipo") or "")[:5]),
        )
    if dates[1] < dates[0] or (dates[1] - dates[0]).days > STATEMENT_MAX_DAYS:
        raise refusal("PERIODO_INVALIDO", f"PERIODO INVALIDO: ATE {STATEMENT_MAX_DAYS} DIAS, INICIO ANTES DO FIM",
                      Violation("dataFim", request.arg("dataFim") or ""))  # fmt: skip
    return dates[0], dates[1]


def _last_entries(
    entries: list[tuple[dt.date, dict[str, str], int]], today: dt.date, start: dt.date, before: int
) -> dict[str, list[dict[str, str]]]:
    """The three blocks of `extratoUltimosLancamentos.listaLancamentos` (reference section 3.4).

    `entries` are the window's (date, entry, balance before it); `before` is the balance
    before the window. "Lancamentos Dia" holds the entries of the statement's day (`dataFim`,
    at most the data's business date), "Ultimos Lancamentos" the last `_LAST_ENTRIES` before
    that day, and "Saldo Anterior" one zero-valued line with the balance before the first
    entry shown (dated like it; the window's start when there is none), so the group reads
    as a small statement: the balance, then each entry with the balance after it.
    """
    day_entries = [e for e in entries if e[0] == today]
    latest = [e for e in entries if e[0] < today][-_LAST_ENTRIES:]
    shown = latest + day_entries  # empty only when the window has no entry at all
    when, opening = (shown[0][0], shown[0][2]) if shown else (start, before)
    return {
        "Saldo Anterior": [_entry(when, 0, "SALDO ANTERIOR", "0000000", opening)],
        "Ultimos Lancamentos": [entry for _, entry, _ in latest],
        "Lancamentos Dia": [entry for _, entry, _ in day_entries],
    }


def _entry(day: dt.date, cents: int, label: str, doc: str, balance: int) -> dict[str, str]:
    return {"dataLancamento": day.strftime("%d/%m/%Y"), "valorLancamento": pt_br(cents),
            "sinalLancamento": "-" if cents < 0 else "+", "descritivoLancamentoCompleto": label,
            "numeroDocumento": doc, "valorSaldoAposLancamento": pt_br(balance),
            "sinalSaldoAposLancamento": "-" if balance < 0 else "+"}  # fmt: skip
