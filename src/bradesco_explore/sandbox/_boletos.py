"""The boleto book shared by the Portal (Gen2) and Legacy (Gen1) cobranca APIs.

One bank backend holds the titles, whichever generation registered them. Bar codes and
linhas digitaveis are real FEBRABAN layouts (bank 237, carteira, nosso numero, the
due-date factor with its 2025-02-22 reset to 1000, mod-10/mod-11 check digits), so a
learner can decode them. Dates are dd.MM.yyyy and amounts integer cents, as Bradesco sends.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from ._dataset import Dataset
from ._documents import BENEFICIARY
from ._pix_store import LOCATION_HOST, br_code
from ._refusal import Refusal, Violation
from ._server import Request

_BASE_DATE = dt.date(1997, 10, 7)
CANNED_NOSSO_NUMERO = "970039324"  # consultar success scenario (contaProduto 38610041000)
CANNED_BAIXA = "50150001462"  # baixar success scenario


def due_factor(due: dt.date) -> int:
    """FEBRABAN due-date factor: days since 1997-10-07, restarting at 1000 after 9999."""
    days = (due - _BASE_DATE).days
    return days if days <= 9999 else (days - 10000) % 9000 + 1000


def _mod10(digits: str) -> str:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return str((10 - total % 10) % 10)


def _mod11_barcode(digits: str) -> str:
    total = sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(digits)))
    check = 11 - total % 11
    return "1" if check in (0, 10, 11) else str(check)


def bar_code(
    branch: str, wallet: int, nosso_numero: str, account: str, cents: int, due: dt.date
) -> str:
    """The 44-digit bar code of a Bradesco boleto."""
    free = (
        f"{int(branch):04d}{wallet:02d}{int(nosso_numero) % 10**11:011d}{int(account) % 10**7:07d}0"
    )
    partial = f"2379{due_factor(due):04d}{cents % 10**10:010d}{free}"
    check = _mod11_barcode(partial)
    return partial[:4] + check + partial[4:]


def digitable_line(code: str) -> str:
    """The 47-digit linha digitavel for a 44-digit bar code."""
    free = code[19:]
    first = code[:4] + free[:5]
    second, third = free[5:15], free[15:25]
    return (first + _mod10(first) + second + _mod10(second) + third + _mod10(third)
            + code[4] + code[5:19])  # fmt: skip


def br_date(day: dt.date) -> str:
    """`dd.MM.yyyy`."""
    return day.strftime("%d.%m.%Y")


def parse_br_date(text: object) -> dt.date | None:
    """A `dd.MM.yyyy` date, or None."""
    try:
        return dt.datetime.strptime(str(text), "%d.%m.%Y").date()
    except ValueError:
        return None


@dataclass
class Title:
    """A registered boleto."""

    nosso_numero: str
    seu_numero: str
    negotiation: str
    wallet: int
    issued: dt.date
    due: dt.date
    cents: int
    payer_name: str
    payer_document: str
    status: str = "A VENCER"  # A VENCER | LIQUIDADO | BAIXADO
    paid_on: dt.date | None = None
    txid: str = ""
    emv: str = ""
    location: str = ""

    @property
    def bar_code(self) -> str:
        """The 44-digit bar code."""
        return bar_code(
            self.negotiation[:4],
            self.wallet,
            self.nosso_numero,
            self.negotiation[-7:],
            self.cents,
            self.due,
        )

    @property
    def digitable_line(self) -> str:
        """The 47-digit linha digitavel."""
        return digitable_line(self.bar_code)


@dataclass
class BoletoBook:
    """Registered titles by nosso numero, with canned ones and a settled history for `listar`."""

    data: Dataset
    titles: dict[str, Title] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _next: int = 0

    def __post_init__(self) -> None:
        rng = random.Random(f"{self.data.seed}:boletos")  # noqa: S311 - synthetic data
        as_of, negotiation = self.data.as_of, "386100000000041000"
        self.titles[CANNED_NOSSO_NUMERO] = Title(CANNED_NOSSO_NUMERO, "SANDBOX01", negotiation, 9,
            as_of, as_of + dt.timedelta(days=30), 15075, "FULANO DE TAL", "38453450803")  # fmt: skip
        self.titles[CANNED_BAIXA] = Title(CANNED_BAIXA, "SANDBOX02", "28560222654", 9, as_of,
            as_of + dt.timedelta(days=15), 9900, "CICLANO DA SILVA", "38453450803")  # fmt: skip
        self.settled = [self._settled(rng, i) for i in range(95)]
        self._next = 10_000_000 + rng.randrange(10**6)

    def _settled(self, rng: random.Random, index: int) -> Title:
        issued = self.data.as_of - dt.timedelta(days=rng.randrange(20, 200))
        title = Title(f"{80_000_000 + index:011d}", f"NF{1000 + index}", "28560230114", 9, issued,
                      issued + dt.timedelta(days=20), rng.randrange(5_000, 500_000),
                      f"CLIENTE {index:03d}", f"{rng.randrange(10**10, 10**11)}")  # fmt: skip
        title.status, title.paid_on = (
            "LIQUIDADO",
            title.due - dt.timedelta(days=rng.randrange(0, 5)),
        )
        return title

    def assign(self, requested: str) -> str:
        """The nosso numero to use: the requested one, or a new one when it is 0/empty."""
        with self.lock:
            if requested.strip("0"):
                return str(int(requested))
            self._next += 1
            return str(self._next)

    def add(self, title: Title) -> None:
        """Register a title."""
        with self.lock:
            self.titles[title.nosso_numero] = title

    def find(self, nosso_numero: object) -> Title | None:
        """The title with this nosso numero (any int/str spelling)."""
        key = str(nosso_numero).strip()
        with self.lock:
            return self.titles.get(str(int(key))) if key.isdigit() else None


def title_fields(title: Title) -> dict[str, Any]:
    """The flat `...10` response fields Bradesco returns for a registered hybrid boleto."""
    return {
        "ctitloCobrCdent": int(title.nosso_numero),
        "ctitloCliCdent": title.seu_numero,
        "codBarras10": title.bar_code,
        "linhaDig10": title.digitable_line,
        "codStatus10": 1 if title.status == "A VENCER" else 2,
        "status10": title.status,
        "snumero10": title.nosso_numero,
        "dataReg10": br_date(title.issued),
        "dataEmis10": br_date(title.issued),
        "dataVencto10": br_date(title.due),
        "valMoeda10": title.cents,
        "cnpjCpfCedente10": BENEFICIARY.cnpj,
        "nomeCedente10": BENEFICIARY.name,
        "iconcPgtoSpi": title.txid,
        "wqrcdPdraoMercd": title.emv,
        "ilinkGeracQrcd": title.location,
    }


# -- the hybrid (boleto + Pix QR) registration layout ------------------------------------------
HYBRID_REQUIRED = (
    "registrarTitulo", "codUsuario", "nroCpfCnpjBenef", "filCpfCnpjBenef", "digCpfCnpjBenef",
    "tipoAcesso", "cidtfdProdCobr", "cnegocCobr", "codigoBanco", "ctitloCobrCdent",
    "ctitloCliCdent", "demisTitloCobr", "dvctoTitloCobr", "vnmnalTitloCobr", "cespceTitloCobr",
    "isacdoTitloCobr", "elogdrSacdoTitlo", "ccepSacdoTitlo", "ccomplCepSacdo",
    "indCpfCnpjSacdo", "nroCpfCnpjSacdo", "fase", "cindcdCobrMisto",
)  # fmt: skip
MAX_LENGTHS = {"isacdoTitloCobr": 40, "elogdrSacdoTitlo": 40, "ctitloCliCdent": 25,
               "ebairoLogdrSacdo": 40, "imunSacdoTitlo": 20, "ecomplLogdrSacdo": 15}  # fmt: skip

# cnegocCobr of Bradesco's sandbox collection -> the scenario it selects
CANNED_NEGOTIATIONS = {
    "111111111111111113": "already_registered",
    "111111111111111118": "field_too_long",
    "111111111111111114": "not_authorised",
    "111111111111111115": "inconsistent",
    "111111111111111116": "due_before_issue",
}


def refusal(code: str, message: str, *violations: Violation, status: int = 400) -> Refusal:
    """A cobranca refusal (rendered as `{code, message, details}` or `{codigo, mensagem, ...}`)."""
    return Refusal(status, code, message, violations=violations)


def require_fields(body: dict[str, Any], names: tuple[str, ...]) -> None:
    """400 listing every layout field that is absent (unused ones must be sent as 0 or "")."""
    missing = [name for name in names if name not in body]
    if missing:
        raise refusal("CAMPOS_OBRIGATORIOS", "CAMPO(S) OBRIGATORIO(S) NAO INFORMADO(S)",
                      *(Violation(name, "campo obrigatorio do layout") for name in missing))  # fmt: skip


def check_hybrid_layout(body: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """Formats and lengths of the flat layout; returns the (issue, due) dates."""
    too_long = [n for n, size in MAX_LENGTHS.items() if len(str(body.get(n, ""))) > size]
    if too_long:
        raise refusal("TAMANHO_CAMPO_INVALIDO", "TAMANHO DO CAMPO INVALIDO",
                      *(Violation(n, f"maximo de {MAX_LENGTHS[n]} caracteres") for n in too_long))  # fmt: skip
    issued, due = parse_br_date(body["demisTitloCobr"]), parse_br_date(body["dvctoTitloCobr"])
    if issued is None or due is None:
        raise refusal("DATA_INVALIDA", "DATA INVALIDA: USE O FORMATO DD.MM.AAAA",
                      Violation("dvctoTitloCobr" if issued else "demisTitloCobr", "formato dd.MM.yyyy"))  # fmt: skip
    if due < issued:
        raise refusal("VENCIMENTO_ANTERIOR_EMISSAO", "DATA DE VENCIMENTO ANTERIOR A DATA DE EMISSAO",
                      Violation("dvctoTitloCobr", br_date(due)))  # fmt: skip
    if not str(body["vnmnalTitloCobr"]).isdigit() or int(body["vnmnalTitloCobr"]) <= 0:
        raise refusal("VALOR_INVALIDO", "VALOR NOMINAL INVALIDO (CENTAVOS, INTEIRO)",
                      Violation("vnmnalTitloCobr", str(body["vnmnalTitloCobr"])))  # fmt: skip
    return issued, due


def canned_hybrid_outcome(body: dict[str, Any]) -> None:
    """Raise the canned refusal a sandbox negotiation number selects (success returns None)."""
    negotiation = str(body.get("cnegocCobr", ""))
    scenario = CANNED_NEGOTIATIONS.get(negotiation)
    beneficiary_root = str(body.get("nroCpfCnpjBenef", ""))
    if scenario == "not_authorised" or beneficiary_root.lstrip("0") != BENEFICIARY.cnpj_root:
        raise refusal("NEGOCIACAO_NAO_AUTORIZADA", "NEGOCIACAO NAO AUTORIZADA PARA O BENEFICIARIO",
                      Violation("cnegocCobr", negotiation))  # fmt: skip
    if scenario == "already_registered" and str(body.get("ctitloCobrCdent")) == "999999999":
        raise refusal(
            "TITULO_JA_CADASTRADO",
            "TITULO JA CADASTRADO",
            Violation("ctitloCobrCdent", "999999999"),
        )
    if scenario == "field_too_long":
        raise refusal("TAMANHO_CAMPO_INVALIDO", "TAMANHO DO CAMPO INVALIDO",
                      Violation("isacdoTitloCobr", "maximo de 40 caracteres"))  # fmt: skip
    if scenario == "inconsistent":
        raise refusal(
            "DADOS_INCONSISTENTES", "DADOS INCONSISTENTES", Violation("cnegocCobr", negotiation)
        )
    if scenario == "due_before_issue":
        raise refusal("VENCIMENTO_ANTERIOR_EMISSAO", "DATA DE VENCIMENTO ANTERIOR A DATA DE EMISSAO",
                      Violation("dvctoTitloCobr", str(body.get("dvctoTitloCobr"))))  # fmt: skip


def register_hybrid(book: BoletoBook, body: dict[str, Any]) -> Title:
    """Validate a hybrid registration (canned scenarios first) and add the title to the book."""
    require_fields(body, HYBRID_REQUIRED)
    canned_hybrid_outcome(body)
    issued, due = check_hybrid_layout(body)
    nosso_numero = book.assign(str(body["ctitloCobrCdent"]))
    if book.find(nosso_numero) is not None:
        raise refusal(
            "TITULO_JA_CADASTRADO",
            "TITULO JA CADASTRADO",
            Violation("ctitloCobrCdent", nosso_numero),
        )
    title = Title(nosso_numero, str(body["ctitloCliCdent"]), str(body["cnegocCobr"]),
                  int(body["cidtfdProdCobr"]), issued, due, int(body["vnmnalTitloCobr"]),
                  str(body["isacdoTitloCobr"]), str(body["nroCpfCnpjSacdo"]))  # fmt: skip
    if str(body.get("cindcdCobrMisto", "")).upper() == "S":
        title.txid = f"BOL{nosso_numero:0>11}{book.data.seed % 10**8:08d}BRADESCO"[:35]
        title.location = f"{LOCATION_HOST}/qr/v2/cobv/{title.txid.lower()}"
        title.emv = br_code(title.location, BENEFICIARY.name, BENEFICIARY.city)
    book.add(title)
    return title


def json_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or the cobranca refusal for anything else."""
    try:
        body = request.json()
    except ValueError:
        raise refusal("JSON_INVALIDO", "CORPO DA REQUISICAO NAO E JSON VALIDO") from None
    if not isinstance(body, dict):
        raise refusal("JSON_INVALIDO", "CORPO DA REQUISICAO DEVE SER UM OBJETO JSON")
    return body
