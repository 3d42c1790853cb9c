"""Consents v3: the permissions a customer grants a client, and their life cycle.

AWAITING_AUTHORISATION -> AUTHORISED (customer approves in the flow) or REJECTED (customer
denies; 60 minutes pass unauthorised; the client DELETEs it; its expiration passes). Only the
permissions the sandbox serves are kept (accounts, credit cards, resources); other valid OFB
permissions are dropped, as a bank drops products it does not offer.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from .._state import Clock

AWAITING, AUTHORISED, REJECTED = "AWAITING_AUTHORISATION", "AUTHORISED", "REJECTED"
AWAITING_LIMIT = 3600

# permission -> the scope (and API family) it belongs to
SERVED_PERMISSIONS = {
    "ACCOUNTS_READ": "accounts",
    "ACCOUNTS_BALANCES_READ": "accounts",
    "ACCOUNTS_TRANSACTIONS_READ": "accounts",
    "ACCOUNTS_OVERDRAFT_LIMITS_READ": "accounts",
    "CREDIT_CARDS_ACCOUNTS_READ": "credit-cards-accounts",
    "CREDIT_CARDS_ACCOUNTS_BILLS_READ": "credit-cards-accounts",
    "CREDIT_CARDS_ACCOUNTS_BILLS_TRANSACTIONS_READ": "credit-cards-accounts",
    "CREDIT_CARDS_ACCOUNTS_LIMITS_READ": "credit-cards-accounts",
    "CREDIT_CARDS_ACCOUNTS_TRANSACTIONS_READ": "credit-cards-accounts",
    "RESOURCES_READ": "resources",
}
GROUP_ROOTS = {"accounts": "ACCOUNTS_READ", "credit-cards-accounts": "CREDIT_CARDS_ACCOUNTS_READ"}
_OFB_PERMISSION = re.compile(r"^[A-Z][A-Z_]*_READ$")


def rfc3339(moment: dt.datetime) -> str:
    """`YYYY-MM-DDThh:mm:ssZ`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Consent:
    """One consent and its state."""

    consent_id: str
    client_id: str
    cpf: str
    cnpj: str | None
    permissions: list[str]
    created: dt.datetime
    expiration: dt.datetime | None
    status: str = AWAITING
    updated: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    rejection: dict[str, Any] | None = None

    def reject(self, by: str, reason: str, now: dt.datetime) -> None:
        """Move to REJECTED with `rejection{rejectedBy, reason.code}`."""
        self.status, self.updated = REJECTED, now
        self.rejection = {"rejectedBy": by, "reason": {"code": reason}}

    def authorise(self, now: dt.datetime) -> None:
        """Move to AUTHORISED."""
        self.status, self.updated = AUTHORISED, now

    def to_json(self) -> dict[str, Any]:
        """The `data` object of the consent responses."""
        data: dict[str, Any] = {
            "consentId": self.consent_id,
            "creationDateTime": rfc3339(self.created),
            "status": self.status,
            "statusUpdateDateTime": rfc3339(self.updated),
            "permissions": list(self.permissions),
        }
        if self.expiration is not None:
            data["expirationDateTime"] = rfc3339(self.expiration)
        if self.rejection is not None:
            data["rejection"] = self.rejection
        return data

    def scopes(self) -> set[str]:
        """The data scopes its permissions cover."""
        return {SERVED_PERMISSIONS[p] for p in self.permissions}


class ConsentStore:
    """Consents by id; statuses age (60-minute authorisation window, expiration) when read."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._consents: dict[str, Consent] = {}
        self.lock = threading.RLock()

    def create(self, client_id: str, cpf: str, cnpj: str | None, permissions: list[str],
               expiration: dt.datetime | None) -> Consent:  # fmt: skip
        """A new AWAITING_AUTHORISATION consent."""
        now = self._clock.utcnow()
        consent = Consent(
            f"urn:bradesco:{uuid.uuid4()}",
            client_id,
            cpf,
            cnpj,
            permissions,
            now,
            expiration,
            updated=now,
        )
        with self.lock:
            self._consents[consent.consent_id] = consent
        return consent

    def get(self, consent_id: str | None) -> Consent | None:
        """The consent with its status brought up to date, if it exists."""
        with self.lock:
            consent = self._consents.get(consent_id or "")
            if consent is not None:
                self._age(consent)
            return consent

    def _age(self, consent: Consent) -> None:
        now = self._clock.utcnow()
        if consent.status == AWAITING and (now - consent.created).total_seconds() > AWAITING_LIMIT:
            consent.reject("ASPSP", "CONSENT_EXPIRED", now)
        elif (
            consent.status == AUTHORISED
            and consent.expiration is not None
            and now > consent.expiration
        ):
            consent.reject("ASPSP", "CONSENT_MAX_DATE_REACHED", now)


def served_permissions(requested: list[str]) -> tuple[list[str], list[str]]:
    """(kept, invalid): permissions the sandbox serves, and strings that are no OFB permission."""
    invalid = [p for p in requested if not isinstance(p, str) or not _OFB_PERMISSION.match(p)]
    kept = list(dict.fromkeys(p for p in requested if p in SERVED_PERMISSIONS))
    return kept, invalid


def combination_problem(permissions: list[str]) -> str | None:
    """Why a permission set is incomplete (RESOURCES_READ, group roots), or None."""
    groups = {SERVED_PERMISSIONS[p] for p in permissions} - {"resources"}
    if not groups:
        return "no data permission the sandbox serves is left (accounts, credit cards)"
    if "RESOURCES_READ" not in permissions:
        return "every data group must be requested together with RESOURCES_READ"
    missing = [GROUP_ROOTS[g] for g in sorted(groups) if GROUP_ROOTS[g] not in permissions]
    if missing:
        return f"incomplete permission group: add {', '.join(missing)}"
    return None
