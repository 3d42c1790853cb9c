"""Cobranca: boleto hibrido (boleto + Pix QR) on the portal, and the legacy Open API registration.

Bradesco's cobranca layout is mainframe-flat: every field of the layout must be sent (unused
ones as 0 or ""), dates are `dd.MM.yyyy`, amounts are integer cents, and every call - queries
included - is a POST with a JSON body answering 200. `hybrid_boleto(...)` builds the whole
registration layout from readable arguments, so a notebook never hand-writes 23 fields; the
other helpers take the identifiers each endpoint documents.

The client decides the generation: a `portal` client (client_credentials over mTLS) posts to
`/boleto-hibrido/...`, a `legacy` client (JWT-bearer + X-Brad-Signature, applied by the client
to every call) posts the same layout to `/v1/boleto-hibrido/registrar-boleto`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError
from ._family import as_date, require_family

if TYPE_CHECKING:
    from ..auth import Client
    from ..transport import Response

__all__ = [
    "alter",
    "cancel",
    "cents",
    "hybrid_boleto",
    "list_settled",
    "query",
    "register",
    "register_webhook",
    "reserve_location",
    "settled_query",
]

PORTAL = "/boleto-hibrido"
LIST_PATH = f"{PORTAL}/cobranca-lista/v1/listar"
_DIGITS = re.compile(r"\D")


def cents(amount: Decimal | str | int) -> int:
    """An amount in reais ('150.00', Decimal) as the integer cents the layout wants; floats refused."""
    if isinstance(amount, float):
        raise ConfigurationError("Give amounts as Decimal or str ('150.00'), not float.")
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ConfigurationError(
            f"'{amount}' is not an amount; use for example '150.00'."
        ) from None
    if not value.is_finite():
        raise ConfigurationError(f"'{amount}' is not an amount; use for example '150.00'.")
    try:
        whole_cents = value == value.quantize(Decimal("0.01"))
    except InvalidOperation:  # more digits than a Decimal holds once in cents
        whole_cents = False
    if value <= 0 or not whole_cents:
        raise ConfigurationError(f"amount {amount} must be positive with at most 2 decimals.")
    return int(value * 100)


def br_date(day: dt.date) -> str:
    """A date as `dd.MM.yyyy`."""
    return day.strftime("%d.%m.%Y")


def _cnpj_parts(cnpj: str) -> tuple[str, str, str]:
    digits = _DIGITS.sub("", cnpj)
    if len(digits) != 14:
        raise ConfigurationError(f"beneficiary CNPJ must have 14 digits (got {len(digits)}).")
    return digits[:8], digits[8:12], digits[12:]


def hybrid_boleto(
    *,
    beneficiary_cnpj: str,
    negotiation: str,
    amount: Decimal | str | int,
    due: dt.date | str,
    payer_name: str,
    payer_document: str,
    payer_street: str = "",
    payer_cep: str = "00000000",
    issued: dt.date | str | None = None,
    your_number: str = "",
    our_number: int = 0,
    product: int = 9,
    species: str = "02",
    with_pix_qr: bool = True,
    validate_only: bool = False,
) -> dict[str, Any]:
    """The complete flat registration layout of a (hybrid) boleto.

    `negotiation` is the 18-digit agencia+conta (`cnegocCobr`); `our_number` 0 lets the bank
    assign the nosso numero; `payer_document` is a CPF (11 digits) or CNPJ (14 digits).
    """
    root, branch, check = _cnpj_parts(beneficiary_cnpj)
    payer = _DIGITS.sub("", payer_document)
    if len(payer) not in (11, 14):
        raise ConfigurationError(
            f"payer_document must be a CPF (11 digits) or CNPJ (14 digits), got {len(payer)}."
        )
    due = as_date(due, "due")
    issued = as_date(issued, "issued") if issued is not None else dt.date.today()
    if due < issued:
        raise ConfigurationError(f"due date {due} is before the issue date {issued}.")
    cep = _DIGITS.sub("", payer_cep).rjust(8, "0")
    return {
        "registrarTitulo": 2 if validate_only else 1, "codUsuario": "APISERVIC",
        "nroCpfCnpjBenef": int(root), "filCpfCnpjBenef": int(branch), "digCpfCnpjBenef": int(check),
        "tipoAcesso": 2, "cidtfdProdCobr": product, "cnegocCobr": _DIGITS.sub("", negotiation), "codigoBanco": 237,
        "ctitloCobrCdent": our_number, "ctitloCliCdent": your_number,
        "demisTitloCobr": br_date(issued), "dvctoTitloCobr": br_date(due), "vnmnalTitloCobr": cents(amount),
        "cespceTitloCobr": species, "isacdoTitloCobr": payer_name, "elogdrSacdoTitlo": payer_street,
        "ccepSacdoTitlo": cep[:5], "ccomplCepSacdo": cep[5:],
        "indCpfCnpjSacdo": 1 if len(payer) == 11 else 2, "nroCpfCnpjSacdo": payer,
        "fase": "1", "cindcdCobrMisto": "S" if with_pix_qr else "N",
    }  # fmt: skip


def register(client: Client, layout: Mapping[str, Any]) -> Response:
    """Register a boleto from `hybrid_boleto(...)`: portal `gerarBoleto`, or the legacy route.

    The answer holds the nosso numero (`ctitloCobrCdent`), bar code (`codBarras10`), digitable
    line (`linhaDig10`) and, for hybrid boletos, the Pix EMV (`wqrcdPdraoMercd`).
    """
    require_family(client, "portal", "legacy")
    if client.family.name == "legacy":
        return client.post("/v1/boleto-hibrido/registrar-boleto", json=dict(layout))
    return client.post(f"{PORTAL}/cobranca-registro/v1/gerarBoleto", json=dict(layout))


def query(
    client: Client, *, beneficiary_cnpj: str, product: int, account: str, our_number: int | str
) -> Response:
    """`consultar`: a title's status and second copy (bar code, EMV, QR image in base64)."""
    require_family(client, "portal")
    root, branch, check = _cnpj_parts(beneficiary_cnpj)
    body = {"cpfCnpjUsuario": int(root), "filialCnpjUsuario": int(branch), "controleCpfCnpjUsuario": int(check),
            "idProduto": product, "contaProduto": int(_DIGITS.sub("", account)), "nossoNumero": int(our_number),
            "seqTitulo": 0, "status": 0}  # fmt: skip
    return client.post(f"{PORTAL}/cobranca-consulta-titulo/v1/consultar", json=body)


def alter(
    client: Client,
    our_number: int | str,
    *,
    due: dt.date | str | None = None,
    amount: Decimal | str | int | None = None,
    txid: str | None = None,
) -> Response:
    """`alteraBoletoConsulta`: change a title's due date and/or amount (optional `txId` header)."""
    require_family(client, "portal")
    changes: dict[str, Any] = {}
    if due is not None:
        changes["dataVencimento"] = as_date(due, "due").strftime("%d%m%Y")
    if amount is not None:
        changes["valorTitulo"] = cents(amount)
    if not changes:
        raise ConfigurationError("Give a new due date and/or amount to alter.")
    headers = {"txId": txid} if txid else None
    body = {"nossoNumero": int(our_number), "dadosTitulo": changes}
    return client.post(
        f"{PORTAL}/cobranca-alteracao/v1/alteraBoletoConsulta", json=body, headers=headers
    )


def list_settled(client: Client, query: Mapping[str, Any], *, previous_page: int = 0) -> Response:
    """One page of `listar` for a `settled_query(...)`: titles paid in its window.

    Send `previous_page=0` first, then the returned `pagina` while `indMaisPagina` is "S" -
    `bx.BoletoListPages` does exactly that.
    """
    require_family(client, "portal")
    return client.post(LIST_PATH, json=dict(query) | {"paginaAnterior": previous_page})


def settled_query(
    *,
    cpf_cnpj: str,
    branch: str,
    control: str,
    product: int,
    negotiation: str,
    paid_from: dt.date | str,
    paid_to: dt.date | str,
) -> dict[str, Any]:
    """The `listar` body without `paginaAnterior` (what a paginator re-sends page after page)."""
    paid_from, paid_to = as_date(paid_from, "paid_from"), as_date(paid_to, "paid_to")
    if paid_to < paid_from:
        raise ConfigurationError(f"paid_to ({paid_to}) is before paid_from ({paid_from}).")
    return {
        "cpfCnpj": {"cpfCnpj": int(cpf_cnpj), "filial": int(branch), "controle": int(control)},
        "produto": product, "negociacao": int(_DIGITS.sub("", negotiation)),
        "dataPagamentoDe": int(paid_from.strftime("%d%m%Y")), "dataPagamentoAte": int(paid_to.strftime("%d%m%Y")),
    }  # fmt: skip


def cancel(
    client: Client,
    *,
    cpf_cnpj: str,
    branch: str,
    control: str,
    product: int,
    negotiation: str,
    our_number: int | str,
    code: int = 57,
) -> Response:
    """`baixar`: write a title off (code 57 = at the beneficiary's request)."""
    require_family(client, "portal")
    body = {"cpfCnpj": {"cpfCnpj": int(cpf_cnpj), "filial": int(branch), "controle": int(control)},
            "produto": product, "negociacao": int(_DIGITS.sub("", negotiation)), "nossoNumero": int(our_number),
            "sequencia": 0, "codigoBaixa": code}  # fmt: skip
    return client.post("/boleto/cobranca-baixa/v1/baixar", json=body)


def register_webhook(
    client: Client,
    *,
    cpf_cnpj: str,
    branch: str,
    control: str,
    url: str,
    production_path: bool = False,
) -> Response:
    """Register the https URL that receives settlement notices.

    Bradesco's sandbox calls the endpoint `cadastrar`; its production collection `executar`.
    """
    require_family(client, "portal")
    if not url.startswith("https://"):
        raise ConfigurationError("The webhook URL must be https://.")
    body = {"documento": {"cpfCnpj": int(cpf_cnpj), "filial": int(branch), "controle": int(control)},
            "versaoLayout": "1", "tipoCadastro": "C", "utilizaWebhook": "S", "urlEnvio": url, "tipoAviso": "1"}  # fmt: skip
    name = "executar" if production_path else "cadastrar"
    return client.post(f"/boleto/cobranca-webhook/v1/{name}", json=body)


def reserve_location(client: Client, body: Mapping[str, Any]) -> Response:
    """`reservarLoc`: reserve the Pix location a hybrid boleto will use (body as documented)."""
    require_family(client, "portal")
    return client.post(f"{PORTAL}/cobranca-reserva-location/v1/reservarLoc", json=dict(body))
