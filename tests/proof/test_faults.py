"""Faults injected by the sandbox: each one recovers (and we count how) or fails clearly.

Covered: 429 and 503 with `Retry-After`, 529, dropped connections, timeouts (sandbox latency
above the client's read timeout), token expiry between pages, JWKS rotation in the middle of
an authorization, and clock skew of two minutes either way. The rule checked throughout: a
request that creates something (a Pix charge by POST, a boleto registration) is never sent a
second time because of a retry - the sandbox's own counters say how often it arrived - and the
idempotent `PUT /v2/cob/{txid}` is the safe way to retry a charge.

Retry waits go through the session's `sleep`, which the tests record instead of sleeping, so
the waits the client chose (the server's `Retry-After`, or its own backoff) are asserted
without timing anything.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import pytest

import bradesco_explore as bx
from bradesco_explore.apis import boletos, openfinance, pix
from bradesco_explore.auth import Client
from bradesco_explore.errors import (
    ConnectionFailedError,
    HTTPStatusError,
    OAuthError,
    RequestTimeoutError,
    ResponseValidationError,
)
from bradesco_explore.sandbox import Sandbox

from .conftest import attempts, authorize_accounts, client_for, wait_until

UTC = dt.UTC
COB = "/v2/cob"
GERAR_BOLETO = "/boleto-hibrido/cobranca-registro/v1/gerarBoleto"
LEGACY_REGISTRATION = "/v1/boleto-hibrido/registrar-boleto"
SHORT_READ = (5.0, 0.4)  # the read timeout the latency fault (1 s) overruns
LATENCY = 1.0


# -- helpers ----------------------------------------------------------------------------------
def window() -> dict[str, str]:
    """A charge listing window around now (the sandbox clock may be skewed by minutes)."""
    now = dt.datetime.now(UTC)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "inicio": (now - dt.timedelta(days=1)).strftime(fmt),
        "fim": (now + dt.timedelta(days=1)).strftime(fmt),
    }


def charges_with_message(client: Client, message: str) -> list[dict[str, Any]]:
    """Every charge on the sandbox whose payer message is `message` (one unique per test)."""
    pages = bx.PixPages(client, COB, window(), page_size=1000, progress=False)
    return [
        c for page in pages for c in page.json()["cobs"] if c.get("solicitacaoPagador") == message
    ]


def calls(sb: Sandbox, route: str) -> int:
    """How many requests the sandbox routed to `route` ("METHOD /template")."""
    return sb.stats.calls[route]


def outcomes(client: Client, path: str) -> list[object]:
    """Status (or failure name) of every attempt at `path`, oldest first."""
    return [e.status if e.status is not None else e.outcome for e in attempts(client, path)]


def unique_message() -> str:
    return f"proof {uuid.uuid4().hex[:12]}"


def hybrid_layout(sb: Sandbox) -> dict[str, Any]:
    today = dt.date.today()
    return boletos.hybrid_boleto(
        beneficiary_cnpj=sb.beneficiary.cnpj, negotiation=sb.beneficiary.negotiation,
        amount="150.75", due=today + dt.timedelta(days=20), issued=today,
        payer_name="FULANO DE TAL", payer_document=sb.customer.cpf,
    )  # fmt: skip


@pytest.fixture
def waits() -> list[float]:
    """The waits the session asked for between attempts (recorded, not slept)."""
    return []


# -- 429 / 503 with Retry-After -----------------------------------------------------------------
def test_429_with_retry_after_waits_as_told_then_succeeds(sb: Sandbox, waits: list[float]) -> None:
    with client_for(sb, "pix", sleep=waits.append) as client:
        client.token()
        sb.faults.status_429, sb.faults.retry_after, sb.faults.only = 2, 1.5, COB
        response = client.get(COB, params=window())
    assert response.ok and response.attempts == 3
    assert outcomes(client, COB) == [429, 429, 200], "two retries"
    assert waits == [1.5, 1.5], "the server's Retry-After, not the client's own backoff"
    assert calls(sb, "GET /v2/cob") == 1, "the refused attempts never reached the handler"


def test_503_with_retry_after_resends_a_post_once_and_creates_one_charge(
    sb: Sandbox, waits: list[float]
) -> None:
    message = unique_message()
    with client_for(sb, "pix", sleep=waits.append) as client:
        client.token(["cob.write"])
        sb.faults.status_503, sb.faults.retry_after, sb.faults.only = 1, 2, COB
        created = pix.create_charge(
            client, amount="12.34", key=sb.beneficiary.pix_key, message=message
        )
        assert created.ok and created.attempts == 2
        assert waits == [2.0]
        assert outcomes(client, COB) == [503, 200]
        # 503 + Retry-After means "not processed": the POST was safe to resend, and was
        # processed exactly once.
        assert calls(sb, "POST /v2/cob") == 1
        assert len(charges_with_message(client, message)) == 1


def test_a_retry_after_longer_than_max_wait_is_not_waited_for(
    sb: Sandbox, waits: list[float]
) -> None:
    with client_for(sb, "pix", sleep=waits.append) as client:
        client.token()
        sb.faults.status_429, sb.faults.retry_after, sb.faults.only = 1, 120, COB
        with pytest.raises(HTTPStatusError) as info:
            client.get(COB, params=window())
    assert info.value.status == 429 and info.value.retry_after == 120
    assert "retry after 120 s" in str(info.value)
    assert waits == [] and outcomes(client, COB) == [429]


# -- 529 ------------------------------------------------------------------------------------------
def test_529_on_a_read_is_retried(sb: Sandbox, waits: list[float]) -> None:
    with client_for(sb, "pix", sleep=waits.append) as client:
        client.token()
        sb.faults.status_529, sb.faults.only = 1, COB
        response = client.get(COB, params=window())
    assert response.ok and outcomes(client, COB) == [529, 200]
    assert len(waits) == 1


def test_529_that_persists_fails_clearly_after_three_attempts(
    sb: Sandbox, waits: list[float]
) -> None:
    with client_for(sb, "pix", sleep=waits.append) as client:
        client.token()
        sb.faults.status_529, sb.faults.only = 5, COB
        with pytest.raises(HTTPStatusError) as info:
            client.get(COB, params=window())
    assert info.value.status == 529 and "overloaded" in str(info.value)
    assert info.value.errors, "the Pix problem envelope was parsed"
    assert outcomes(client, COB) == [529, 529, 529], "two retries, then the error"
    assert calls(sb, "GET /v2/cob") == 0


def test_529_on_a_post_is_not_retried(sb: Sandbox, waits: list[float]) -> None:
    message = unique_message()
    with client_for(sb, "pix", sleep=waits.append) as client:
        client.token(["cob.write"])
        sb.faults.status_529, sb.faults.only = 1, COB
        with pytest.raises(HTTPStatusError) as info:
            pix.create_charge(client, amount="5.00", key=sb.beneficiary.pix_key, message=message)
        assert info.value.status == 529
        assert outcomes(client, COB) == [529] and waits == []
        assert calls(sb, "POST /v2/cob") == 0
        assert charges_with_message(client, message) == []


# -- dropped connections -----------------------------------------------------------------------------
def test_a_dropped_read_is_retried(sb: Sandbox, waits: list[float]) -> None:
    with client_for(sb, "pix", sleep=waits.append) as client:
        client.token()
        sb.faults.drop, sb.faults.only = 1, COB
        response = client.get(COB, params=window())
    assert response.ok and outcomes(client, COB) == ["ConnectionError", 200]
    assert calls(sb, "GET /v2/cob") == 1


def test_a_dropped_post_is_not_resent(sb: Sandbox, waits: list[float]) -> None:
    message = unique_message()
    with client_for(sb, "pix", sleep=waits.append) as client:
        client.token(["cob.write"])
        sb.faults.drop, sb.faults.only = 1, COB
        with pytest.raises(ConnectionFailedError) as info:
            pix.create_charge(client, amount="7.00", key=sb.beneficiary.pix_key, message=message)
        assert "could not connect" in str(info.value) and info.value.url is not None
        assert outcomes(client, COB) == ["ConnectionError"], (
            "the client cannot know it was not processed"
        )
        assert calls(sb, "POST /v2/cob") == 0
        assert charges_with_message(client, message) == []


def test_a_dropped_put_with_txid_is_retried_and_creates_one_charge(
    sb: Sandbox, waits: list[float]
) -> None:
    txid, message = pix.new_txid(), unique_message()
    with client_for(sb, "pix", sleep=waits.append) as client:
        client.token(["cob.write"])
        sb.faults.drop, sb.faults.only = 1, COB
        created = pix.create_charge(
            client, txid=txid, amount="8.00", key=sb.beneficiary.pix_key, message=message
        )
        assert created.status_code == 201 and created.json()["revisao"] == 0
        assert outcomes(client, f"/v2/cob/{txid}") == ["ConnectionError", 201]
        assert [c["txid"] for c in charges_with_message(client, message)] == [txid]


def test_a_dropped_boleto_registration_is_not_resent(sb: Sandbox, waits: list[float]) -> None:
    with client_for(sb, "portal", sleep=waits.append) as client:
        client.token()
        sb.faults.drop, sb.faults.only = 1, GERAR_BOLETO
        with pytest.raises(ConnectionFailedError):
            boletos.register(client, hybrid_layout(sb))
    assert outcomes(client, GERAR_BOLETO) == ["ConnectionError"]
    assert calls(sb, f"POST {GERAR_BOLETO}") == 0


def test_a_boleto_registration_refused_with_503_is_registered_once(
    sb: Sandbox, waits: list[float]
) -> None:
    with client_for(sb, "portal", sleep=waits.append) as client:
        client.token()
        sb.faults.status_503, sb.faults.only = 1, GERAR_BOLETO
        registered = boletos.register(client, hybrid_layout(sb))
    assert registered.ok and registered.json()["ctitloCobrCdent"]
    assert outcomes(client, GERAR_BOLETO) == [503, 200]
    assert calls(sb, f"POST {GERAR_BOLETO}") == 1


def test_a_legacy_registration_retried_after_429_is_signed_afresh(
    sb: Sandbox, waits: list[float]
) -> None:
    """X-Brad nonces are one-time values: the retry carries a new signature and is accepted."""
    with client_for(sb, "legacy", sleep=waits.append) as client:
        client.token()
        sb.faults.status_429, sb.faults.only = 1, LEGACY_REGISTRATION
        registered = boletos.register(client, hybrid_layout(sb))
    assert registered.ok
    assert outcomes(client, LEGACY_REGISTRATION) == [429, 200]
    assert calls(sb, f"POST {LEGACY_REGISTRATION}") == 1


# -- timeouts (latency above the read timeout) -------------------------------------------------------
def test_reads_that_time_out_are_retried_then_fail_clearly(sb: Sandbox, waits: list[float]) -> None:
    with client_for(sb, "pix", timeout=SHORT_READ, sleep=waits.append) as client:
        client.token()
        sb.faults.latency = LATENCY
        with pytest.raises(RequestTimeoutError) as info:
            client.get(COB, params=window())
    assert "timed out" in str(info.value) and "raise the timeout" in str(info.value)
    assert outcomes(client, COB) == ["ReadTimeout"] * 3, "two retries"
    assert waits == [0.25, 0.5], "exponential backoff"


def test_a_post_that_times_out_is_not_resent_and_the_charge_exists_once(
    sb: Sandbox, waits: list[float]
) -> None:
    """The server got the POST and created the charge; the client only lost the answer."""
    message = unique_message()
    with client_for(sb, "pix", timeout=SHORT_READ, sleep=waits.append) as client:
        client.token(["cob.write"])
        sb.faults.latency = LATENCY
        with pytest.raises(RequestTimeoutError):
            pix.create_charge(client, amount="9.99", key=sb.beneficiary.pix_key, message=message)
        assert outcomes(client, COB) == ["ReadTimeout"] and waits == []
        assert wait_until(lambda: calls(sb, "POST /v2/cob") == 1)
        sb.faults.clear()
        assert len(charges_with_message(client, message)) == 1


def test_a_put_with_txid_that_times_out_is_retried_safely(sb: Sandbox) -> None:
    """Both PUTs reach the server (the first one late); the txid makes them one charge."""
    txid, message = pix.new_txid(), unique_message()

    def end_the_latency(seconds: float) -> None:
        sb.faults.clear()

    with client_for(sb, "pix", timeout=SHORT_READ, sleep=end_the_latency) as client:
        client.token(["cob.write"])
        sb.faults.latency = LATENCY
        created = pix.create_charge(
            client, txid=txid, amount="10.00", key=sb.beneficiary.pix_key, message=message
        )
        assert created.ok and created.attempts == 2
        assert outcomes(client, f"/v2/cob/{txid}") == ["ReadTimeout", created.status_code]
        assert wait_until(lambda: calls(sb, "PUT /v2/cob/{txid}") == 2)
        charge = pix.get_charge(client, txid).json()
        assert charge["revisao"] == 1, "the late first PUT revised the charge with the same body"
        assert charge["valor"]["original"] == "10.00"
        assert [c["txid"] for c in charges_with_message(client, message)] == [txid]


def test_a_refund_whose_answer_was_lost_is_read_back_not_made_twice(sb: Sandbox) -> None:
    """The first PUT lands late (after the client gave up); the resend is refused for its id."""
    refund_id = "D" + pix.new_txid()[:20]
    refund_route = "PUT /v2/pix/{e2eid}/devolucao/{id}"

    def let_the_first_land(seconds: float) -> None:
        sb.faults.clear()
        assert wait_until(lambda: calls(sb, refund_route) == 1)
        time.sleep(0.3)  # its handler runs in microseconds once routed

    with client_for(sb, "pix", timeout=SHORT_READ, sleep=let_the_first_land) as client:
        start, end = dt.datetime(2024, 10, 1, tzinfo=UTC), dt.datetime(2024, 10, 5, tzinfo=UTC)
        e2e = pix.list_received(client, start, end).json()["pix"][0]["endToEndId"]
        before = len(pix.get_received(client, e2e).json().get("devolucoes", []))
        client.token(["pix.write"])  # the latency fault slows every request, token ones too
        sb.faults.latency = LATENCY
        refund = pix.refund(client, e2e, refund_id, amount="0.01")
        assert refund.ok and refund.json()["id"] == refund_id and refund.json()["valor"] == "0.01"
        assert outcomes(client, f"/devolucao/{refund_id}") == ["ReadTimeout", 400, 200]
        refunds = pix.get_received(client, e2e).json()["devolucoes"]
    assert len(refunds) == before + 1, "refunded once"
    assert calls(sb, refund_route) == 2 and calls(sb, "GET /v2/pix/{e2eid}/devolucao/{id}") == 1


def test_a_refund_id_used_before_is_still_an_error_when_nothing_was_resent(sb: Sandbox) -> None:
    refund_id = "D" + pix.new_txid()[:20]
    with client_for(sb, "pix") as client:
        start, end = dt.datetime(2024, 10, 1, tzinfo=UTC), dt.datetime(2024, 10, 5, tzinfo=UTC)
        e2e = pix.list_received(client, start, end).json()["pix"][0]["endToEndId"]
        pix.refund(client, e2e, refund_id, amount="0.01")
        with pytest.raises(HTTPStatusError, match="400"):
            pix.refund(client, e2e, refund_id, amount="0.01")


# -- token expiry between pages ---------------------------------------------------------------------------
def test_user_token_expiring_between_open_finance_pages_is_refreshed_once(sb: Sandbox) -> None:
    with client_for(sb, "openfinance") as client:
        authorize_accounts(sb, client)
        account = openfinance.accounts(client).json()["data"][0]["accountId"]
        sb.reset_stats()
        path = f"{openfinance.ACCOUNTS}/{account}/transactions"
        pages = bx.OpenFinancePages(client, path, page_size=50, progress=False)
        walk = iter(pages)
        next(walk), next(walk)
        assert sb.expire_tokens() >= 1
        for _ in walk:
            pass
        frame = pages.to_frame()
    assert pages.complete and len(pages.pages) == 6 and len(frame) == 300
    assert client.stats["reactive_refreshes"] == 1
    assert sb.stats.token_requests == {("openfinance", "refresh_token"): 1}
    route = "GET /open-banking/accounts/v2/accounts/{accountId}/transactions"
    assert calls(sb, route) == len(pages.pages) + 1, "only the refused page was asked twice"


def test_client_credentials_token_expiring_between_pix_pages_is_fetched_again(
    sb: Sandbox,
) -> None:
    with client_for(sb, "pix") as client:
        for _ in range(3):
            pix.create_charge(client, amount="1.00", key=sb.beneficiary.pix_key)
        client.token()
        sb.reset_stats()
        pages = bx.PixPages(client, COB, window(), page_size=1, progress=False)
        walk = iter(pages)
        next(walk)
        sb.expire_tokens()
        remaining = sum(1 for _ in walk)
    assert remaining >= 2 and pages.complete
    assert client.stats["reactive_refreshes"] == 1
    assert sb.stats.token_requests == {("pix", "client_credentials"): 1}


# -- JWKS rotation mid-flow -----------------------------------------------------------------------------
def test_rotation_between_redirect_and_finish_with_cached_keys_recovers(sb: Sandbox) -> None:
    """The front-channel ID token verifies with the cached key; the token endpoint's ID token
    names the new kid, which costs exactly one JWKS refetch."""
    with client_for(sb, "openfinance") as client:
        authorize_accounts(sb, client)
        assert client.stats["jwks_requests"] == 1
        token = authorize_accounts(sb, client, before_finish=sb.rotate_jwks)
    assert token.id_token_claims and token.id_token_claims["sub"] == sb.customer.subject
    assert client.stats["jwks_requests"] == 2


def test_rotation_before_the_first_key_fetch_fails_before_the_code_is_redeemed(
    sb: Sandbox,
) -> None:
    with client_for(sb, "openfinance") as client:
        with pytest.raises(ResponseValidationError) as info:
            authorize_accounts(sb, client, before_finish=sb.rotate_jwks)
        assert info.value.check == "jwks.kid" and "does not publish" in str(info.value)
        assert sb.stats.token_requests[("openfinance", "authorization_code")] == 0
        token = authorize_accounts(sb, client)  # starting again is the way out
    assert token.id_token_claims is not None
    assert sb.stats.token_requests[("openfinance", "authorization_code")] == 1


# -- clock skew of two minutes ----------------------------------------------------------------------------
SKEWS = [pytest.param(120, id="server-2min-ahead"), pytest.param(-120, id="server-2min-behind")]


@pytest.mark.parametrize("skew", SKEWS)
@pytest.mark.parametrize("family", ["pix", "portal"])
def test_secret_based_families_do_not_care_about_skew(sb: Sandbox, skew: int, family: str) -> None:
    sb.clock_skew = skew
    path = COB if family == "pix" else "/v1/fornecimento-saldos-contas/saldos"
    params = (
        window()
        if family == "pix"
        else {"agencia": sb.beneficiary.branch, "conta": sb.beneficiary.account}
    )
    with client_for(sb, family) as client:
        assert client.get(path, params=params).ok
        assert client.get(path, params=params).ok
    assert sb.stats.total_token_requests == 1


@pytest.mark.parametrize("skew", SKEWS)
def test_signed_assertions_under_skew_fail_naming_the_clock(sb: Sandbox, skew: int) -> None:
    sb.clock_skew = skew
    with client_for(sb, "openfinance") as client, pytest.raises(OAuthError) as info:
        client.token(["consents"], grant="client_credentials")
    assert info.value.error == "invalid_client"
    assert "clock" in str(info.value) and f"about {abs(skew)} s" in str(info.value)
    assert sb.stats.token_requests[("openfinance", "client_credentials")] == 1, "not retried"


def test_legacy_assertion_from_a_clock_ahead_of_the_server_fails_naming_the_clock(
    sb: Sandbox,
) -> None:
    sb.clock_skew = -120
    with client_for(sb, "legacy") as client, pytest.raises(HTTPStatusError) as info:
        client.token()
    assert info.value.status == 401 and "clock" in str(info.value)


def test_legacy_assertion_lives_an_hour_so_a_server_ahead_accepts_it(sb: Sandbox) -> None:
    sb.clock_skew = 120
    with client_for(sb, "legacy") as client:
        assert boletos.register(client, hybrid_layout(sb)).ok


@pytest.mark.parametrize("skew", SKEWS)
def test_open_finance_recovers_with_the_clock_the_error_suggests(sb: Sandbox, skew: int) -> None:
    sb.clock_skew = skew
    with client_for(sb, "openfinance", clock=lambda: time.time() + skew) as client:
        token = authorize_accounts(sb, client)
        assert openfinance.accounts(client).ok
    assert token.id_token_claims is not None
    assert sb.stats.token_requests == {
        ("openfinance", "client_credentials"): 1,
        ("openfinance", "authorization_code"): 1,
    }
