"""Money as each API writes it: every amount is held as integer cents and formatted on the way out.

- Open Finance: `{"amount": "1000.0400", "currency": "BRL"}` (4 decimals; pattern
  `^-?\\d{1,15}\\.\\d{2,4}$`);
- Pix: `"1000.04"` (`\\d{1,10}\\.\\d{2}`);
- saldo/extrato: pt-BR strings `"1.000,04"` with a separate sign field;
- boletos: integer cents (`vnmnalTitloCobr`, `valMoeda10`).
"""

from __future__ import annotations

import re

_PIX_VALUE = re.compile(r"^\d{1,10}\.\d{2}$")


def ofb_amount(cents: int) -> str:
    """`"1000.0400"`: Open Finance amount string, 4 decimals."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}00"


def ofb_money(cents: int, currency: str = "BRL") -> dict[str, str]:
    """`{"amount": "1000.0400", "currency": "BRL"}`."""
    return {"amount": ofb_amount(cents), "currency": currency}


def pix_value(cents: int) -> str:
    """`"1000.04"`: Pix `valor` string."""
    whole, frac = divmod(cents, 100)
    return f"{whole}.{frac:02d}"


def parse_pix_value(text: object) -> int | None:
    """Cents from a Pix `valor` string, or None if it does not match `\\d{1,10}\\.\\d{2}`."""
    if not isinstance(text, str) or not _PIX_VALUE.match(text):
        return None
    whole, frac = text.split(".")
    return int(whole) * 100 + int(frac)


def pt_br(cents: int) -> str:
    """`"1.580,12"`: a pt-BR amount (dot thousands, comma decimals, no sign)."""
    whole, frac = divmod(abs(cents), 100)
    return f"{whole:,}".replace(",", ".") + f",{frac:02d}"
