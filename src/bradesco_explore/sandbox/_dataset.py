"""Deterministic synthetic data: the same seed and sizes give byte-identical JSON.

Every generator draws from its own `random.Random(f"{seed}:{purpose}")`, so adding a
generator never shifts another's data. Dates hang off a fixed business date (`as_of`,
default 2025-06-30), not the wall clock, so a notebook re-run months later shows the same
tables. Large tables are kept as columns of ints and rendered to JSON a page at a time:
100,000 transactions cost a few MB and a fraction of a second, generated on first use.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import threading
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ._documents import BENEFICIARY, BRADESCO_CNPJ, CUSTOMER, complete_cnpj, complete_cpf
from ._money import ofb_money, pix_value

DEFAULT_AS_OF = dt.date(2025, 6, 30)
DAY_MS = 86_400_000

# (OFB type, transactionName, is_credit, typical log-amount): what moves on a current account.
TRANSACTION_KINDS: tuple[tuple[str, str, bool, float], ...] = (
    ("PIX", "PIX RECEBIDO", True, 8.6),
    ("PIX", "PIX ENVIADO", False, 8.4),
    ("TED", "TED RECEBIDA", True, 10.2),
    ("TED", "TED ENVIADA", False, 10.0),
    ("BOLETO", "PAGAMENTO DE BOLETO", False, 9.4),
    ("CARTAO", "COMPRA CARTAO DEBITO", False, 8.1),
    ("CONVENIO_ARRECADACAO", "CONTA DE LUZ", False, 9.2),
    ("TARIFA_SERVICOS_AVULSOS", "TARIFA BANCARIA", False, 6.9),
    ("SAQUE", "SAQUE 24H", False, 9.0),
    ("DEPOSITO", "DEPOSITO EM DINHEIRO", True, 9.6),
    ("RENDIMENTO_APLIC_FINANCEIRA", "RENDIMENTO POUPANCA", True, 7.2),
    ("FOLHA_PAGAMENTO", "SALARIO", True, 12.6),
)
_KIND_WEIGHTS = (22, 20, 4, 4, 8, 20, 3, 3, 4, 2, 3, 1)
_BANKS = ("001", "033", "104", "237", "341", "260", "077")
_FIRST_NAMES = (
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Elisa",
    "Fábio",
    "Gisele",
    "Heitor",
    "Iara",
    "João",
)
_LAST_NAMES = ("Silva", "Souza", "Oliveira", "Santos", "Pereira", "Lima", "Costa", "Ribeiro")
_COMPANIES = ("Mercado Bom Preço", "Posto Avenida", "Farmácia Central", "Energia SP", "Padaria Pão Quente",
              "Livraria Saber", "Telefonia Brasil", "Academia Forma")  # fmt: skip


def _rng(seed: int, purpose: str) -> random.Random:
    return random.Random(f"{seed}:{purpose}")  # noqa: S311 - synthetic data, not security


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso_ms(epoch_ms: int) -> str:
    """`2016-01-29T12:29:03.374Z`: OFB transaction time with milliseconds."""
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def day_start_ms(day: dt.date) -> int:
    """Epoch milliseconds at 00:00 UTC of `day`."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


@dataclass(frozen=True)
class Party:
    """A counterparty of transactions."""

    name: str
    document: str
    person_type: str  # PESSOA_NATURAL | PESSOA_JURIDICA
    compe: str
    branch: str
    number: str
    check_digit: str


@dataclass(frozen=True)
class Account:
    """An Open Finance deposit account of the customer."""

    account_id: str
    type: str
    subtype: str
    branch: str
    number: str
    check_digit: str
    available: int
    blocked: int
    invested: int
    overdraft_limit: int
    overdraft_used: int

    def summary(self) -> dict[str, Any]:
        """The accounts-list item."""
        return {
            "brandName": "BRADESCO",
            "companyCnpj": BRADESCO_CNPJ,
            "type": self.type,
            "compeCode": "237",
            "branchCode": self.branch,
            "number": self.number,
            "checkDigit": self.check_digit,
            "accountId": self.account_id,
        }


class TransactionTable:
    """One account's transactions as parallel columns, ascending by time."""

    def __init__(self, times: list[int], amounts: list[int], kinds: list[int], parties: list[int]):
        self.times, self.amounts, self.kinds, self.parties = times, amounts, kinds, parties

    def __len__(self) -> int:
        return len(self.times)

    def window(self, start_ms: int, end_ms: int) -> range:
        """Indexes of the transactions with `start_ms <= time < end_ms`."""
        return range(
            bisect.bisect_left(self.times, start_ms), bisect.bisect_left(self.times, end_ms)
        )


class Dataset:
    """Everything the sandbox serves, generated from `seed` on first use.

    `transactions` is the size of the customer's main checking account (benchmarks ask for
    100,000); the savings account has a tenth of it, at most 500.
    """

    def __init__(self, seed: int = 7, transactions: int = 3000, as_of: dt.date = DEFAULT_AS_OF):
        self.seed = seed
        self.size = max(0, transactions)
        self.as_of = as_of
        self.customer = CUSTOMER
        self.beneficiary = BENEFICIARY
        self._tables: dict[str, TransactionTable] = {}
        self._lock = threading.Lock()

    # -- Open Finance accounts ---------------------------------------------------------------
    @cached_property
    def parties(self) -> list[Party]:
        """Forty counterparties with valid CPF/CNPJ."""
        rng = _rng(self.seed, "parties")
        return [self._party(rng, i) for i in range(40)]

    def _party(self, rng: random.Random, index: int) -> Party:
        person = index % 3 != 0
        if person:
            name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
            document = complete_cpf(f"{rng.randrange(10**8, 10**9):09d}")
        else:
            name = rng.choice(_COMPANIES)
            document = complete_cnpj(f"{rng.randrange(10**7, 10**8):08d}0001")
        return Party(
            name, document, "PESSOA_NATURAL" if person else "PESSOA_JURIDICA",
            rng.choice(_BANKS), f"{rng.randrange(1, 9999):04d}", f"{rng.randrange(10**7, 10**9)}",
            str(rng.randrange(10)),
        )  # fmt: skip

    @cached_property
    def accounts(self) -> list[Account]:
        """The customer's checking and savings accounts."""
        rng = _rng(self.seed, "accounts")
        checking = Account(
            _uuid(rng), "CONTA_DEPOSITO_A_VISTA", "INDIVIDUAL", "3861", f"{rng.randrange(10**7, 10**8)}",
            str(rng.randrange(10)), rng.randrange(150_000, 2_500_000), rng.choice((0, 0, 12_000)),
            rng.randrange(0, 800_000), 500_000, rng.choice((0, 0, 23_450)),
        )  # fmt: skip
        savings = Account(
            _uuid(rng), "CONTA_POUPANCA", "INDIVIDUAL", "3861", f"{rng.randrange(10**7, 10**8)}",
            str(rng.randrange(10)), rng.randrange(500_000, 9_000_000), 0, 0, 0, 0,
        )  # fmt: skip
        return [checking, savings]

    def account(self, account_id: str) -> Account | None:
        """The account with this id, if the customer has it."""
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def transactions(self, account_id: str) -> TransactionTable:
        """The account's transactions (generated once, then cached)."""
        with self._lock:
            table = self._tables.get(account_id)
            if table is None:
                index = [a.account_id for a in self.accounts].index(account_id)
                size = self.size if index == 0 else min(500, self.size // 10)
                table = self._generate(account_id, size)
                self._tables[account_id] = table
            return table

    def _generate(self, account_id: str, size: int) -> TransactionTable:
        rng = _rng(self.seed, f"transactions:{account_id}")
        end = day_start_ms(self.as_of) + DAY_MS
        future = max(1, size // 50) if size else 0
        times = sorted(
            [rng.randrange(end - 365 * DAY_MS, end) for _ in range(size - future)]
            + [rng.randrange(end, end + 60 * DAY_MS) for _ in range(future)]
        )
        kinds = rng.choices(range(len(TRANSACTION_KINDS)), weights=_KIND_WEIGHTS, k=size)
        amounts = [
            max(1, min(int(math.exp(rng.gauss(TRANSACTION_KINDS[k][3], 0.7))), 99_999_999))
            for k in kinds
        ]
        parties = [rng.randrange(len(self.parties)) for _ in range(size)]
        return TransactionTable(times, amounts, kinds, parties)

    def transaction_json(self, account_id: str, table: TransactionTable, i: int) -> dict[str, Any]:
        """One OFB accounts v2 transaction."""
        kind, name, credit, _ = TRANSACTION_KINDS[table.kinds[i]]
        party = self.parties[table.parties[i]]
        future = table.times[i] >= day_start_ms(self.as_of) + DAY_MS
        return {
            "transactionId": f"{account_id[:8]}-{i:08d}",
            "completedAuthorisedPaymentType": "LANCAMENTO_FUTURO"
            if future
            else "TRANSACAO_EFETIVADA",
            "creditDebitType": "CREDITO" if credit else "DEBITO",
            "transactionName": name,
            "type": kind,
            "transactionAmount": ofb_money(table.amounts[i]),
            "transactionDateTime": iso_ms(table.times[i]),
            "partieCnpjCpf": party.document,
            "partiePersonType": party.person_type,
            "partieCompeCode": party.compe,
            "partieBranchCode": party.branch,
            "partieNumber": party.number,
            "partieCheckDigit": party.check_digit,
        }

    # -- Open Finance credit cards -----------------------------------------------------------
    @cached_property
    def card_account_id(self) -> str:
        """The customer's credit card account id."""
        return _uuid(_rng(self.seed, "card"))

    @cached_property
    def bills(self) -> list[dict[str, Any]]:
        """Twelve monthly bills, newest first, each with its transactions' total."""
        rng = _rng(self.seed, "bills")
        bills = []
        for months_back in range(12):
            due = _add_months(self.as_of.replace(day=10), -months_back)
            total = sum(t[1] for t in self.card_transactions_for(months_back))
            bills.append({
                "billId": f"{self.card_account_id[:8]}-bill-{due:%Y%m}",
                "dueDate": due.isoformat(),
                "billTotalAmount": ofb_money(total),
                "billMinimumAmount": ofb_money(total * 15 // 100),
                "isInstalment": rng.random() < 0.2,
                "financeCharges": [],
                "payments": [],
            })  # fmt: skip
        return bills

    def card_transactions_for(self, bill_index: int) -> list[tuple[int, int, str, int]]:
        """(epoch ms, cents, merchant, mcc) of the 20-30 purchases on bill `bill_index`."""
        rng = _rng(self.seed, f"card-transactions:{bill_index}")
        due = _add_months(self.as_of.replace(day=10), -bill_index)
        start = day_start_ms(_add_months(due, -1)) - 10 * DAY_MS
        count = rng.randrange(20, 31)
        return sorted(
            (rng.randrange(start, start + 30 * DAY_MS), int(math.exp(rng.gauss(8.6, 0.8))),
             rng.choice(_COMPANIES), rng.choice((5411, 5541, 5912, 4900, 5942, 4814, 7997)))
            for _ in range(count)
        )  # fmt: skip

    def card_transaction_json(self, bill_index: int, i: int) -> dict[str, Any]:
        """One OFB credit-cards v2 transaction."""
        when, cents, merchant, mcc = self.card_transactions_for(bill_index)[i]
        bill = self.bills[bill_index]
        return {
            "transactionId": f"{bill['billId']}-{i:03d}",
            "identificationNumber": "4321",
            "transactionName": merchant.upper(),
            "billId": bill["billId"],
            "creditDebitType": "DEBITO",
            "transactionType": "OPERACOES_CREDITO_CONTRATADAS_CARTAO",
            "paymentType": "A_VISTA",
            "chargeIdentificator": "1",
            "chargeNumber": 1,
            "brazilianAmount": ofb_money(cents),
            "amount": ofb_money(cents),
            "transactionDateTime": iso_ms(when),
            "billPostDate": dt.datetime.fromtimestamp(when / 1000, dt.UTC).date().isoformat(),
            "payeeMCC": mcc,
        }

    # -- Portal saldo/extrato (the beneficiary company's account) ----------------------------
    @cached_property
    def statement(self) -> list[tuple[dt.date, int, str, str]]:
        """(date, signed cents, description, document number), oldest first, 12 months."""
        rng = _rng(self.seed, "statement")
        entries = []
        day = self.as_of - dt.timedelta(days=365)
        while day <= self.as_of:
            if day.weekday() < 5:
                for _ in range(rng.randrange(1, 5)):
                    credit = rng.random() < 0.55
                    cents = int(math.exp(rng.gauss(10.5 if credit else 10.0, 0.9)))
                    label = rng.choice(("LIQUIDACAO DE BOLETO", "PIX RECEBIDO", "TED RECEBIDA")
                                       if credit else ("PAGTO FORNECEDOR", "PIX ENVIADO", "TARIFA", "DARF"))  # fmt: skip
                    entries.append(
                        (day, cents if credit else -cents, label, f"{rng.randrange(10**6):06d}")
                    )
            day += dt.timedelta(days=1)
        return entries

    @cached_property
    def opening_balance(self) -> int:
        """The company account's balance before the first statement entry (cents)."""
        return _rng(self.seed, "opening").randrange(5_000_000, 20_000_000)

    # -- Pix canned receipts -----------------------------------------------------------------
    @cached_property
    def pix_receipts(self) -> list[dict[str, Any]]:
        """Received Pix, all between 2024-10-02T00:00:00Z and 2024-10-03T10:06:00Z.

        This reproduces Bradesco's sandbox, whose `GET /v2/pix` only has receipts in that
        window. Every third one pays a canned cob (its `txid`); the first has a devolucao.
        """
        rng = _rng(self.seed, "pix")
        start = int(dt.datetime(2024, 10, 2, tzinfo=dt.UTC).timestamp() * 1000)
        span = (34 * 60 + 6) * 60_000
        moments = sorted(rng.randrange(start, start + span) for _ in range(24))
        return [self._receipt(rng, i, when) for i, when in enumerate(moments)]

    def _receipt(self, rng: random.Random, index: int, when: int) -> dict[str, Any]:
        stamp = dt.datetime.fromtimestamp(when / 1000, dt.UTC)
        tail = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(11))
        party = self.parties[rng.randrange(len(self.parties))]
        receipt: dict[str, Any] = {
            "endToEndId": f"E{rng.choice(('00000000', '60746948', '18236120'))}{stamp:%Y%m%d%H%M}{tail}",
            "valor": pix_value(int(math.exp(rng.gauss(9.0, 1.0))) + 1),
            "chave": self.beneficiary.pix_key,
            "horario": iso_ms(when),
            "pagador": {"nome": party.name.upper()} | (
                {"cpf": party.document} if len(party.document) == 11 else {"cnpj": party.document}),
            "infoPagador": rng.choice(("Pedido 1021", "Mensalidade", "Serviços prestados", "")),
        }  # fmt: skip
        if index % 3 == 0:
            receipt["txid"] = f"sandboxcob{index:04d}{self.seed % 10**8:08d}abcdef"[:35]
        return receipt


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    return day.replace(year=year, month=month % 12 + 1, day=min(day.day, 28))
