"""Consents v3 endpoints: `POST /open-banking/consents/v3/consents`, `GET|DELETE .../{consentId}`.

They need a `client_credentials` token with scope `consents` from the same client. POST
answers 201 with AWAITING_AUTHORISATION; DELETE answers 204 and revokes the consent's tokens
(422 CONSENTIMENTO_EM_STATUS_REJEITADO if it was already REJECTED). Validation follows the
spec: `loggedUser.document` is an 11-digit CPF (`rel` "CPF"), each data group comes with
RESOURCES_READ (422 COMBINACAO_PERMISSOES_INCORRETA), `expirationDateTime` (optional: omitted
means indefinite) lies in the future and within a year (422 DATA_EXPIRACAO_INVALIDA).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .._server import Reply, Request, Router, json_reply
from ._consents import REJECTED, Consent, combination_problem, served_permissions
from ._envelope import client_token, envelope, ofb_route, refused
from ._provider import Provider

BASE = "/open-banking/consents/v3/consents"
_CPF = re.compile(r"^\d{11}$")
_CNPJ = re.compile(r"^[0-9A-Z]{14}$")
MAX_EXPIRATION_DAYS = 366


def register(mtls: Router, provider: Provider) -> None:
    """Add the consent endpoints to the mTLS router."""
    api = ConsentAPI(provider)
    mtls.add("POST", BASE, ofb_route(api.create))
    mtls.add("GET", BASE + "/{consentId}", ofb_route(api.read))
    mtls.add("DELETE", BASE + "/{consentId}", ofb_route(api.delete))


class ConsentAPI:
    """Consent handlers."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider

    def create(self, request: Request) -> Reply:
        """Create a consent (201, AWAITING_AUTHORISATION)."""
        token = client_token(self.provider, request, "consents")
        data = _data(request)
        cpf, cnpj = _documents(data)
        permissions = _permissions(data.get("permissions"))
        expiration = self._expiration(data.get("expirationDateTime"))
        consent = self.provider.consents.create(token.client_id, cpf, cnpj, permissions, expiration)
        reply = envelope(self.provider, request, consent.to_json(), status=201,
                         links={"self": f"{self.provider.endpoints.mtls}{BASE}/{consent.consent_id}"})  # fmt: skip
        return reply

    def read(self, request: Request) -> Reply:
        """The consent and its current status."""
        consent = self._owned(request)
        return envelope(self.provider, request, consent.to_json())

    def delete(self, request: Request) -> Reply:
        """Revoke (AUTHORISED) or cancel (AWAITING) a consent: 204."""
        consent = self._owned(request)
        now = self.provider.context.clock.utcnow()
        with self.provider.consents.lock:
            if consent.status == REJECTED:
                raise refused(
                    422,
                    "CONSENTIMENTO_EM_STATUS_REJEITADO",
                    f"consent {consent.consent_id} is already REJECTED.",
                )
            reason = (
                "CUSTOMER_MANUALLY_REVOKED"
                if consent.status == "AUTHORISED"
                else "CUSTOMER_MANUALLY_REJECTED"
            )
            consent.reject("USER", reason, now)
        self.provider.revoke_consent_grants(consent.consent_id)
        return json_reply(204, None)

    def _owned(self, request: Request) -> Consent:
        token = client_token(self.provider, request, "consents")
        consent = self.provider.consents.get(request.params["consentId"])
        if consent is None or consent.client_id != token.client_id:
            raise refused(
                404,
                "NOT_FOUND",
                f"consent {request.params['consentId'][:80]} not found for this client.",
            )
        return consent

    def _expiration(self, value: Any) -> dt.datetime | None:
        if value is None:
            return None
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise refused(
                422,
                "DATA_EXPIRACAO_INVALIDA",
                "expirationDateTime is not RFC 3339 (YYYY-MM-DDThh:mm:ssZ).",
            ) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        now = self.provider.context.clock.utcnow()
        if moment <= now or moment > now + dt.timedelta(days=MAX_EXPIRATION_DAYS):
            raise refused(
                422,
                "DATA_EXPIRACAO_INVALIDA",
                "expirationDateTime must be in the future and within a year.",
            )
        return moment


def _data(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise refused(400, "PARAMETRO_INVALIDO", "the body is not JSON.") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise refused(400, "PARAMETRO_NAO_INFORMADO", 'the body must be {"data": {...}}.')
    return data


def _documents(data: dict[str, Any]) -> tuple[str, str | None]:
    logged = (data.get("loggedUser") or {}).get("document") or {}
    if logged.get("rel") != "CPF" or not _CPF.match(str(logged.get("identification", ""))):
        raise refused(
            400,
            "PARAMETRO_INVALIDO",
            'data.loggedUser.document must be {identification: 11-digit CPF, rel: "CPF"}.',
        )
    business = data.get("businessEntity")
    if business is None:
        return str(logged["identification"]), None
    doc = (business or {}).get("document") or {}
    if doc.get("rel") != "CNPJ" or not _CNPJ.match(str(doc.get("identification", ""))):
        raise refused(
            400,
            "PARAMETRO_INVALIDO",
            'data.businessEntity.document must be {identification: 14-character CNPJ, rel: "CNPJ"}.',
        )
    return str(logged["identification"]), str(doc["identification"])


def _permissions(requested: Any) -> list[str]:
    if not isinstance(requested, list) or not requested:
        raise refused(400, "PARAMETRO_NAO_INFORMADO", "data.permissions must be a non-empty list.")
    kept, invalid = served_permissions(requested)
    if invalid:
        raise refused(
            400,
            "PARAMETRO_INVALIDO",
            f"unknown permission(s): {', '.join(map(str, invalid))[:300]}.",
        )
    problem = combination_problem(kept)
    if problem is not None:
        code = (
            "SEM_PERMISSOES_FUNCIONAIS_RESTANTES"
            if problem.startswith("no data")
            else "COMBINACAO_PERMISSOES_INCORRETA"
        )
        raise refused(422, code, problem + ".")
    return kept
