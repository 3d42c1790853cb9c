"""32 threads, one `Client`, several token expiries: token requests per expiry and failed calls.

The sandbox issues Pix tokens that live `LIFETIME` seconds; the client refreshes them
`MARGIN` seconds ahead of expiry. Time is moved by hand, in steps of `STEP` seconds, on a
clock the client (`Client(clock=...)`) and the sandbox (`Sandbox.clock_skew`) share: both read
real time plus the same offset, so the server really refuses a token the client let expire.
At every step all threads call at once (a barrier releases them together), so at each
refresh point 32 threads find the token due at the same moment.

Expected token requests: one at the start, then one each time the token comes due
(every `LIFETIME - MARGIN` seconds of simulated time). Goals: exactly one token request per
expiry, no failed call, no reactive refresh (no call went out with an expired token).

    .venv/bin/python benchmarks/bench_threads.py [--threads 32] [--steps 30]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import bradesco_explore as bx

LIFETIME = 60
MARGIN = 10.0
STEP = 10.0


class SharedClock:
    """Real time plus an offset that the benchmark advances; the sandbox gets the same offset."""

    def __init__(self, sandbox: bx.Sandbox) -> None:
        self.offset = 0.0
        self._sandbox = sandbox

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self._sandbox.clock_skew = self.offset


def expected_token_requests(steps: int) -> int:
    """One to start, then one whenever the token comes due within the simulated span."""
    span = (steps - 1) * STEP
    return 1 + int(span // (LIFETIME - MARGIN))


def run(*, threads: int = 32, steps: int = 30) -> dict[str, float]:
    """Run the threads through `steps` steps; count token requests, failures and calls."""
    with bx.Sandbox(transactions=50, token_lifetime=LIFETIME) as sb:
        clock = SharedClock(sb)
        client = bx.Client(sb.environment, "pix", identity=sb.identity, credentials=sb.credentials,
                           refresh_margin=MARGIN, clock=clock)  # fmt: skip
        failures = _hammer(client, clock, threads=threads, steps=steps)
        token_requests = sb.stats.token_requests["pix", "client_credentials"]
        served = sb.stats.calls["GET /v2/webhook"]
        client.close()
    expected = expected_token_requests(steps)
    return {
        "threads": threads,
        "steps": steps,
        "expiries": expected,
        "token_requests": token_requests,
        "token_requests_per_expiry": token_requests / expected,
        "calls": threads * steps,
        "served": served,
        "failed_calls": len(failures),
        "reactive_refreshes": client.stats.get("reactive_refreshes", 0),
    }


def _hammer(
    client: bx.Client, clock: SharedClock, *, threads: int, steps: int
) -> list[BaseException]:
    start, done = threading.Barrier(threads + 1), threading.Barrier(threads + 1)
    failures: list[BaseException] = []

    def worker() -> None:
        for _ in range(steps):
            start.wait()
            try:
                client.get("/v2/webhook", scopes=["webhook.read"])
            except Exception as exc:  # counted: the goal is zero
                failures.append(exc)
            done.wait()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for _ in range(steps):
        start.wait()
        done.wait()
        clock.advance(STEP)
    for thread in workers:
        thread.join()
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args(argv)
    r = run(threads=args.threads, steps=args.steps)
    print(
        f"{r['threads']} threads x {r['steps']} steps of {STEP:g} s, tokens living {LIFETIME} s "
        f"(refreshed {MARGIN:g} s ahead): {r['expiries']} expiries"
    )
    print(f"  token requests per expiry  {r['token_requests_per_expiry']:.2f}  (goal exactly 1)")
    print(f"  failed calls               {r['failed_calls']} of {r['calls']}  (goal 0)")
    print(f"  reactive refreshes         {r['reactive_refreshes']}  (expired tokens sent)")
    met = r["token_requests"] == r["expiries"] and r["failed_calls"] == 0
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
