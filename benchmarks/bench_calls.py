"""Repeated API calls: the toolkit's `Client` against three other ways to make the same call.

Every contender calls the same sandbox endpoint (`GET /v2/cob/{txid}`, one small Pix charge)
with the same client certificate, in interleaved rounds (the order rotates each round, so
drift on a noisy machine hits all of them alike). The sandbox runs in a process of its own
(`bradesco-explore sandbox`), as a bank's server would; `--same-process` keeps it in the
benchmark's process instead:

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
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from authlib.integrations.requests_client import OAuth2Session
from dotenv import dotenv_values

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
def sandbox_target(*, separate: bool = True) -> Iterator[tuple[bx.Workspace, bx.Client, Target]]:
    """A running sandbox, a toolkit client with a warm token, and one charge to read.

    `separate=True` (the default) runs the sandbox in its own process, `bradesco-explore
    sandbox`, as a bank's server is: client and server no longer take turns on one
    interpreter lock. `separate=False` runs it in this process.
    """
    with _workspace(separate) as (workspace, cert):
        family = workspace.environment.family("pix")
        client = workspace.client("pix")
        txid = pix.new_txid()
        pix.create_charge(client, txid=txid, amount="1.00", key=workspace.beneficiary.pix_key)
        path = f"/v2/cob/{txid}"
        secret = workspace.credentials.client_secret
        target = Target(
            url=family.url(path), path=path, token_url=family.token_url or "",
            client_id=workspace.credentials.client_id,
            client_secret=secret.reveal() if secret else "",
            cert=cert,
            ca_bundle=str(workspace.environment.ca_bundle),
        )  # fmt: skip
        client.get(path)
        yield workspace, client, target


@contextmanager
def _workspace(separate: bool) -> Iterator[tuple[bx.Workspace, tuple[str, str]]]:
    """The workspace and its client certificate and key as files (for the plain-requests contenders)."""
    if not separate:
        with bx.Workspace.open("local", transactions=100) as workspace:
            assert workspace.sandbox is not None
            folder = workspace.sandbox.directory
            yield workspace, (str(folder / "client.pem"), str(folder / "client.key"))
        return
    with tempfile.TemporaryDirectory() as folder:
        env_file = Path(folder) / "sandbox.env"
        command = [sys.executable, "-m", "bradesco_explore", "sandbox", "--transactions", "100",
                   "--env-file", str(env_file)]  # fmt: skip
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for(env_file, server)
            settings = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
            saved = {k: os.environ.get(k) for k in settings}
            os.environ.update(settings)  # the target "local-sandbox" reads BRADESCO_* settings
            try:
                with bx.Workspace.open("local-sandbox") as workspace:
                    yield workspace, (settings["BRADESCO_CERT"], settings["BRADESCO_KEY"])
            finally:  # leave no BRADESCO_* behind for the benchmarks that run next
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=20)


def _wait_for(env_file: Path, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while not env_file.exists():
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"the sandbox did not start: {server.stderr.read().decode() if server.stderr else ''}"
            )
        time.sleep(0.05)
    time.sleep(0.1)  # the file is written atomically; give the listener a moment


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


def run(*, rounds: int = 60, batch: int = 25, separate: bool = True) -> dict[str, float]:
    """Median milliseconds per call of each contender, and the median of paired ratios.

    A round runs one short batch of each contender (`batch` calls; the naive ones
    `batch // NAIVE_SHARE`), in an order that rotates from round to round; each ratio is
    taken within a round, then the median over rounds is reported. Short interleaved
    batches keep the machine's drift out of the ratios.
    """
    with sandbox_target(separate=separate) as (_, client, target):
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
    parser.add_argument(
        "--same-process", action="store_true", help="run the sandbox in this process"
    )
    args = parser.parse_args(argv)
    r = run(rounds=args.rounds, batch=args.batch, separate=not args.same_process)
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
