"""`bradesco-explore demo`: the whole journey headless, as a subprocess, leaking nothing."""

from __future__ import annotations

import re
import subprocess
import sys


def test_demo_runs_every_family_and_prints_tables() -> None:
    result = subprocess.run([sys.executable, "-m", "bradesco_explore", "demo", "--transactions", "400"],
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for marker in ("PUT /v2/cob/{txid} -> 20", "gerarBoleto -> 200", "registrar-boleto with X-Brad-Signature -> 200",
                   "ID token validated", "spending by transaction type", "(400 rows)"):  # fmt: skip
        assert marker in out, marker
    assert "***." in out, "CPFs are masked in the tables"
    assert not re.search(r"eyJ[A-Za-z0-9_-]{8,}\.", out + result.stderr), "a JWT leaked"
    assert "PRIVATE KEY" not in out and "Traceback" not in result.stderr
