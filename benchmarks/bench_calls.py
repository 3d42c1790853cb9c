"""Repeated API calls: the toolkit's `Client` against three other ways to make the same call.

Every contender calls the same sandbox endpoint (`GET /v2/cob/{txid}`, one small Pix charge)
with the same client certificate, in the same process, in interleaved rounds (the order
rotates each round, so drift on a noisy machine hits all of them alike):

- **toolkit**: `bx.Client` for the Pix family; the token is cached and the mTLS connection
  kept alive, as in a notebook after its first call;
- **naive**: what a first script does - per call, a new `requests.Session` (so a new TLS
  handshake) that fetches a token, then makes the call; certificate and CA as files
  (`cert=`, `verify=`). One session serves both requests of a call, the cheapest naive form;
- **plain**: the same with `requests.post` then `requests.get` (a session, and a handshake,
  for each of the two requests);
- **bare**: a kept-alive `requests.Session` with the same certificate files and a static
  `Authorization: Bearer` header: the floor any client built on requests can reach;
- **authlib**: Authlib's `OAuth2Session` after `fetch_token(grant_type="client_credentials")`
  with Basic client authentication, kept alive, same certificate files.

`trust_env = False` on the requests-based sessions: machines here set `REQUESTS_CA_BUNDLE`,
which requests lets override a session's `verify` (psf/requests#3829).

    .venv/bin/python benchmarks/bench_calls.py [--rounds 60] [--batch 25]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from authlib.integrations.requests_client import OAuth2Session

import bradesco_explore as bx
from bradesco_explore.apis import pix

SPEEDUP_GOAL = 10.0  # naive / toolkit, at least
OVERHEAD_GOAL = 1.15  # toolkit / bare, at most
NAIVE_SHARE = 10  # the naive client makes calls / NAIVE_SHARE calls per round (it is slow)


@dataclass(frozen=True)
class Target:
    """What every contender needs: the URL, the token endpoint, the credentials as files."""

    url: str
    path: str
    token_url: str
    client_id: str
    client_secret: str
    cert: tuple[str, str]
    ca_bundle: str


@contextmanager
def sandbox_target() -> Iterator[tuple[bx.Sandbox, bx.Client, Target]]:
    """A running sandbox, a toolkit client with a warm token, and one charge to read."""
    with bx.Sandbox(transactions=100) as sb:
        family = sb.environment.family("pix")
        client = bx.Client(sb.environment, "pix", identity=sb.identity, credentials=sb.credentials)
        txid = pix.new_txid()
        pix.create_charge(client, txid=txid, amount="1.00", key=sb.beneficiary.pix_key)
        path = f"/v2/cob/{txid}"
        folder = sb.directory
        target = Target(
            url=family.url(path), path=path, token_url=family.token_url or "",
            client_id=sb.credentials.client_id,
            client_secret=sb.credentials.client_secret.reveal() if sb.credentials.client_secret else "",
            cert=(str(folder / "client.pem"), str(folder / "client.key")),
            ca_bundle=str(folder / "ca.pem"),
        )  # fmt: skip
        client.get(path)
        yield sb, client, target
        client.close()


def toolkit_call(client: bx.Client, target: Target) -> Callable[[], object]:
    return lambda: client.get(target.path)


def naive_call(target: Target) -> Callable[[], object]:
    """Per call: a new session (one TLS handshake) that fetches a token, then makes the call."""

    def call() -> object:
        with requests.Session() as session:
            return _token_then_call(session.post, session.get, target)

    return call


def plain_call(target: Target) -> Callable[[], object]:
    """Per call: `requests.post` for the token, `requests.get` for the call (two handshakes)."""
    return lambda: _token_then_call(requests.post, requests.get, target)


def _token_then_call(
    post: Callable[..., requests.Response], get: Callable[..., requests.Response], target: Target
) -> object:
    token = post(
        target.token_url,
        auth=(target.client_id, target.client_secret),
        data={"grant_type": "client_credentials", "scope": "cob.read"},
        cert=target.cert,
        verify=target.ca_bundle,
    )
    token.raise_for_status()
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return get(
        target.url, headers=bearer, cert=target.cert, verify=target.ca_bundle
    ).raise_for_status()


def bare_call(target: Target, authorization: str) -> Callable[[], object]:
    session = requests.Session()
    session.trust_env = False
    session.cert, session.verify = target.cert, target.ca_bundle
    session.headers["Authorization"] = authorization
    return lambda: session.get(target.url).raise_for_status()


def authlib_call(target: Target) -> Callable[[], object]:
    session = OAuth2Session(
        target.client_id,
        target.client_secret,
        scope="cob.read",
        token_endpoint=target.token_url,
        token_endpoint_auth_method="client_secret_basic",
    )
    session.trust_env = False
    session.cert, session.verify = target.cert, target.ca_bundle
    session.fetch_token(target.token_url, grant_type="client_credentials")
    return lambda: session.get(target.url).raise_for_status()


def per_call_ms(call: Callable[[], object], calls: int) -> float:
    """Milliseconds per call over `calls` calls (garbage collected first)."""
    gc.collect()
    started = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - started) * 1000 / calls


def run(*, rounds: int = 60, batch: int = 25) -> dict[str, float]:
    """Median milliseconds per call of each contender, and the median of paired ratios.

    A round runs one short batch of each contender (`batch` calls; the naive ones
    `batch // NAIVE_SHARE`), in an order that rotates from round to round; each ratio is
    taken within a round, then the median over rounds is reported. Short interleaved
    batches keep the machine's drift out of the ratios.
    """
    with sandbox_target() as (_, client, target):
        contenders = {
            "toolkit": (toolkit_call(client, target), batch),
            "naive": (naive_call(target), max(1, batch // NAIVE_SHARE)),
            "plain": (plain_call(target), max(1, batch // NAIVE_SHARE)),
            "bare": (bare_call(target, client.token().authorization()), batch),
            "authlib": (authlib_call(target), batch),
        }
        for call, _ in contenders.values():
            call()  # warm: connections open, tokens cached
        times = _interleaved(contenders, rounds)
    result = {f"{name}_ms": statistics.median(values) for name, values in times.items()}
    result["speedup_vs_naive"] = _paired(times["naive"], times["toolkit"])
    result["speedup_vs_plain"] = _paired(times["plain"], times["toolkit"])
    result["overhead_vs_bare"] = _paired(times["toolkit"], times["bare"])
    result["ratio_vs_authlib"] = _paired(times["toolkit"], times["authlib"])
    result["rounds"], result["batch"] = rounds, batch
    return result


def _interleaved(
    contenders: dict[str, tuple[Callable[[], object], int]], rounds: int
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    order = list(contenders)
    for number in range(rounds):
        shift = number % len(order)
        for name in itertools.chain(order[shift:], order[:shift]):
            call, count = contenders[name]
            times[name].append(per_call_ms(call, count))
    return times


def _paired(numerators: list[float], denominators: list[float]) -> float:
    """The median over rounds of numerator / denominator measured in the same round."""
    return statistics.median(a / b for a, b in zip(numerators, denominators, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=25)
    args = parser.parse_args(argv)
    r = run(rounds=args.rounds, batch=args.batch)
    print(f"GET /v2/cob/{{txid}} over mTLS, median ms per call of {args.rounds} interleaved rounds")
    for name in ("toolkit", "naive", "plain", "bare", "authlib"):
        print(f"  {name:<8} {r[f'{name}_ms']:8.3f} ms")
    print(f"  naive / toolkit   {r['speedup_vs_naive']:6.1f}x  (goal >= {SPEEDUP_GOAL:g}x)")
    print(f"  plain / toolkit   {r['speedup_vs_plain']:6.1f}x  (two sessions per call)")
    print(f"  toolkit / bare    {r['overhead_vs_bare']:6.2f}x  (goal <= {OVERHEAD_GOAL:g}x)")
    print(f"  toolkit / authlib {r['ratio_vs_authlib']:6.2f}x  (comparison)")
    met = r["speedup_vs_naive"] >= SPEEDUP_GOAL and r["overhead_vs_bare"] <= OVERHEAD_GOAL
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
