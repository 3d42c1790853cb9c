"""Brazilian document numbers (CPF, CNPJ) with valid check digits, and the sandbox's people.

The test customer and the boleto/Pix beneficiary are fixed (not seeded), so notebooks and
docs can quote them. The beneficiary is Bradesco's own sandbox company ("EMPRESA PGIT NET
EMPRESA", CNPJ 68542653/1018-38, Osasco), whose values select the canned scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass

_CPF_WEIGHTS = range(10, 1, -1)
_CNPJ_WEIGHTS_1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_WEIGHTS_2 = (6, *_CNPJ_WEIGHTS_1)


def _mod11(digits: str, weights: tuple[int, ...] | range) -> str:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


def complete_cpf(base: str) -> str:
    """The 11-digit CPF for 9 base digits (appends both check digits)."""
    first = _mod11(base, _CPF_WEIGHTS)
    return base + first + _mod11(base + first, range(11, 1, -1))


def complete_cnpj(base: str) -> str:
    """The 14-digit CNPJ for 12 base digits (root + branch; appends both check digits)."""
    first = _mod11(base, _CNPJ_WEIGHTS_1)
    return base + first + _mod11(base + first, _CNPJ_WEIGHTS_2)


def is_valid_cpf(value: str) -> bool:
    """Whether `value` is 11 digits with correct check digits (repeated digits are invalid)."""
    return (
        len(value) == 11
        and value.isdigit()
        and len(set(value)) > 1
        and complete_cpf(value[:9]) == value
    )


def is_valid_cnpj(value: str) -> bool:
    """Whether `value` is 14 digits with correct check digits."""
    return (
        len(value) == 14
        and value.isdigit()
        and len(set(value)) > 1
        and complete_cnpj(value[:12]) == value
    )


@dataclass(frozen=True)
class Customer:
    """The fixed Open Finance test customer: the person who approves consents.

    `subject` is the ID token's `sub` (opaque, not the CPF, so the ID token holds no PII).
    """

    name: str
    cpf: str
    cnpj: str
    company_name: str
    email: str
    subject: str


@dataclass(frozen=True)
class Beneficiary:
    """The company that issues boletos and receives Pix in the sandbox (Bradesco's test data).

    `negotiation` is the 18-digit `cnegocCobr` of the success scenario; `pix_key` is the
    Pix key (its CNPJ) that cobs must name in `chave`.
    """

    name: str
    cnpj: str
    city: str
    state: str
    postal_code: str
    branch: str
    account: str
    account_digit: str
    negotiation: str
    pix_key: str

    @property
    def cnpj_root(self) -> str:
        """First 8 digits (`nroCpfCnpjBenef`)."""
        return self.cnpj[:8]

    @property
    def cnpj_branch(self) -> str:
        """Digits 9-12 (`filCpfCnpjBenef`)."""
        return self.cnpj[8:12]

    @property
    def cnpj_digits(self) -> str:
        """Check digits (`digCpfCnpjBenef`)."""
        return self.cnpj[12:]


CUSTOMER = Customer(
    name="Maria das Graças Sandbox",
    cpf=complete_cpf("390533447"),
    cnpj=complete_cnpj("112223330001"),
    company_name="Graças Sandbox Comércio Ltda",
    email="maria@sandbox.example",
    subject="customer-0001",
)

BENEFICIARY = Beneficiary(
    name="EMPRESA PGIT NET EMPRESA",
    cnpj="68542653101838",
    city="OSASCO",
    state="SP",
    postal_code="06029900",
    branch="3861",
    account="41000",
    account_digit="5",
    negotiation="111111111111111111",
    pix_key="68542653101838",
)

BRADESCO_CNPJ = "60746948000112"
BRADESCO_ISPB = "60746948"
