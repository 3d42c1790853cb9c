"""Layer 5, tables: API responses -> typed pandas DataFrames.

- `to_frame(obj, kind=None, mask=True)` finds the records in any family's envelope and types
  them: exact decimal amounts, timezone-aware dates, categorical codes, CPF/CNPJ masked;
- `Table(frame)` shows a summary (rows, date range, totals by currency) above the table in a
  notebook and writes CSV and Parquet;
- paginators (`OpenFinancePages`, `BoletoListPages`, `PixPages`, `ExtratoWindows`) walk every
  pagination scheme over a `Client` (or a `fetch(method, path_or_url, params, json_body)`), with a
  progress bar, a page cap and `resume()` after an error;
- `balance_over_time`, `spending_by_type`, `boleto_status_counts`: small analyses with a plot;
- `mask_json`, `mask_documents`, `is_document_field`: the CPF/CNPJ masking rule, for views
  outside a table (a raw JSON body, an Arrow array, a field name).

pandas, pyarrow, tqdm and matplotlib are imported on first use, so importing this package is
cheap.
"""

from ._analysis import balance_over_time, boleto_status_counts, spending_by_type
from ._documents import is_document_field, mask_documents, mask_json
from ._frame import to_frame
from ._kinds import KINDS
from ._pagination import (
    BoletoListPages,
    ExtratoWindows,
    Fetch,
    OpenFinancePages,
    PageRequest,
    Paginator,
    PixPages,
)
from ._schema import Column, ColumnType, Schema
from ._table import Table, TableSummary, Total, read_parquet

__all__ = [
    "KINDS",
    "BoletoListPages",
    "Column",
    "ColumnType",
    "ExtratoWindows",
    "Fetch",
    "OpenFinancePages",
    "PageRequest",
    "Paginator",
    "PixPages",
    "Schema",
    "Table",
    "TableSummary",
    "Total",
    "balance_over_time",
    "boleto_status_counts",
    "is_document_field",
    "mask_documents",
    "mask_json",
    "read_parquet",
    "spending_by_type",
    "to_frame",
]
