"""CPF and CNPJ masking: personal documents never reach a notebook's saved output by default.

The rule (applied to every value of a document column, after dropping `.`, `-`, `/` and
spaces):

- 11 digits, a CPF: only digits 4 to 9 stay, `123.456.789-09` -> `***.456.789-**`;
- 14 characters, a CNPJ (digits, or the alphanumeric CNPJ with 2 check digits): digits 3 to
  12 stay, `12.345.678/0001-95` -> `**.345.678/0001-**`;
- anything else (a CNPJ root, a CPF without check digits, a number that lost its leading
  zeros): every letter and digit becomes `*`, `68542653` -> `********`.

Document columns are those a schema declares, plus any other field whose last name part
contains `cpf` or `cnpj` (any case) and does not start with `ind`/`tipo` or end with
`type`/`tipo` (those hold a code, not a document), or is `document`, `documento` or `taxId`,
plus any `document.identification`. A Pix key (`chave`) is masked only when it is a CPF or
CNPJ; e-mail, phone and random keys stay as they are. In every other text, a CPF or CNPJ
written with its punctuation (`PIX ENVIADO 123.456.789-09`) is masked in place; bare digit
runs are left alone there, since they are as often phone numbers or ids.
`to_frame(..., mask=False)` keeps every value as sent.

`mask_json` applies the same rules to a whole JSON body, for views that show the raw
response (the explorer's raw JSON).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["is_document_field", "mask_documents", "mask_embedded", "mask_json", "mask_pix_keys"]

_DOCUMENT_NAME = re.compile(r"(?i)cpf|cnpj")
_CODE_NAME = re.compile(r"(?i)^(ind|tipo)|(type|tipo)$")
_SEPARATORS = r"[.\-/\s]"
_CPF = r"^\d{3}(\d{3})(\d{3})\d{2}$"
_CNPJ = r"^[0-9A-Z]{2}([0-9A-Z]{3})([0-9A-Z]{3})([0-9A-Z]{4})\d{2}$"
_CPF_SHAPED = r"^\d{3}\.?\d{3}\.?\d{3}-?\d{2}$"
_CNPJ_SHAPED = r"^\d{2}\.?\d{3}\.?\d{3}/?\d{4}-?\d{2}$"
_MAYBE_WRITTEN = re.compile(r"\d\.\d{3}\.\d{3}[-/]")
_DOCUMENT_NAMES = frozenset({"document", "documento", "taxid", "tax_id"})
_WRITTEN_CPF = (r"\b\d{3}\.(\d{3})\.(\d{3})-\d{2}\b", r"***.\1.\2-**")
_WRITTEN_CNPJ = (r"\b\d{2}\.(\d{3})\.(\d{3})/(\d{4})-\d{2}\b", r"**.\1.\2/\3-**")


def is_document_field(name: str) -> bool:
    """True when a column name says it holds a CPF or CNPJ (see the module docstring)."""
    last = name.rsplit(".", 1)[-1]
    if name.endswith("document.identification") or last.lower() in _DOCUMENT_NAMES:
        return True
    return bool(_DOCUMENT_NAME.search(last)) and not _CODE_NAME.search(last)


def mask_documents(text: Any) -> Any:
    """Mask every value of an Arrow string array by the module's rule (nulls stay null)."""
    import pyarrow.compute as pc

    compact = pc.utf8_upper(_without_separators(text))
    cpf = pc.fill_null(pc.match_substring_regex(compact, _CPF), False)
    cnpj = pc.fill_null(pc.match_substring_regex(compact, _CNPJ), False)
    masked_cpf = _joined("***.", _part(compact, 3, 6), ".", _part(compact, 6, 9), "-**")
    masked_cnpj = _joined(
        "**.", _part(compact, 2, 5), ".", _part(compact, 5, 8), "/", _part(compact, 8, 12), "-**"
    )
    others = pc.invert(pc.or_(cpf, cnpj))
    hidden = _only_where(others, text, lambda t: pc.replace_substring_regex(t, r"[0-9A-Za-z]", "*"))
    return pc.if_else(cpf, masked_cpf, pc.if_else(cnpj, masked_cnpj, hidden))


def _without_separators(text: Any) -> Any:
    import pyarrow.compute as pc

    separated = pc.fill_null(pc.match_substring_regex(text, _SEPARATORS), False)
    return _only_where(
        separated, text, lambda t: pc.replace_substring_regex(t, _SEPARATORS, ""), keep=True
    )


def _part(text: Any, start: int, stop: int) -> Any:
    import pyarrow.compute as pc

    return pc.utf8_slice_codeunits(text, start, stop)


def _joined(*parts: Any) -> Any:
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*parts, "")


def _only_where(mask: Any, text: Any, rewrite: Any, *, keep: bool = False) -> Any:
    """`rewrite` applied to the values where `mask` is true; the rest kept (`keep`) or null.

    Regex rewriting is the slow part of masking, so it runs only on the values that need it.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    selected = pc.filter(text, mask)
    base = text if keep else pa.nulls(len(text), pa.string())
    if len(selected) == 0:
        return base
    return pc.replace_with_mask(base, mask, rewrite(selected))


def mask_pix_keys(text: Any) -> Any:
    """Mask the Pix keys that are a CPF or CNPJ; keep e-mail, phone and random keys."""
    import pyarrow.compute as pc

    shaped = pc.or_(
        pc.match_substring_regex(text, _CPF_SHAPED), pc.match_substring_regex(text, _CNPJ_SHAPED)
    )
    return pc.if_else(shaped, mask_documents(text), text)


def mask_embedded(text: Any) -> Any:
    """Mask CPFs and CNPJs written with punctuation inside free text (Arrow string array)."""
    import pyarrow.compute as pc

    for pattern, replacement in (_WRITTEN_CPF, _WRITTEN_CNPJ):
        found = pc.fill_null(pc.match_substring_regex(text, pattern), False)
        text = _only_where(
            found,
            text,
            lambda t, p=pattern, r=replacement: pc.replace_substring_regex(t, p, r),
            keep=True,
        )
    return text


def mask_json(body: Any, path: str = "") -> Any:
    """A copy of a JSON body with CPF/CNPJ masked by the same rules as `to_frame`'s columns.

    Document fields are masked whether the server sent text or a number, a `chave` when it
    is a CPF or CNPJ, and punctuated CPFs/CNPJs inside any other text.

    >>> mask_json({"devedor": {"cpf": "12345678909"}, "nota": "CPF 123.456.789-09"})
    {'devedor': {'cpf': '***.456.789-**'}, 'nota': 'CPF ***.456.789-**'}
    """
    if isinstance(body, dict):
        return {
            key: mask_json(value, f"{path}.{key}" if path else str(key))
            for key, value in body.items()
        }
    if isinstance(body, list):
        return [mask_json(item, path) for item in body]
    if isinstance(body, bool) or not isinstance(body, str | int):
        return body
    return _masked_leaf(path, body)


def _masked_leaf(path: str, value: str | int) -> Any:
    last = path.rsplit(".", 1)[-1]
    document = is_document_field(path)
    if not document and (
        isinstance(value, int) or (last != "chave" and not _MAYBE_WRITTEN.search(value))
    ):
        return value  # the common case, decided without Arrow
    import pyarrow as pa

    text = pa.array([str(value)], type=pa.string())
    if document:
        masked = mask_documents(text)
    else:
        masked = mask_pix_keys(text) if last == "chave" else mask_embedded(text)
    return masked[0].as_py()
