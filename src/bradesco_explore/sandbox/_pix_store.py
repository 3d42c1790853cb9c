"""The Pix family's data: cobs, cobvs, locations, received Pix with devolucoes, webhooks.

Holds state only; validation and HTTP live in `_pix.py`. Canned content comes from the
dataset: the received Pix of Bradesco's sandbox window (2024-10-02/03) and the cobs they paid.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import struct
import threading
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any

from ._dataset import Dataset

LOCATION_HOST = "qrpix.sandbox.invalid"
"""Host of payload locations: not served (`.invalid`), fixed so the JSON is deterministic."""


def crc16_ccitt(data: bytes) -> str:
    """CRC-16/CCITT-FALSE as 4 upper-case hex digits (the BR Code `6304` field)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def br_code(location: str, name: str, city: str) -> str:
    """A dynamic Pix BR Code (EMV "copia e cola") pointing at `location`, with its CRC."""
    account = _tlv("00", "br.gov.bcb.pix") + _tlv("25", location)
    payload = (
        _tlv("00", "01") + _tlv("01", "12") + _tlv("26", account) + _tlv("52", "0000")
        + _tlv("53", "986") + _tlv("58", "BR") + _tlv("59", name[:25]) + _tlv("60", city[:15])
        + _tlv("62", _tlv("05", "***")) + "6304"
    )  # fmt: skip
    return payload + crc16_ccitt(payload.encode())


def placeholder_png() -> str:
    """Base64 of a 1x1 white PNG: the sandbox does not draw QR images (the EMV is real)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(b"\x00\xff")) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def iso(moment: dt.datetime) -> str:
    """RFC 3339 UTC with milliseconds, as the Pix API writes `criacao`/`horario`."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class Charge:
    """A cob or cobv with its revision history."""

    kind: str  # "cob" | "cobv"
    revisions: list[dict[str, Any]]
    created: dt.datetime

    @property
    def current(self) -> dict[str, Any]:
        """The latest revision."""
        return self.revisions[-1]


@dataclass
class PixStore:
    """Thread-safe state of the Pix API."""

    data: Dataset
    charges: dict[str, Charge] = field(default_factory=dict)  # by txid
    locations: dict[int, dict[str, Any]] = field(default_factory=dict)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)  # by endToEndId
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)  # by chave
    lock: threading.RLock = field(default_factory=threading.RLock)
    _next_location: int = 1000

    def __post_init__(self) -> None:
        for receipt in self.data.pix_receipts:
            self.receipts[receipt["endToEndId"]] = copy.deepcopy(receipt) | {"devolucoes": []}
            if "txid" in receipt:
                self._canned_cob(receipt)

    def _canned_cob(self, receipt: dict[str, Any]) -> None:
        created = dt.datetime.fromisoformat(receipt["horario"].replace("Z", "+00:00"))
        created -= dt.timedelta(minutes=7)
        body = {
            "calendario": {"expiracao": 3600},
            "valor": {"original": receipt["valor"]},
            "chave": receipt["chave"],
            "solicitacaoPagador": "Pedido no sandbox",
        }
        cob = self.new_charge("cob", receipt["txid"], body, created)
        cob.current["status"] = "CONCLUIDA"
        cob.current["pix"] = [{k: receipt[k] for k in ("endToEndId", "txid", "valor", "horario")}]

    def new_location(self, kind: str, created: dt.datetime) -> dict[str, Any]:
        """A new payload location of type `kind` (cob or cobv)."""
        with self.lock:
            self._next_location += 1
            loc_id = self._next_location
            path = "cobv/" if kind == "cobv" else ""
            token = uuid.uuid5(uuid.NAMESPACE_OID, f"{self.data.seed}:{loc_id}").hex
            location = {
                "id": loc_id,
                "location": f"{LOCATION_HOST}/qr/v2/{path}{token}",
                "tipoCob": kind,
                "criacao": iso(created),
            }
            self.locations[loc_id] = location
            return location

    def new_charge(
        self, kind: str, txid: str, body: dict[str, Any], created: dt.datetime
    ) -> Charge:
        """Create a cob/cobv from a validated request body."""
        with self.lock:
            loc = self._take_location(body, kind, created)
            loc["txid"] = txid
            shown = {k: v for k, v in loc.items() if k != "txid"}
            record = {"calendario": {"criacao": iso(created), **body.get("calendario", {})},
                      "txid": txid, "revisao": 0, "loc": shown, "location": loc["location"],
                      "status": "ATIVA", **{k: v for k, v in body.items() if k not in ("calendario", "loc")}}  # fmt: skip
            if kind == "cobv":
                record["recebedor"] = self._beneficiary_json()
            bene = self.data.beneficiary
            record["pixCopiaECola"] = br_code(loc["location"], bene.name, bene.city)
            charge = Charge(kind, [record], created)
            self.charges[txid] = charge
            return charge

    def _take_location(
        self, body: dict[str, Any], kind: str, created: dt.datetime
    ) -> dict[str, Any]:
        loc_id = (body.get("loc") or {}).get("id")
        if loc_id is None:
            return self.new_location(kind, created)
        return self.locations[int(loc_id)]

    def revise(self, txid: str, changes: dict[str, Any]) -> dict[str, Any]:
        """A new revision of an existing charge with `changes` merged in."""
        with self.lock:
            charge = self.charges[txid]
            revision = copy.deepcopy(charge.current)
            for key, value in changes.items():
                if isinstance(value, dict) and isinstance(revision.get(key), dict):
                    revision[key] = {**revision[key], **value}
                else:
                    revision[key] = value
            revision["revisao"] = len(charge.revisions)
            charge.revisions.append(revision)
            return revision

    def _beneficiary_json(self) -> dict[str, str]:
        bene = self.data.beneficiary
        return {"logradouro": "CIDADE DE DEUS S/N", "cidade": bene.city, "uf": bene.state,
                "cep": bene.postal_code, "nome": bene.name, "cnpj": bene.cnpj,
                "nomeFantasia": "PGIT NET"}  # fmt: skip
