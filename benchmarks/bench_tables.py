"""Tabulating 100,000 Open Finance transactions: typed `to_frame` vs plain `json_normalize`.

The data is what a paged pull of `GET /open-banking/accounts/v2/accounts/{id}/transactions`
returns: 100 pages of 1,000 records in the `{data, links, meta}` envelope, serialised to JSON
and parsed back (so the objects are exactly what `Response.json()` gives). Both contenders
start from the parsed pages; `json_normalize` gets the records already concatenated, and
produces untyped columns (amounts and dates stay strings, nothing is masked), while
`to_frame` finds the records in each envelope and types every column: exact decimals,
timezone-aware datetimes, categoricals, masked CPF/CNPJ.

Target (DESIGN.md): the typed result costs at most 2x the baseline. Run:

    .venv/bin/python benchmarks/bench_tables.py [--rounds 5] [--records 100000]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pandas as pd

from bradesco_explore.tables import to_frame

PAGE_SIZE = 1000
TARGET_RATIO = 2.0
TYPES = ("PIX", "TED", "DOC", "BOLETO", "CARTAO", "SAQUE", "TARIFA_SERVICOS_AVULSOS", "OUTROS")


def transaction(rng: random.Random, index: int) -> dict[str, Any]:
    """One transaction as the accounts API 2.4 writes it."""
    cents = rng.randint(1, 10**8)
    places = rng.choice((2, 4))
    amount = f"{cents // 100}.{cents % 100:02d}" + "00" * (places == 4)
    day = rng.randint(1, 28)
    month = rng.randint(1, 12)
    moment = f"2024-{month:02d}-{day:02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    return {
        "transactionId": f"TXN{index:012d}",
        "completedAuthorisedPaymentType": rng.choice(("TRANSACAO_EFETIVADA", "LANCAMENTO_FUTURO")),
        "creditDebitType": rng.choice(("CREDITO", "DEBITO")),
        "transactionName": rng.choice(("PIX RECEBIDO", "TED ENVIADA", "PAGTO BOLETO", "TARIFA")),
        "type": rng.choice(TYPES),
        "transactionAmount": {"amount": amount, "currency": "BRL"},
        "transactionDateTime": f"{moment}.{rng.randint(0, 999):03d}Z",
        "partieCnpjCpf": f"{rng.randint(10**10, 10**11 - 1)}"
        if rng.random() < 0.7
        else f"{rng.randint(10**13, 10**14 - 1)}",
        "partiePersonType": rng.choice(("PESSOA_NATURAL", "PESSOA_JURIDICA")),
        "partieCompeCode": f"{rng.randint(1, 999):03d}",
        "partieBranchCode": f"{rng.randint(1, 9999):04d}",
        "partieNumber": f"{rng.randint(10**7, 10**12)}",
        "partieCheckDigit": str(rng.randint(0, 9)),
    }


def pages(records: int, *, seed: int = 2024) -> list[dict[str, Any]]:
    """`records` transactions in pages of 1,000, serialised to JSON and parsed back."""
    rng = random.Random(seed)
    base = "https://api.bank.example/open-banking/accounts/v2/accounts/acc-1/transactions"
    count = -(-records // PAGE_SIZE)
    bodies = []
    for number in range(1, count + 1):
        data = [
            transaction(rng, i)
            for i in range((number - 1) * PAGE_SIZE, min(number * PAGE_SIZE, records))
        ]
        links = {"self": f"{base}?page={number}&page-size={PAGE_SIZE}"}
        if number < count:
            links["next"] = (
                f"{base}?page={number + 1}&page-size={PAGE_SIZE}&pagination-key=k{number + 1}"
            )
        body = {"data": data, "links": links, "meta": {"requestDateTime": "2024-12-31T23:59:59Z"}}
        bodies.append(json.loads(json.dumps(body)))
    return bodies


def seconds(work: Callable[[], Any]) -> float:
    """Wall time of one run of `work` (garbage collected first)."""
    gc.collect()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def check(frame: pd.DataFrame, bodies: list[dict[str, Any]]) -> None:
    """The typed result is right: every row, and the total equals the exact sum of the strings."""
    texts = [r["transactionAmount"]["amount"] for body in bodies for r in body["data"]]
    assert len(frame) == len(texts)
    assert frame["transactionAmount"].sum() == sum(Decimal(t) for t in texts)
    assert str(frame["transactionDateTime"].dtype) == "datetime64[ns, UTC]"


def run(*, records: int = 100_000, rounds: int = 5) -> dict[str, float]:
    """Measure both contenders side by side: median seconds, and the median per-round ratio."""
    bodies = pages(records)
    flat = [record for body in bodies for record in body["data"]]
    check(to_frame(bodies), bodies)
    baseline_times: list[float] = []
    typed_times: list[float] = []
    for _ in range(rounds):  # interleaved, so drift on a noisy machine hits both alike
        baseline_times.append(seconds(lambda: pd.json_normalize(flat)))
        typed_times.append(seconds(lambda: to_frame(bodies)))
    return {
        "records": records,
        "baseline_s": statistics.median(baseline_times),
        "to_frame_s": statistics.median(typed_times),
        # the median of per-round ratios: each round's two runs saw the same machine load
        "ratio": statistics.median(t / b for t, b in zip(typed_times, baseline_times, strict=True)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    result = run(records=args.records, rounds=args.rounds)
    print(
        f"tabulate {result['records']:,} Open Finance transactions ({PAGE_SIZE:,} per page), median of {args.rounds} rounds"
    )
    print(f"  pandas.json_normalize (untyped)   {result['baseline_s'] * 1000:8.1f} ms")
    print(f"  bradesco_explore.to_frame (typed) {result['to_frame_s'] * 1000:8.1f} ms")
    verdict = "OK" if result["ratio"] <= TARGET_RATIO else "OVER TARGET"
    print(
        f"  ratio to_frame / json_normalize   {result['ratio']:8.2f}x  (target <= {TARGET_RATIO:g}x: {verdict})"
    )
    return 0 if result["ratio"] <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
