"""Finding the records in a response body, and naming their kind.

Each API family wraps its rows differently:

| envelope | records | kinds |
|---|---|---|
| Open Finance `{data, links, meta}` | `data` (a list, or one object) | `openfinance.*` by the fields of the first record |
| Pix lists `{parametros, cobs / cobsv / pix / loc / webhooks}` | that list | `pix.cob`, `pix.cobv`, `pix.pix`, `pix.loc`, `pix.webhook` |
| one Pix object (`txid` + `calendario`, `endToEndId`), or Bradesco's `{cobv: {...}, emv}` | the object | `pix.cob`, `pix.cobv`, `pix.pix` |
| boleto lists `{pagina, indMaisPagina, titulos}` | `titulos` | `boleto.listar` (settled), `boleto.pendentes` |
| boleto query `{status, titulo}`, the title unwrapped, or v1 `{STATUS, TITULO}` | the title | `boleto.consulta`, `boleto.consulta_v1` |
| flat boleto registration (`linhaDig10`..., v1 `linhaDigitavel`...) | the body | `boleto.registro`, `boleto.registro_v1` |
| saldo `{..., lstLancamentosSaldos}` | that list | `saldo` |
| extrato `{extratoUltimosLancamentos, extratoLancamentosFuturos, extratoPorPeriodo}` | every entry of every block, with its `bloco` | `extrato` (`extrato.periodo`: only the period block) |
| a list of records | the list | by the fields of the first record, else `records` |
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import DataError
from ._kinds import schema_for

__all__ = ["Found", "find_records", "is_envelope"]

Record = dict[str, Any]


@dataclass(frozen=True)
class Found:
    """The records of one page and the kind they were recognised (or declared) as."""

    family: str
    kind: str
    records: list[Record]


@dataclass(frozen=True)
class _Envelope:
    """How one family wraps its records: `find` returns them, or None if the page is not one."""

    expected: str
    find: Callable[[Record, str], Found | None]


_PIX_LISTS = {
    "cobs": "pix.cob",
    "cobsv": "pix.cobv",
    "pix": "pix.pix",
    "loc": "pix.loc",
    "webhooks": "pix.webhook",
}
_EXTRATO_KEYS = ("extratoUltimosLancamentos", "extratoLancamentosFuturos", "extratoPorPeriodo")
_ERROR_KEYS = frozenset(
    {"errors", "error", "violacoes", "codigo", "code", "cdErro", "errosValidacao", "detail"}
)


def find_records(body: Any, *, kind: str | None, where: str) -> Found:
    """The records in one page (`where` names it in errors); `kind` forces the schema."""
    if kind is not None:
        schema_for(kind)  # an unknown kind is the caller's mistake: say so first
        return _find_declared(body, kind, where)
    if isinstance(body, list):
        records = _records(body, where)
        detected = record_kind(records)
        return Found(detected.split(".")[0], detected, records)
    if not isinstance(body, dict):
        raise DataError(
            f"{where} is a {type(body).__name__}, not a JSON object or list; nothing to tabulate.",
            field="body",
        )
    for envelope in _ENVELOPES:
        found = envelope.find(body, where)
        if found is not None:
            return found
    raise _unrecognised(body, where)


def is_envelope(body: Any) -> bool:
    """True when `body` is a page whose records `find_records` can locate without a kind."""
    if not isinstance(body, dict):
        return False
    try:
        return any(envelope.find(body, "page") is not None for envelope in _ENVELOPES)
    except DataError:
        return True  # an envelope with a malformed inside: tabulating it will say what is wrong


def record_kind(records: Sequence[Record]) -> str:
    """The kind a bare list of records looks like, from the fields of its first record."""
    if not records:
        return "records"
    first = records[0]
    for detect in (_open_finance_kind, _pix_kind, _bradesco_kind):
        kind = detect(first)
        if kind is not None:
            return kind
    return "records"


def _open_finance_kind(record: Record) -> str | None:
    markers = (
        ("transactionAmount", "openfinance.transactions"),
        ("availableAmount", "openfinance.balances"),
        ("consentId", "openfinance.consents"),
        ("creditCardAccountId", "openfinance.credit_card_accounts"),
        ("resourceId", "openfinance.resources"),
        ("accountId", "openfinance.accounts"),
    )
    return next((kind for key, kind in markers if key in record), None)


def _pix_kind(record: Record) -> str | None:
    calendario = record.get("calendario")
    if "txid" in record and isinstance(calendario, dict):
        return "pix.cobv" if "dataDeVencimento" in calendario else "pix.cob"
    if "endToEndId" in record:
        return "pix.pix"
    return None


def _bradesco_kind(record: Record) -> str | None:
    markers = (
        (("valorPagamento", "dataPagamento"), "boleto.listar"),
        (("valTitulo", "dataVencto"), "boleto.pendentes"),
        (("linhaDig10", "codBarras10"), "boleto.registro"),
        (("linhaDigitavel", "nuTituloGerado"), "boleto.registro_v1"),
        (("nomeProduto", "sinalSaldo"), "saldo"),
        (("dataLancamento", "descritivoLancamentoCompleto"), "extrato"),
    )
    return next((kind for keys, kind in markers if any(k in record for k in keys)), None)


# -- envelopes, tried in this order when no kind is given -------------------------------------


def _open_finance(body: Record, where: str) -> Found | None:
    if "data" not in body or not ("links" in body or "meta" in body):
        return None
    data = body["data"]
    if isinstance(data, dict):
        records = [data]
    elif isinstance(data, list):
        records = _records(data, f"{where} data")
    else:
        raise DataError(
            f"{where}: Open Finance 'data' is a {type(data).__name__}; expected a list of "
            "records or one object.",
            field="data",
        )
    kind = _open_finance_kind(records[0]) if records else None
    return Found("openfinance", kind or "openfinance", records)


def _pix_list(body: Record, where: str) -> Found | None:
    for key, default in _PIX_LISTS.items():
        if isinstance(body.get(key), list):
            records = _records(body[key], f"{where} {key}")
            kind = (_pix_kind(records[0]) if records else None) or default
            return Found("pix", kind, records)
    return None


def _pix_object(body: Record, where: str) -> Found | None:
    for key in ("cobv", "cob"):
        if isinstance(body.get(key), dict) and "txid" in body[key]:
            record = dict(body[key])
            if isinstance(body.get("emv"), str):
                record["emv"] = body["emv"]
            return Found("pix", _pix_kind(record) or f"pix.{key}", [record])
    kind = _pix_kind(body)
    return Found("pix", kind, [body]) if kind is not None else None


def _boleto_list(body: Record, where: str) -> Found | None:
    if not isinstance(body.get("titulos"), list):
        return None
    records = _records(body["titulos"], f"{where} titulos")
    kind = (_bradesco_kind(records[0]) if records else None) or "boleto.listar"
    return Found("boleto.titulos", kind, records)


def _boleto_query(body: Record, where: str) -> Found | None:
    if isinstance(body.get("titulo"), dict):
        return Found("boleto.consulta", "boleto.consulta", [body["titulo"]])
    if isinstance(body.get("TITULO"), dict):
        return Found("boleto.consulta_v1", "boleto.consulta_v1", [body["TITULO"]])
    if {"linhaDig", "valMoeda", "codStatus"} <= body.keys():  # the title's fields, not wrapped
        return Found("boleto.consulta", "boleto.consulta", [body])
    return None


def _boleto_registration(body: Record, where: str) -> Found | None:
    kind = _bradesco_kind(body)
    if kind in ("boleto.registro", "boleto.registro_v1"):
        return Found(kind, kind, [body])
    return None


def _saldo(body: Record, where: str) -> Found | None:
    if "lstLancamentosSaldos" not in body:
        return None
    entries = body["lstLancamentosSaldos"]
    return Found("saldo", "saldo", _records(entries, f"{where} lstLancamentosSaldos"))


def _extrato(body: Record, where: str) -> Found | None:
    if not any(key in body for key in _EXTRATO_KEYS):
        return None
    records = [
        {"bloco": block, **entry}
        for key in _EXTRATO_KEYS
        for block, entry in _extrato_entries(body.get(key), key, where)
    ]
    return Found("extrato", "extrato", records)


def _extrato_period(body: Record, where: str) -> Found | None:
    if "extratoPorPeriodo" not in body:
        return None
    records = [
        {"bloco": block, **entry}
        for block, entry in _extrato_entries(body["extratoPorPeriodo"], "extratoPorPeriodo", where)
    ]
    return Found("extrato", "extrato.periodo", records)


def _extrato_entries(section: Any, key: str, where: str) -> list[tuple[str, Record]]:
    """(block, entry) pairs of one extrato section; sections and lists may be objects or lists."""
    entries: list[tuple[str, Record]] = []
    for i, part in enumerate(_one_or_many(section, f"{where} {key}")):
        place = f"{where} {key}[{i}]"
        if key == "extratoPorPeriodo":
            lines = _records(part.get("lstLancamentoMensal") or [], f"{place}.lstLancamentoMensal")
            entries.extend(("Por Periodo", line) for line in lines)
            continue
        for group in _one_or_many(part.get("listaLancamentos"), f"{place}.listaLancamentos"):
            for header, lines in group.items():
                block = _block_name(header)
                listed = _records(lines or [], f"{place}.listaLancamentos[{header!r}]")
                entries.extend((block, line) for line in listed)
    return entries


def _one_or_many(value: Any, where: str) -> list[Record]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return _records(value, where)


def _block_name(header: str) -> str:
    """`Lancamentos dia`, `Lançamentos Futuros` -> `Lancamentos Dia`, `Lancamentos Futuros`."""
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return " ".join(word.capitalize() for word in plain.split())


def _records(value: Any, where: str) -> list[Record]:
    if not isinstance(value, list):
        raise DataError(
            f"{where} is a {type(value).__name__}; expected a list of records.", field=where
        )
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise DataError(
                f"{where}[{i}] is a {type(item).__name__}; expected a record (a JSON object).",
                field=where,
            )
    return value


_OPEN_FINANCE = _Envelope("an Open Finance envelope {data, links, meta}", _open_finance)
_PIX_LIST = _Envelope("a Pix list {cobs | cobsv | pix | loc | webhooks}", _pix_list)
_PIX_OBJECT = _Envelope("a Pix object (txid and calendario, or endToEndId)", _pix_object)
_BOLETO_LIST = _Envelope("a boleto list {pagina, indMaisPagina, titulos}", _boleto_list)
_BOLETO_QUERY = _Envelope("a boleto query {status, titulo}", _boleto_query)
_BOLETO_REGISTRATION = _Envelope(
    "a flat boleto registration (linhaDig10, ...)", _boleto_registration
)
_SALDO = _Envelope("a saldo response {lstLancamentosSaldos}", _saldo)
_EXTRATO = _Envelope("an extrato response {extratoPorPeriodo, ...}", _extrato)
_EXTRATO_PERIOD = _Envelope("an extrato response with extratoPorPeriodo", _extrato_period)

_ENVELOPES = (
    _OPEN_FINANCE,
    _PIX_LIST,
    _PIX_OBJECT,
    _BOLETO_LIST,
    _BOLETO_QUERY,
    _BOLETO_REGISTRATION,
    _SALDO,
    _EXTRATO,
)

_BARE_OBJECT_KINDS = ("pix.", "boleto.consulta", "boleto.registro", "records")


def _envelopes_for(kind: str) -> tuple[_Envelope, ...]:
    """The envelopes a page of `kind` may come in."""
    if kind.startswith("openfinance"):
        return (_OPEN_FINANCE,)
    if kind.startswith("pix."):
        return (_PIX_LIST, _PIX_OBJECT)
    by_kind = {
        "boleto.listar": (_BOLETO_LIST,),
        "boleto.pendentes": (_BOLETO_LIST,),
        "boleto.consulta": (_BOLETO_QUERY,),
        "boleto.consulta_v1": (_BOLETO_QUERY,),
        "boleto.registro": (_BOLETO_REGISTRATION,),
        "boleto.registro_v1": (_BOLETO_REGISTRATION,),
        "saldo": (_SALDO,),
        "extrato": (_EXTRATO,),
        "extrato.periodo": (_EXTRATO_PERIOD,),
    }
    return by_kind.get(kind, ())


def _find_declared(body: Any, kind: str, where: str) -> Found:
    """Records of a page whose kind the caller named: its envelope, a list, or one object."""
    family = kind.split(".", maxsplit=1)[0]
    if isinstance(body, list):
        return Found(family, kind, _records(body, where))
    if not isinstance(body, dict):
        raise DataError(
            f"{where} is a {type(body).__name__}; expected a JSON object holding {kind} records.",
            field="body",
        )
    envelopes = _envelopes_for(kind)
    for envelope in envelopes:
        found = envelope.find(body, where)
        if found is not None:
            return Found(found.family, kind, found.records)
    if kind.startswith(_BARE_OBJECT_KINDS):
        return Found(family, kind, [body])
    expected = " or ".join(e.expected for e in envelopes)
    raise DataError(
        f"{where} is not {expected}, as kind={kind!r} needs: its keys are {_keys(body)}.",
        field="body",
    )


def _unrecognised(body: Record, where: str) -> DataError:
    if _ERROR_KEYS & set(body):
        return DataError(
            f"{where} looks like an error response (keys {_keys(body)}), not data. "
            "Check the HTTP status and the error it carries (Response.raise_for_status()).",
            field="body",
        )
    expected = "; ".join(e.expected for e in _ENVELOPES)
    return DataError(
        f"Could not find records in {where}: its keys {_keys(body)} match no known envelope. "
        f"Expected one of: {expected}; or a list of records. Pass kind=... to name the table "
        "kind (bradesco_explore.tables.KINDS lists them).",
        field="body",
    )


def _keys(body: Record) -> str:
    keys = sorted(str(k) for k in body)
    shown = ", ".join(repr(k[:40]) for k in keys[:12])
    return f"[{shown}{', …' if len(keys) > 12 else ''}]"
