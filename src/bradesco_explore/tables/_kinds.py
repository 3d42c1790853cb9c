"""The catalogue: one `Schema` per payload kind the APIs return.

Field names and formats come from the research notes (`reference/bradesco-and-open-finance.md`,
sections 3 and 4): the Open Finance Brasil swagger (accounts 2.4, consents 3, credit cards 2,
resources 3), the Bacen API Pix v2, and Bradesco's Cobranca, Saldo and Extrato layouts as
integrators record them.
"""

from __future__ import annotations

import re

from ..errors import ConfigurationError
from ._schema import Column, Schema
from ._schema import ColumnType as T

__all__ = ["KINDS", "kind_for_path", "schema_for"]

_TRANSACTION_TYPES = (
    "TED",
    "DOC",
    "PIX",
    "TRANSFERENCIA_MESMA_INSTITUICAO",
    "BOLETO",
    "CONVENIO_ARRECADACAO",
    "PACOTE_TARIFA_SERVICOS",
    "TARIFA_SERVICOS_AVULSOS",
    "FOLHA_PAGAMENTO",
    "DEPOSITO",
    "SAQUE",
    "CARTAO",
    "ENCARGOS_JUROS_CHEQUE_ESPECIAL",
    "RENDIMENTO_APLIC_FINANCEIRA",
    "PORTABILIDADE_SALARIO",
    "RESGATE_APLIC_FINANCEIRA",
    "OPERACAO_CREDITO",
    "OUTROS",
)
_CREDIT_DEBIT = ("CREDITO", "DEBITO")
_SIGNS = ("+", "-")
_PIX_COB_STATUS = ("ATIVA", "CONCLUIDA", "REMOVIDA_PELO_USUARIO_RECEBEDOR", "REMOVIDA_PELO_PSP")

_OF_TRANSACTIONS = Schema(
    kind="openfinance.transactions",
    title="Open Finance account transactions",
    columns=(
        Column("transactionId", T.TEXT),
        Column("transactionDateTime", T.DATETIME),
        Column(
            "completedAuthorisedPaymentType",
            T.ENUM,
            values=("TRANSACAO_EFETIVADA", "LANCAMENTO_FUTURO", "TRANSACAO_PROCESSANDO"),
        ),
        Column("creditDebitType", T.ENUM, values=_CREDIT_DEBIT),
        Column("type", T.ENUM, values=_TRANSACTION_TYPES),
        Column("transactionName", T.TEXT),
        Column("transactionAmount", T.MONEY, nonnegative=True),
        Column("partieCnpjCpf", T.DOCUMENT),
        Column("partiePersonType", T.ENUM, values=("PESSOA_NATURAL", "PESSOA_JURIDICA")),
        Column("partieCompeCode", T.TEXT),
        Column("partieBranchCode", T.TEXT),
        Column("partieNumber", T.TEXT),
        Column("partieCheckDigit", T.TEXT),
    ),
    date_column="transactionDateTime",
    amount_column="transactionAmount",
    direction_column="creditDebitType",
    infer_by_name=True,
)

_OF_ACCOUNTS = Schema(
    kind="openfinance.accounts",
    title="Open Finance accounts",
    columns=(
        Column("accountId", T.TEXT),
        Column("brandName", T.TEXT),
        Column("companyCnpj", T.DOCUMENT),
        Column(
            "type",
            T.ENUM,
            values=("CONTA_DEPOSITO_A_VISTA", "CONTA_POUPANCA", "CONTA_PAGAMENTO_PRE_PAGA"),
        ),
        Column("subtype", T.ENUM, values=("INDIVIDUAL", "CONJUNTA_SIMPLES", "CONJUNTA_SOLIDARIA")),
        Column("compeCode", T.TEXT),
        Column("branchCode", T.TEXT),
        Column("number", T.TEXT),
        Column("checkDigit", T.TEXT),
        Column("currency", T.ENUM),
    ),
    infer_by_name=True,
)

_OF_BALANCES = Schema(
    kind="openfinance.balances",
    title="Open Finance account balances",
    columns=(
        Column("availableAmount", T.MONEY),
        Column("blockedAmount", T.MONEY, nonnegative=True),
        Column("automaticallyInvestedAmount", T.MONEY),
        Column("updateDateTime", T.DATETIME),
    ),
    date_column="updateDateTime",
    amount_column="availableAmount",
    infer_by_name=True,
)

_OF_CONSENTS = Schema(
    kind="openfinance.consents",
    title="Open Finance consents",
    columns=(
        Column("consentId", T.TEXT),
        Column("status", T.ENUM, values=("AWAITING_AUTHORISATION", "AUTHORISED", "REJECTED")),
        Column("creationDateTime", T.DATETIME),
        Column("statusUpdateDateTime", T.DATETIME),
        Column("expirationDateTime", T.DATETIME),
        Column("permissions", T.LIST),
        Column("rejection.rejectedBy", T.ENUM, values=("USER", "ASPSP", "TPP")),
        Column(
            "rejection.reason.code",
            T.ENUM,
            values=(
                "CONSENT_EXPIRED",
                "CUSTOMER_MANUALLY_REJECTED",
                "CUSTOMER_MANUALLY_REVOKED",
                "CONSENT_MAX_DATE_REACHED",
                "CONSENT_TECHNICAL_ISSUE",
                "INTERNAL_SECURITY_REASON",
            ),
        ),
    ),
    date_column="creationDateTime",
    infer_by_name=True,
)

_OF_CARDS = Schema(
    kind="openfinance.credit_card_accounts",
    title="Open Finance credit card accounts",
    columns=(
        Column("creditCardAccountId", T.TEXT),
        Column("brandName", T.TEXT),
        Column("companyCnpj", T.DOCUMENT),
        Column("name", T.TEXT),
        Column("productType", T.ENUM),
        Column("productAdditionalInfo", T.TEXT),
        Column("creditCardNetwork", T.ENUM),
        Column("networkAdditionalInfo", T.TEXT),
    ),
    infer_by_name=True,
)

_OF_RESOURCES = Schema(
    kind="openfinance.resources",
    title="Open Finance resources",
    columns=(
        Column("resourceId", T.TEXT),
        Column(
            "type",
            T.ENUM,
            values=(
                "ACCOUNT",
                "CREDIT_CARD_ACCOUNT",
                "LOAN",
                "FINANCING",
                "UNARRANGED_ACCOUNT_OVERDRAFT",
                "INVOICE_FINANCING",
            ),
        ),
        Column(
            "status",
            T.ENUM,
            values=("AVAILABLE", "UNAVAILABLE", "TEMPORARILY_UNAVAILABLE", "PENDING_AUTHORISATION"),
        ),
    ),
    infer_by_name=True,
)

_OF_GENERIC = Schema(
    kind="openfinance",
    title="Open Finance records",
    columns=(),
    infer_by_name=True,
)

_PIX_LOC = (
    Column("loc.id", T.INTEGER),
    Column("loc.location", T.TEXT),
    Column("loc.tipoCob", T.ENUM, values=("cob", "cobv")),
    Column("loc.criacao", T.DATETIME),
)

_PIX_COB = Schema(
    kind="pix.cob",
    title="Pix immediate charges (cob)",
    columns=(
        Column("txid", T.TEXT),
        Column("status", T.ENUM, values=_PIX_COB_STATUS),
        Column("calendario.criacao", T.DATETIME),
        Column("calendario.expiracao", T.INTEGER),
        Column("revisao", T.INTEGER),
        Column("valor.original", T.DECIMAL, nonnegative=True),
        Column("chave", T.PIX_KEY),
        Column("devedor.cpf", T.DOCUMENT),
        Column("devedor.cnpj", T.DOCUMENT),
        Column("devedor.nome", T.TEXT),
        Column("solicitacaoPagador", T.TEXT),
        *_PIX_LOC,
        Column("location", T.TEXT),
        Column("pixCopiaECola", T.TEXT),
    ),
    date_column="calendario.criacao",
    amount_column="valor.original",
)

_PIX_COBV = Schema(
    kind="pix.cobv",
    title="Pix charges with due date (cobv)",
    columns=(
        Column("txid", T.TEXT),
        Column("status", T.ENUM, values=_PIX_COB_STATUS),
        Column("calendario.criacao", T.DATETIME),
        Column("calendario.dataDeVencimento", T.DATE),
        Column("calendario.validadeAposVencimento", T.INTEGER),
        Column("revisao", T.INTEGER),
        Column("valor.original", T.DECIMAL, nonnegative=True),
        Column("chave", T.PIX_KEY),
        Column("devedor.cpf", T.DOCUMENT),
        Column("devedor.cnpj", T.DOCUMENT),
        Column("devedor.nome", T.TEXT),
        Column("recebedor.cnpj", T.DOCUMENT),
        Column("recebedor.nome", T.TEXT),
        Column("solicitacaoPagador", T.TEXT),
        *_PIX_LOC,
        Column("location", T.TEXT),
        Column("pixCopiaECola", T.TEXT),
        Column("emv", T.TEXT),
    ),
    date_column="calendario.dataDeVencimento",
    amount_column="valor.original",
)

_PIX_RECEIVED = Schema(
    kind="pix.pix",
    title="Pix received",
    columns=(
        Column("endToEndId", T.TEXT),
        Column("txid", T.TEXT),
        Column("valor", T.DECIMAL, nonnegative=True),
        Column("horario", T.DATETIME),
        Column("chave", T.PIX_KEY),
        Column("pagador.cpf", T.DOCUMENT),
        Column("pagador.cnpj", T.DOCUMENT),
        Column("pagador.nome", T.TEXT),
        Column("infoPagador", T.TEXT),
        Column("devolucoes", T.LIST),
    ),
    date_column="horario",
    amount_column="valor",
)

_PIX_LOCATIONS = Schema(
    kind="pix.loc",
    title="Pix payload locations",
    columns=(
        Column("id", T.INTEGER),
        Column("location", T.TEXT),
        Column("tipoCob", T.ENUM, values=("cob", "cobv")),
        Column("criacao", T.DATETIME),
        Column("txid", T.TEXT),
    ),
    date_column="criacao",
)

_PIX_WEBHOOKS = Schema(
    kind="pix.webhook",
    title="Pix webhooks",
    columns=(
        Column("chave", T.PIX_KEY),
        Column("webhookUrl", T.TEXT),
        Column("criacao", T.DATETIME),
    ),
    date_column="criacao",
)

_BOLETO_REGISTRO = Schema(
    kind="boleto.registro",
    title="Boleto registered (Cobranca hibrida, gerarBoleto)",
    columns=(
        Column("ctitloCobrCdent", T.TEXT),
        Column("snumero10", T.TEXT),
        Column("codStatus10", T.INTEGER),
        Column("status10", T.ENUM),
        Column("valMoeda10", T.CENTS, nonnegative=True),
        Column("dataReg10", T.DATE),
        Column("dataEmis10", T.DATE),
        Column("dataVencto10", T.DATE),
        Column("linhaDig10", T.TEXT),
        Column("codBarras10", T.TEXT),
        Column("cnpjCpfCedente10", T.DOCUMENT),
        Column("iconcPgtoSpi", T.TEXT),
        Column("wqrcdPdraoMercd", T.TEXT),
        Column("ilinkGeracQrcd", T.TEXT),
    ),
    date_column="dataVencto10",
    amount_column="valMoeda10",
)

_BOLETO_REGISTRO_V1 = Schema(
    kind="boleto.registro_v1",
    title="Boleto registered (Open APIs v1, registrarBoleto)",
    columns=(
        Column("codigoRetorno", T.TEXT),
        Column("mensagemRetorno", T.TEXT),
        Column("nuTituloGerado", T.TEXT),
        Column("vlTitulo", T.CENTS, nonnegative=True),
        Column("dtVencimento", T.DATE),
        Column("linhaDigitavel", T.TEXT),
        Column("cdBarras", T.TEXT),
    ),
    date_column="dtVencimento",
    amount_column="vlTitulo",
)

_BOLETO_CONSULTA = Schema(
    kind="boleto.consulta",
    title="Boleto queried (cobranca-consulta-titulo, consultar)",
    columns=(
        Column("snumero", T.TEXT),
        Column("codStatus", T.INTEGER),
        Column("status", T.ENUM),
        Column("valMoeda", T.CENTS, nonnegative=True),
        Column("valorMoedaBol", T.CENTS, nonnegative=True),
        Column("dataEmis", T.DATE),
        Column("dataReg", T.DATE),
        Column("dataVencto", T.DATE),
        Column("dataVenctoBol", T.DATE),
        Column("dtPagto", T.DATE),
        Column("dtBaixa", T.DATE),
        Column("codBaixa", T.INTEGER),
        Column("descBaixa", T.TEXT),
        Column("nomeSacado", T.TEXT),
        Column("cnpjCpfCedente", T.DOCUMENT),
        Column("cnpjSacado", T.DOCUMENT),
        Column("linhaDig", T.TEXT),
        Column("codBarras", T.TEXT),
    ),
    date_column="dataVencto",
    amount_column="valMoeda",
)

_BOLETO_CONSULTA_V1 = Schema(
    kind="boleto.consulta_v1",
    title="Boleto queried (Open APIs v1, titulo-consultar)",
    columns=(
        Column("STATUS", T.ENUM, values=("Aberto", "Baixado", "Liquidado")),
        Column("CODSTATUS", T.INTEGER),
        Column("VALMOEDA", T.CENTS, nonnegative=True),
        Column("DATAVENCTO", T.DATE),
        Column("LINHADIG", T.TEXT),
        Column("CODBARRAS", T.TEXT),
        Column("BAIXA.CODIGO", T.INTEGER),
        Column("BAIXA.DESCRICAO", T.TEXT),
        Column("BAIXA.DATA", T.DATE),
    ),
    date_column="DATAVENCTO",
    amount_column="VALMOEDA",
)

_BOLETO_LISTAR = Schema(
    kind="boleto.listar",
    title="Boletos settled (cobranca-lista, listar)",
    columns=(
        Column("nossoNumero", T.TEXT),
        Column("digitoNossoNumero", T.TEXT),
        Column("seuNumero", T.TEXT),
        Column("dataVencimento", T.DATE),
        Column("dataPagamento", T.DATE),
        Column("dataMovimento", T.DATE),
        Column("valorTitulo", T.CENTS, nonnegative=True),
        Column("valorPagamento", T.CENTS, nonnegative=True),
        Column("valorPago", T.CENTS, nonnegative=True),
        Column("valorOscilacao", T.CENTS, sign=("sinalValorOscilacao",)),
        Column("sinalValorOscilacao", T.ENUM, values=_SIGNS),
        Column("nomePagador", T.TEXT),
        Column("origemPagamento", T.ENUM),
        Column("descricaoOrigemPagamento", T.ENUM),
        Column("descricaoFormaCredito", T.ENUM),
        Column("bancoRecebedor", T.TEXT),
        Column("agenciaRecebedora", T.TEXT),
    ),
    date_column="dataPagamento",
    amount_column="valorTitulo",
)

_BOLETO_PENDENTES = Schema(
    kind="boleto.pendentes",
    title="Boletos awaiting payment (cobranca-pendente, listar)",
    columns=(
        Column("nossoNumero", T.TEXT),
        Column("seuNumero", T.TEXT),
        Column("status", T.ENUM),
        Column("dataVencto", T.DATE),
        Column("valTitulo", T.CENTS, nonnegative=True),
        Column("pagador.nome", T.TEXT),
        Column("pagador.cnpjCpf", T.DOCUMENT),
        Column("pagador.filial", T.TEXT),
        Column("pagador.controle", T.TEXT),
    ),
    date_column="dataVencto",
    amount_column="valTitulo",
)

_SALDO = Schema(
    kind="saldo",
    title="Account balance by product (Saldo PJ)",
    columns=(
        Column("codigoProduto", T.TEXT),
        Column("nomeProduto", T.TEXT),
        Column("valorLancamento", T.PTBR, sign=("sinalSaldo",)),
        Column("sinalSaldo", T.ENUM, values=_SIGNS),
    ),
    amount_column="valorLancamento",
)

_EXTRATO_COLUMNS = (
    Column(
        "bloco",
        T.ENUM,
        values=(
            "Saldo Anterior",
            "Ultimos Lancamentos",
            "Lancamentos Dia",
            "Lancamentos Futuros",
            "Por Periodo",
        ),
    ),
    Column("dataLancamento", T.DATE),
    Column("descritivoLancamentoCompleto", T.TEXT),
    Column("descritivoLancamentoAbreviado", T.TEXT),
    Column("numeroDocumento", T.TEXT),
    Column(
        "valorLancamento",
        T.PTBR,
        sign=("sinalLancamento",),
    ),
    Column("sinalLancamento", T.ENUM, values=_SIGNS, aliases=("sinalLacamento",)),
    Column("valorSaldoAposLancamento", T.PTBR, sign=("sinalSaldoAposLancamento", "sinalSaldo")),
    Column("sinalSaldoAposLancamento", T.ENUM, values=_SIGNS),
    Column("sinalSaldo", T.ENUM, values=_SIGNS),
    Column("codigoLancamento", T.TEXT),
    Column("tipoLancamento", T.TEXT),
    Column("segundaLinhalLancamento", T.TEXT),
)

_EXTRATO = Schema(
    kind="extrato",
    title="Account statement, every block (Extrato PJ)",
    columns=_EXTRATO_COLUMNS,
    date_column="dataLancamento",
    amount_column="valorLancamento",
)

_EXTRATO_PERIODO = Schema(
    kind="extrato.periodo",
    title="Account statement for the period asked (Extrato PJ, extratoPorPeriodo)",
    columns=_EXTRATO_COLUMNS,
    date_column="dataLancamento",
    amount_column="valorLancamento",
)

_GENERIC = Schema(kind="records", title="Records", columns=())

KINDS: dict[str, Schema] = {
    s.kind: s
    for s in (
        _OF_TRANSACTIONS,
        _OF_ACCOUNTS,
        _OF_BALANCES,
        _OF_CONSENTS,
        _OF_CARDS,
        _OF_RESOURCES,
        _OF_GENERIC,
        _PIX_COB,
        _PIX_COBV,
        _PIX_RECEIVED,
        _PIX_LOCATIONS,
        _PIX_WEBHOOKS,
        _BOLETO_REGISTRO,
        _BOLETO_REGISTRO_V1,
        _BOLETO_CONSULTA,
        _BOLETO_CONSULTA_V1,
        _BOLETO_LISTAR,
        _BOLETO_PENDENTES,
        _SALDO,
        _EXTRATO,
        _EXTRATO_PERIODO,
        _GENERIC,
    )
}
"""Every kind `to_frame(kind=...)` accepts, by name."""


def schema_for(kind: str) -> Schema:
    """The schema called `kind`; a `ConfigurationError` listing the known kinds otherwise."""
    try:
        return KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise ConfigurationError(
            f"Unknown table kind {kind!r}. Pass one of: {known}; or leave kind=None to detect it."
        ) from None


# Open Finance listing paths whose kind the path alone tells (so an empty listing still gets
# its columns); credit-card transactions share no schema with account transactions.
_OF_PATH_KINDS = (
    (re.compile(r"/credit-cards-accounts/v\d+/accounts/?$"), "openfinance.credit_card_accounts"),
    (
        re.compile(r"/accounts/v\d+/accounts/[^/]+/transactions(-current)?/?$"),
        "openfinance.transactions",
    ),
    (re.compile(r"/accounts/v\d+/accounts/[^/]+/balances/?$"), "openfinance.balances"),
    (re.compile(r"/accounts/v\d+/accounts/?$"), "openfinance.accounts"),
    (re.compile(r"/resources/v\d+/resources/?$"), "openfinance.resources"),
)


def kind_for_path(path: str) -> str | None:
    """The table kind of an Open Finance listing path, when the path alone says it."""
    path = path.split("?", 1)[0]
    return next((kind for pattern, kind in _OF_PATH_KINDS if pattern.search(path)), None)
