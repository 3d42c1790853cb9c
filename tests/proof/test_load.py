"""Load: N concurrent clients for S seconds against one sandbox, with no error at all.

Each thread owns two clients - Pix and Open Finance (authorised once, before the clock
starts) - and loops through a mix of calls until the time is up: create a Pix charge (PUT
with its own txid), read it back, list charges, then the customer's accounts, a balance and
a page of transactions. Every call must succeed; the token endpoint must be asked once per
client and scope set, however long the run (the cache serves everything else).

Short by default so CI stays fast; `make load` runs the full form:

    BX_LOAD_SECONDS=30 BX_LOAD_CLIENTS=50 .venv/bin/pytest -m slow tests/proof/test_load.py
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from bradesco_explore.apis import openfinance, pix
from bradesco_explore.sandbox import Sandbox

from .conftest import authorize_accounts, client_for

pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("BX_LOAD_SECONDS", "4"))
CLIENTS = int(os.environ.get("BX_LOAD_CLIENTS", "8"))


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=9, transactions=300, token_lifetime=max(300, SECONDS * 4)) as sandbox:
        yield sandbox


@dataclass
class Tally:
    """What one worker did: calls made and every error met."""

    calls: int = 0
    errors: list[str] = field(default_factory=list)


class Worker:
    """One simulated user with its own Pix and Open Finance clients."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.pix = client_for(sb, "pix")
        self.of = client_for(sb, "openfinance")
        self.tally = Tally()
        self.account = ""

    def prepare(self) -> None:
        authorize_accounts(self.sb, self.of)
        self.account = openfinance.accounts(self.of).json()["data"][0]["accountId"]

    def steps(self) -> list[Callable[[], object]]:
        txid = pix.new_txid()
        now = dt.datetime.now(dt.UTC)
        key = self.sb.beneficiary.pix_key
        return [
            lambda: pix.create_charge(self.pix, txid=txid, amount="10.00", key=key),
            lambda: pix.get_charge(self.pix, txid),
            lambda: pix.list_charges(self.pix, now - dt.timedelta(hours=1), now + dt.timedelta(hours=1), page_size=10),
            lambda: openfinance.accounts(self.of),
            lambda: openfinance.balances(self.of, self.account),
            lambda: openfinance.transactions(self.of, self.account, page_size=25),
        ]  # fmt: skip

    def run_until(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            for step in self.steps():
                self._call(step)

    def _call(self, step: Callable[[], object]) -> None:
        self.tally.calls += 1
        try:
            step()
        except Exception as exc:  # every error is collected and must not happen
            self.tally.errors.append(f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self.pix.close()
        self.of.close()


def test_concurrent_clients_mixing_pix_and_open_finance_make_no_error(
    sb: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    workers = [Worker(sb) for _ in range(CLIENTS)]
    prepared, go = threading.Barrier(CLIENTS + 1), threading.Barrier(CLIENTS + 1)
    deadline: list[float] = []
    setup_errors: list[BaseException] = []

    def work(worker: Worker) -> None:
        try:
            worker.prepare()
        except Exception as exc:  # reported by the assertion below
            setup_errors.append(exc)
        prepared.wait()
        go.wait()
        worker.run_until(deadline[0])

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    prepared.wait()
    sb.reset_stats()
    deadline.append(time.monotonic() + SECONDS)
    started = time.monotonic()
    go.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for worker in workers:
        worker.close()

    calls = sum(w.tally.calls for w in workers)
    errors = [e for w in workers for e in w.tally.errors]
    with capsys.disabled():
        print(
            f"\nload: {CLIENTS} clients x {SECONDS:g} s: {calls} calls in {elapsed:.1f} s = "
            f"{calls / elapsed:.0f} calls/s, {len(errors)} errors"
        )
    assert setup_errors == []
    assert errors == [], errors[:5]
    assert all(w.tally.calls >= 6 for w in workers), "every client made the whole mix"
    # In the timed window only the Pix tokens are new (cob.write, cob.read per client);
    # everything else came from the cache, and no call went out with an expired token.
    assert sb.stats.token_requests == {("pix", "client_credentials"): 2 * CLIENTS}
    assert all(c.stats.get("reactive_refreshes", 0) == 0 for w in workers for c in (w.pix, w.of))
