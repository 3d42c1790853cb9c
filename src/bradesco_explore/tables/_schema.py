"""What a table of one kind looks like: its columns, in order, and the type of each.

A `Schema` is data, not code: the catalogue in `_kinds.py` lists one per payload shape the
APIs return (Open Finance transactions, Pix charges, boleto lists, saldo, extrato, ...).
`to_frame` puts the schema's columns first, in schema order and always present (all missing
when a page lacks the field), then any other field of the payload, alphabetically.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Column", "ColumnType", "Schema"]


class ColumnType(StrEnum):
    """How the raw JSON values of a column are read.

    - `TEXT`      strings (numbers become their decimal text: identifiers keep their digits)
    - `ENUM`      a closed set of codes -> pandas `category` (known values first, in spec order)
    - `MONEY`     Open Finance `{amount, currency}`: an exact decimal column plus
                  `<name>.currency`; `amount` must be a string matching `^-?\\d{1,15}\\.\\d{2,4}$`
    - `DECIMAL`   a plain decimal string such as Pix `"10.50"` -> exact decimal
    - `PTBR`      a pt-BR amount such as `"1.580,12"` or `"-80"` -> exact decimal, signed by `sign`
    - `CENTS`     integer cents (boleto `15000` = R$ 150,00) -> exact decimal in reais
    - `DATETIME`  RFC 3339 instant -> `datetime64[ns, UTC]` (a date alone means midnight in
                  America/Sao_Paulo)
    - `DATE`      a calendar date (`YYYY-MM-DD`, `dd.MM.yyyy`, `dd/MM/yyyy`, `DDMMYYYY`) ->
                  midnight in America/Sao_Paulo, `datetime64[ns, America/Sao_Paulo]`
    - `INTEGER`   whole numbers -> nullable `Int64`
    - `DOCUMENT`  a CPF or CNPJ (whole or partial) -> masked text unless `mask=False`
    - `PIX_KEY`   a Pix key: masked only when it is a CPF or CNPJ
    - `LIST`      a JSON array, kept as a list per row
    - `RAW`       a field no rule types: strings, whole numbers (`Int64`), booleans and
                  arrays keep the type JSON gave them
    """

    TEXT = "text"
    ENUM = "enum"
    MONEY = "money"
    DECIMAL = "decimal"
    PTBR = "ptbr"
    CENTS = "cents"
    DATETIME = "datetime"
    DATE = "date"
    INTEGER = "integer"
    DOCUMENT = "document"
    PIX_KEY = "pix_key"
    LIST = "list"
    RAW = "raw"


AMOUNT_TYPES = frozenset({ColumnType.MONEY, ColumnType.DECIMAL, ColumnType.PTBR, ColumnType.CENTS})
TIME_TYPES = frozenset({ColumnType.DATETIME, ColumnType.DATE})


@dataclass(frozen=True)
class Column:
    """One column of a schema.

    `values` lists an enumeration's known codes in spec order; `sign` names the columns whose
    `+`/`-`/`C`/`D` gives this amount its sign (the first present one wins); `aliases` are
    other spellings of this field seen in real responses (typos), merged into this column;
    `nonnegative` rejects negative amounts the spec forbids; `compact` says how 8-digit dates
    read: `"dmy"` (DDMMYYYY, the default) or `"ymd"` (YYYYMMDD).
    """

    name: str
    type: ColumnType
    values: tuple[str, ...] = ()
    sign: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    nonnegative: bool = False
    compact: str = "dmy"


@dataclass(frozen=True)
class Schema:
    """The table of one payload kind.

    `date_column` and `amount_column` are what summaries and the analyst helpers use by
    default; `direction_column` holds `CREDITO`/`DEBITO` when amounts are unsigned;
    `infer_by_name` types fields the schema does not list by Open Finance naming rules
    (`...DateTime` RFC 3339, `...Date` a date).
    """

    kind: str
    title: str
    columns: tuple[Column, ...]
    date_column: str | None = None
    amount_column: str | None = None
    direction_column: str | None = None
    infer_by_name: bool = False

    def column(self, name: str) -> Column | None:
        """The column called `name`, if the schema lists it."""
        for column in self.columns:
            if column.name == name:
                return column
        return None
