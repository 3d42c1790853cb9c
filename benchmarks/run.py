"""Every benchmark in one run: prints the ratios and rewrites the results in README.md.

    .venv/bin/python benchmarks/run.py            # or: make bench  (about a minute)
    .venv/bin/python benchmarks/run.py --no-readme

Each benchmark measures its contenders side by side in this one process (or, for imports,
in fresh interpreters started from it), in interleaved rounds, and reports medians; only
ratios measured in the same run are compared. The README's results block (between the
`results:start` / `results:end` markers) is replaced with this run's table, the machine it
ran on and the date; every goal is marked met, or the gap is stated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bench_calls
import bench_import
import bench_tables
import bench_threads

README = Path(__file__).with_name("README.md")
START, END = "<!-- results:start -->", "<!-- results:end -->"


@dataclass(frozen=True)
class Row:
    """One line of the results table."""

    benchmark: str
    measured: str
    goal: str
    verdict: str
    gap: str = ""  # why a goal was missed, in a sentence (empty when met)


def calls_rows(r: dict[str, Any]) -> list[Row]:
    speedup, plain = r["speedup_vs_naive"], r["speedup_vs_plain"]
    overhead = r["overhead_vs_bare"]
    naive_gap = (
        f"Against a naive client that reuses one session for its token and its call, the "
        f"toolkit is {speedup:.1f}x faster, {bench_calls.SPEEDUP_GOAL - speedup:.1f}x short of "
        f"the goal. The toolkit already runs within {overhead:.2f}x of a bare kept-alive "
        f"session, so the rest is the sandbox's own cost of a kept-alive call "
        f"({r['bare_ms']:.2f} ms, Python's http.server with TLS on the same {os.cpu_count()} "
        f"cores as the client): the naive client pays one handshake and one token more per call "
        f"({r['naive_ms'] - r['toolkit_ms']:.1f} ms). With two sessions per call "
        f"(`requests.post` then `requests.get`) the toolkit is {plain:.1f}x faster."
    )
    overhead_gap = (
        f"The toolkit adds {(overhead - 1) * 100:.0f}% to a bare session's call; its extra work "
        "per call is the token-cache lookup, the x-fapi-interaction-id, the redacted exchange "
        "log and the response wrapper."
    )
    return [
        Row(
            "repeated calls: toolkit (cached token, kept-alive mTLS) vs naive (new session, token "
            "and TLS handshake per call)",
            f"{r['toolkit_ms']:.2f} ms vs {r['naive_ms']:.2f} ms per call (medians); **{speedup:.1f}x** "
            f"faster (vs `requests.post`+`requests.get`: {plain:.1f}x)",
            f">= {bench_calls.SPEEDUP_GOAL:g}x",
            _verdict(speedup >= bench_calls.SPEEDUP_GOAL, f"{speedup:.1f}x"),
            "" if speedup >= bench_calls.SPEEDUP_GOAL else naive_gap,
        ),
        Row(
            "per-call overhead: toolkit vs bare kept-alive `requests.Session` (static bearer, "
            "same certificate)",
            f"{r['toolkit_ms']:.3f} ms vs {r['bare_ms']:.3f} ms (medians); **{overhead:.2f}x**",
            f"<= {bench_calls.OVERHEAD_GOAL:g}x",
            _verdict(overhead <= bench_calls.OVERHEAD_GOAL, f"{overhead:.2f}x"),
            "" if overhead <= bench_calls.OVERHEAD_GOAL else overhead_gap,
        ),
        Row(
            "comparison: toolkit vs Authlib `OAuth2Session` (client credentials, kept alive, "
            "same certificate)",
            f"{r['toolkit_ms']:.3f} ms vs {r['authlib_ms']:.3f} ms (medians); **{r['ratio_vs_authlib']:.2f}x**",
            "(for comparison)",
            "-",
        ),
    ]


def threads_rows(r: dict[str, Any]) -> list[Row]:
    met = r["token_requests"] == r["expiries"] and r["failed_calls"] == 0
    gap = (
        f"{r['token_requests']} token requests for {r['expiries']} expiries, "
        f"{r['failed_calls']} failed calls."
    )
    return [
        Row(
            f"{r['threads']} threads, one client, {r['expiries']} token expiries "
            f"({r['calls']} calls at {r['steps']} barrier-released steps)",
            f"**{r['token_requests_per_expiry']:.2f}** token requests per expiry; "
            f"**{r['failed_calls']}** failed calls; {r['reactive_refreshes']} expired tokens sent",
            "exactly 1 per expiry; 0 failed",
            _verdict(met, "see below"),
            "" if met else gap,
        )
    ]


def import_rows(r: dict[str, Any]) -> list[Row]:
    heavy = r["heavy_modules"]
    return [
        Row(
            "`import bradesco_explore` vs `import requests` (fresh interpreters)",
            f"{r['bradesco_explore_ms']:.0f} ms vs {r['requests_ms']:.0f} ms: "
            f"**{r['package_vs_requests']:.2f}x**; first use (`bx.Client`, which loads requests, "
            f"cryptography and PyJWT) {r['first_use_ms']:.0f} ms: {r['first_use_vs_requests']:.2f}x",
            "pandas and ipywidgets not imported",
            _verdict(not heavy, "imported: " + ", ".join(heavy)),
            "" if not heavy else f"{', '.join(heavy)} imported by `bx.Client`.",
        )
    ]


def tables_rows(r: dict[str, Any]) -> list[Row]:
    ratio = r["ratio"]
    return [
        Row(
            f"tabulate {int(r['records']):,} transactions: typed `to_frame` vs "
            "`pandas.json_normalize` (untyped)",
            f"{r['to_frame_s'] * 1000:.0f} ms vs {r['baseline_s'] * 1000:.0f} ms: **{ratio:.2f}x**",
            f"<= {bench_tables.TARGET_RATIO:g}x",
            _verdict(ratio <= bench_tables.TARGET_RATIO, f"{ratio:.2f}x"),
            ""
            if ratio <= bench_tables.TARGET_RATIO
            else "Typing every column costs more than the goal allows.",
        )
    ]


def _verdict(met: bool, shortfall: str) -> str:
    return "met" if met else f"**not met** ({shortfall})"


BENCHMARKS: list[
    tuple[str, Callable[[], dict[str, Any]], Callable[[dict[str, Any]], list[Row]]]
] = [
    ("calls", bench_calls.run, calls_rows),
    ("threads", bench_threads.run, threads_rows),
    ("import", bench_import.run, import_rows),
    ("tables", bench_tables.run, tables_rows),
]


def machine() -> str:
    """CPU model, cores, OS, Python and the HTTP stack's versions."""
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("requests", "urllib3", "cryptography", "Authlib", "pandas")
    )
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {versions}"
    )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def results_block(rows: list[Row], seconds: float) -> str:
    """The Markdown that goes between the README markers."""
    lines = [
        START,
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d} on {machine()}. "
        f"`make bench` took {seconds:.0f} s.",
        "",
        "Ratios in bold are medians of per-round ratios (each round runs every contender "
        "back to back), so they need not equal the quotient of the median times beside them.",
        "",
        "| benchmark | measured | goal | verdict |",
        "|---|---|---|---|",
        *(f"| {r.benchmark} | {r.measured} | {r.goal} | {r.verdict} |" for r in rows),
    ]
    gaps = [r for r in rows if r.gap]
    if gaps:
        lines += ["", "Goals not met:", ""]
        lines += [f"- **{r.benchmark.split(':')[0]}**: {r.gap}" for r in gaps]
    return "\n".join([*lines, END])


def rewrite_readme(block: str) -> None:
    """Replace the results block of README.md (appending one if the markers are missing)."""
    text = README.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n## Results\n\n" + block + "\n"
    README.write_text(text)


def print_table(rows: list[Row]) -> None:
    for row in rows:
        print(
            f"- {row.benchmark}\n    {row.measured.replace('**', '')}\n    goal {row.goal}: {row.verdict.replace('**', '')}"
        )
        if row.gap:
            print(f"    gap: {row.gap}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true", help="print only; leave README.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows: list[Row] = []
    for name, run, to_rows in BENCHMARKS:
        print(f"running {name} ...", flush=True)
        rows += to_rows(run())
    seconds = time.perf_counter() - started
    print()
    print_table(rows)
    if not args.no_readme:
        rewrite_readme(results_block(rows, seconds))
        print(f"\nresults written to {README}")
    return 0 if all(not row.gap for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
