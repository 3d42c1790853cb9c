"""Import time: `import bradesco_explore` (and its first real use) against `import requests`.

Each measurement is a fresh interpreter that times only the import statement (interpreter
start-up is not counted), in interleaved rounds after one warm-up round that compiles the
bytecode caches. Contenders:

- `import requests` (the baseline: every HTTP client in Python pays it);
- `import bradesco_explore` (the package front door: errors and lazy names only);
- `bradesco_explore.Client` (the first real use: transport, auth, requests, cryptography, PyJWT);

and a check that neither pandas nor ipywidgets has been imported after the first real use
(they load on first use of the tables and widgets).

    .venv/bin/python benchmarks/bench_import.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CONTENDERS = {
    "requests": "import requests",
    "bradesco_explore": "import bradesco_explore",
    "first_use": "import bradesco_explore; bradesco_explore.Client",
}
_PROBE = """
import json, sys, time
started = time.perf_counter()
{statement}
elapsed = time.perf_counter() - started
print(json.dumps({{"ms": elapsed * 1000, "heavy": sorted(m for m in ("pandas", "ipywidgets") if m in sys.modules)}}))
"""


def measure(statement: str) -> dict[str, object]:
    """Time `statement` in a fresh interpreter; also report heavy modules it imported."""
    probe = _PROBE.format(statement=statement)
    output = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, object] = json.loads(output)
    return result


def _median_ratio(times: list[float], baseline: list[float]) -> float:
    """The median of per-round ratios (each round measures every contender back to back)."""
    return statistics.median(t / b for t, b in zip(times, baseline, strict=True))


def run(*, rounds: int = 7) -> dict[str, object]:
    """Median import milliseconds per contender, ratios to requests, and the heavy modules."""
    for statement in CONTENDERS.values():
        measure(statement)  # warm-up: bytecode caches written
    times: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    heavy: set[str] = set()
    for _ in range(rounds):
        for name, statement in CONTENDERS.items():
            sample = measure(statement)
            times[name].append(float(sample["ms"]))  # type: ignore[arg-type]
            heavy.update(sample["heavy"])  # type: ignore[arg-type]
    result: dict[str, object] = {f"{name}_ms": statistics.median(v) for name, v in times.items()}
    result["package_vs_requests"] = _median_ratio(times["bradesco_explore"], times["requests"])
    result["first_use_vs_requests"] = _median_ratio(times["first_use"], times["requests"])
    result["heavy_modules"] = sorted(heavy)
    result["rounds"] = rounds
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    r = run(rounds=args.rounds)
    print(f"import time, median of {args.rounds} fresh interpreters")
    print(f"  import requests                  {r['requests_ms']:7.1f} ms")
    print(
        f"  import bradesco_explore          {r['bradesco_explore_ms']:7.1f} ms  "
        f"({r['package_vs_requests']:.2f}x requests)"
    )
    print(
        f"  + first use (bradesco_explore.Client) {r['first_use_ms']:7.1f} ms  "
        f"({r['first_use_vs_requests']:.2f}x requests)"
    )
    print(f"  pandas/ipywidgets imported: {', '.join(r['heavy_modules']) or 'neither'}")  # type: ignore[arg-type]
    return 0 if not r["heavy_modules"] else 1


if __name__ == "__main__":
    sys.exit(main())
