"""`bradesco-explore get`, run as a real subprocess against the sandbox.

Most runs use the `local-sandbox` target, attached to the sandbox this module starts, so
every output can be searched for every secret the sandbox issued (`known_secrets()`); one
Pix run uses the `local` target, whose sandbox lives inside the command.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from bradesco_explore.apis import catalogue, openfinance
from bradesco_explore.auth import Client
from bradesco_explore.sandbox import Sandbox
from bradesco_explore.tables import OpenFinancePages, read_parquet, to_frame

from ..proof.test_audit import DEBUG_CLI, assert_no_leak, grep_list

ROOT = Path(__file__).resolve().parents[2]
CPF_CNPJ_MASKED = re.compile(r"^(\*\*\*\.\d{3}\.\d{3}-\*\*|\*\*\.\d{3}\.\d{3}/\d{4}-\*\*)$")
PAGE_SIZE = "250"


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox(seed=11, transactions=600) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def transactions(sb: Sandbox) -> pd.DataFrame:
    """The first account's transactions, read in this process with the public API."""
    with Client(sb.environment, "openfinance", identity=sb.identity, credentials=sb.credentials,
                redirect_uri=sb.redirect_uri) as client:  # fmt: skip
        openfinance.grant_access(client, cpf=sb.customer.cpf)
        account = to_frame(openfinance.accounts(client))["accountId"].iloc[0]
        path = f"{openfinance.ACCOUNTS}/{account}/transactions"
        return to_frame(OpenFinancePages(client, path, page_size=500, progress=False))


def get(
    sb: Sandbox, *args: str, cwd: Path, target: str = "local-sandbox", debug: bool = False
) -> subprocess.CompletedProcess[str]:
    """`bradesco-explore get ARGS --env TARGET`; its output must hold no sandbox secret."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BRADESCO_")}
    env = clean | sb.env_variables() | {"PYTHONPATH": str(ROOT / "src")}
    command = ["-c", DEBUG_CLI] if debug else ["-m", "bradesco_explore"]
    done = subprocess.run([sys.executable, *command, "get", *args, "--env", target], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert_no_leak(grep_list(sb, {}), done.stdout + done.stderr, f"`get {' '.join(args)}` output")
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return done


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_list_prints_every_endpoint_with_its_parameters(sb: Sandbox, tmp_path: Path) -> None:
    done = get(sb, "--list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for endpoint in catalogue.ENDPOINTS:
        assert re.search(
            rf"^{re.escape(endpoint.key)}\s+{re.escape(endpoint.title)}", done.stdout, re.M
        )
    assert "start*, end*, status" in done.stdout, "required parameters are starred"


def test_pix_charges_are_printed_with_a_summary(sb: Sandbox, tmp_path: Path) -> None:
    window = ("--param", "start=2024-01-01", "--param", "end=2025-06-30")
    done = get(sb, "pix.charges", *window, "--rows", "3", cwd=tmp_path, target="local")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"^pix\.charges: \d+ rows x \d+ columns from 1 page", out, re.M)
    assert "date range (calendario.criacao): 2024-" in out
    assert re.search(r"^total valor\.original BRL: [\d,]+\.\d{4} \(\d+ rows\)$", out, re.M)
    assert "txid" in out.splitlines()[0] and "more rows (--rows N" in out
    assert "**." in out and "CPF/CNPJ masked" in out
    assert not re.search(r"eyJ[A-Za-z0-9_-]{8,}\.", out + done.stderr), "a JWT leaked"
    assert not list(tmp_path.iterdir()), "nothing written without --out"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_open_finance_transactions_are_written_masked_and_exact(
    sb: Sandbox, transactions: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"transactions{suffix}"
    done = get(sb, "openfinance.transactions", "--param", f"page_size={PAGE_SIZE}", "--out", str(out),
               cwd=tmp_path, debug=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "DEBUG:" in done.stderr, "the run logged at DEBUG, and the log leaked nothing"
    rows = len(transactions)
    pages = -(-rows // int(PAGE_SIZE))
    assert f"wrote {rows:,} rows to {out}" in done.stdout
    assert f"from {pages} pages" in done.stdout and pages > 1
    assert stat.S_IMODE(out.stat().st_mode) == 0o600, "a customer's data: owner only"
    if suffix == ".csv":
        frame = pd.read_csv(out, dtype=str, keep_default_na=False)
        amounts = [Decimal(text) for text in frame["transactionAmount"]]
    else:
        frame = read_parquet(out)
        amounts = list(frame["transactionAmount"])
    assert len(frame) == rows > 0
    assert amounts == list(transactions["transactionAmount"]), "amounts digit for digit"
    documents = frame["partieCnpjCpf"].astype(str)
    assert documents.str.match(CPF_CNPJ_MASKED).all(), documents.head().tolist()
    debit = transactions[transactions["creditDebitType"] == "DEBITO"]["transactionAmount"].sum()
    assert f"total transactionAmount BRL DEBITO: {Decimal(str(debit)):,f}" in done.stdout


def test_unmask_warns_and_keeps_the_file_private(sb: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "accounts.csv"
    done = get(sb, "openfinance.accounts", "--unmask", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("warning: --unmask: CPF and CNPJ are shown in full")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    cnpjs = pd.read_csv(out, dtype=str)["companyCnpj"]
    assert cnpjs.str.fullmatch(r"\d{14}").all(), "documents in full"
    assert "CPF/CNPJ NOT masked" in done.stdout


def test_max_pages_stops_early_and_says_so(sb: Sandbox, tmp_path: Path) -> None:
    done = get(sb, "openfinance.transactions", "--param", f"page_size={PAGE_SIZE}", "--max-pages", "1",
               "--rows", "1", cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"{int(PAGE_SIZE)} rows x" in done.stdout and "from 1 page " in done.stdout
    assert "stopped at --max-pages" in done.stdout


def test_unknown_endpoint_lists_close_matches(sb: Sandbox, tmp_path: Path) -> None:
    done = get(sb, "pix.charge", cwd=tmp_path)
    assert done.returncode == 2
    assert "Did you mean pix.charges" in one_line_error(done) and "--list" in done.stderr


def test_missing_required_parameter_is_named(sb: Sandbox, tmp_path: Path) -> None:
    done = get(sb, "pix.charges", "--param", "start=2024-01-01", cwd=tmp_path)
    assert done.returncode == 2
    assert "pix.charges needs --param end=" in one_line_error(done)


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("start", "is not NAME=VALUE"),
        ("=2024-01-01", "is not NAME=VALUE"),
        ("since=2024-01-01", "has no parameter 'since'; it takes: start, end, status"),
        ("start=01/01/2024", "--param start: From (created) must be a date as YYYY-MM-DD"),
    ],
)
def test_bad_param_is_refused_before_any_call(
    sb: Sandbox, tmp_path: Path, param: str, message: str
) -> None:
    sb.reset_stats()
    done = get(sb, "pix.charges", "--param", param, "--param", "end=2025-06-30", cwd=tmp_path)
    assert done.returncode == 2
    assert message in one_line_error(done)
    assert sb.stats.total_token_requests == 0 and not sb.stats.calls


def test_out_suffix_other_than_csv_or_parquet_is_refused(sb: Sandbox, tmp_path: Path) -> None:
    done = get(sb, "openfinance.accounts", "--out", str(tmp_path / "accounts.xlsx"), cwd=tmp_path)
    assert done.returncode == 2
    assert ".csv or .parquet" in one_line_error(done)
    assert not list(tmp_path.iterdir())


def test_a_failed_call_is_one_line_and_exits_1(sb: Sandbox, tmp_path: Path) -> None:
    done = get(sb, "openfinance.balances", "--param", "account_id=no-such-account", cwd=tmp_path)
    assert done.returncode == 1
    assert "HTTP 404" in one_line_error(done) and "no-such-account" in done.stderr


def test_open_finance_at_a_bank_needs_a_token_cache(sb: Sandbox, tmp_path: Path) -> None:
    done = get(sb, "openfinance.transactions", cwd=tmp_path, target="bradesco-sandbox")
    assert done.returncode == 2
    line = one_line_error(done)
    assert "a person approves the consent in a browser" in line and "--cache-file" in line
