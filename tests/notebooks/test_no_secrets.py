"""No walkthrough notebook shows a secret, a JWT, a private key or a memory address.

Two checks:

- static: the committed notebooks (sources and saved outputs) hold none of those patterns,
  and no widget state (`application/vnd.jupyter.widget-state+json`), which could carry
  uploaded bytes;
- dynamic: every notebook is re-executed from a copy in a temporary folder, as
  `notebooks/refresh.py` runs it (nbclient, fresh kernel, fresh local sandbox). A cell put
  first remembers the secrets of every sandbox the notebook stops; a cell put last writes
  them, the running sandboxes' `known_secrets()` (client secret, tokens, codes, PAR URIs,
  private key PEMs) and every value the kernel wrapped in a `Secret` (PKCE verifiers, states,
  nonces, ...) to a temporary file. No output of any other cell may contain one of them.

Failures name the notebook, the cell and the kind of leak, never the secret itself.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import json
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote, quote_plus

import nbformat
import pytest

FOLDER = Path(__file__).resolve().parents[2] / "notebooks"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Built from parts so that this file itself never looks like a token or a key.
JWT_START = "ey" + "J"  # base64url of '{"', how every JOSE header begins
PEM_KEY = "PRIVATE" + " KEY-----"
PATTERNS = {
    "a JWT-shaped string": re.compile(JWT_START + r"[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\."),
    "a PEM private key block": re.compile(r"-----BEGIN [A-Z ]*" + PEM_KEY),
    "a memory address": re.compile(r"\b0x[0-9a-fA-F]{6,}\b"),
}
BINARY_MIME = re.compile(r"^(image|audio|video)/")
PARALLEL_KERNELS = 3

REMEMBER_STOPPED_SANDBOXES = """\
import bradesco_explore.sandbox as _bx_leak_sandbox

_bx_leak_seen = []
_bx_leak_stop = _bx_leak_sandbox.Sandbox.stop


def _bx_leak_remember_then_stop(self):
    if self.running:
        _bx_leak_seen.extend(self.known_secrets())
    _bx_leak_stop(self)


_bx_leak_sandbox.Sandbox.stop = _bx_leak_remember_then_stop
"""

WRITE_SECRETS = """\
import gc as _bx_leak_gc
import json as _bx_leak_json

from bradesco_explore._secret import _registry as _bx_leak_registry

_bx_leak_running = [
    value
    for item in _bx_leak_gc.get_objects()
    if isinstance(item, _bx_leak_sandbox.Sandbox) and item.running
    for value in item.known_secrets()
]
with open({path!r}, "w", encoding="utf-8") as _bx_leak_file:
    _bx_leak_json.dump(
        {{
            "sandbox": sorted(set(_bx_leak_seen) | set(_bx_leak_running)),
            "registered": _bx_leak_registry.snapshot(),
        }},
        _bx_leak_file,
    )
"""


def _load_refresh() -> ModuleType:
    spec = importlib.util.spec_from_file_location("notebooks_refresh", FOLDER / "refresh.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


refresh = _load_refresh()
NOTEBOOKS: list[Path] = refresh.notebooks()


@dataclass(frozen=True)
class Run:
    """One notebook executed from a copy: its cells with outputs and the secrets it used."""

    cells: list[Any]
    sandbox_secrets: list[str]
    registered_secrets: list[str]
    metadata: dict[str, Any]


# -- text of outputs ----------------------------------------------------------------------------
def output_texts(output: Any) -> Iterator[str]:
    """Every text an output holds: stream text, error name/value/traceback, non-binary data."""
    if output.get("output_type") == "stream":
        yield str(output.get("text", ""))
    if output.get("output_type") == "error":
        yield str(output.get("ename", ""))
        yield str(output.get("evalue", ""))
        yield from (str(line) for line in output.get("traceback", []))
    for mime, value in (output.get("data") or {}).items():
        if not BINARY_MIME.match(mime):
            yield value if isinstance(value, str) else json.dumps(value)


def cell_texts(cell: Any) -> Iterator[str]:
    """Every output text of a code cell."""
    for output in cell.get("outputs", []):
        yield from output_texts(output)


def pattern_hits(text: str) -> list[str]:
    """The kinds of forbidden pattern `text` contains."""
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(text)]


# -- static: the committed files ----------------------------------------------------------------
def test_there_are_walkthrough_notebooks() -> None:
    assert [path.name[:2] for path in NOTEBOOKS] == [
        f"{n:02d}" for n in range(1, len(NOTEBOOKS) + 1)
    ]
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_notebook_shows_no_secret_pattern(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    found = []
    for number, cell in enumerate(notebook.cells):
        for kind in pattern_hits(cell.source):
            found.append(f"cell {number} source: {kind}")
        for kind in {kind for text in cell_texts(cell) for kind in pattern_hits(text)}:
            found.append(f"cell {number} output: {kind}")
    assert not found, f"{path.name}: " + "; ".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_committed_notebook_has_no_widget_state(path: Path) -> None:
    assert WIDGET_STATE not in path.read_text(encoding="utf-8")
    assert "widgets" not in nbformat.read(path, as_version=4).metadata


def test_the_checks_see_what_they_look_for() -> None:
    def segment(document: dict[str, str]) -> str:
        raw = json.dumps(document).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    jwt = f"{segment({'alg': 'PS256'})}.{segment({'sub': 'x'})}.c2lnbmF0dXJl"
    leaky = {"output_type": "stream", "name": "stdout", "text": f"{jwt} at 0x7f3a2b1c4d50"}
    key_text = "-----BEGIN RSA " + PEM_KEY
    key = {"output_type": "execute_result", "data": {"text/plain": key_text}}
    image = {"output_type": "display_data", "data": {"image/png": "0xdeadbeefcafe"}}
    assert pattern_hits("".join(output_texts(leaky))) == ["a JWT-shaped string", "a memory address"]
    assert pattern_hits("".join(output_texts(key))) == ["a PEM private key block"]
    assert pattern_hits("".join(output_texts(image))) == []


# -- dynamic: re-execute and grep for the secrets the run used --------------------------------------
def execute_copy(path: Path, folder: Path) -> Run:
    """Execute a copy of the notebook at `path` in `folder`; return the cells and secrets."""
    copy = folder / path.name
    shutil.copy(path, copy)
    secrets_file = folder / "secrets.json"
    notebook = nbformat.read(copy, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(REMEMBER_STOPPED_SANDBOXES))
    notebook.cells.append(nbformat.v4.new_code_cell(WRITE_SECRETS.format(path=str(secrets_file))))
    refresh.execute(notebook, cwd=folder)
    secrets = json.loads(secrets_file.read_text(encoding="utf-8"))
    return Run(
        cells=notebook.cells[1:-1],
        sandbox_secrets=secrets["sandbox"],
        registered_secrets=secrets["registered"],
        metadata=dict(notebook.metadata),
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every notebook, executed a few at a time (kernels mostly wait on each other)."""

    # tmp_path_factory is not thread-safe: make every folder before the threads start.
    folders = {path: tmp_path_factory.mktemp(path.stem) for path in NOTEBOOKS}

    def run(path: Path) -> tuple[str, Run]:
        return path.stem, execute_copy(path, folders[path])

    with ThreadPoolExecutor(max_workers=PARALLEL_KERNELS) as pool:
        return dict(pool.map(run, NOTEBOOKS))


def spellings(value: str) -> set[str]:
    """`value` as it can appear in an output: raw, URL-encoded, HTML-escaped."""
    return {value, quote(value, safe=""), quote_plus(value), html.escape(value)}


def leaks(run: Run) -> list[str]:
    """Where the run's outputs show a secret it used, or a forbidden pattern."""
    kinds = [("a sandbox secret", value) for value in run.sandbox_secrets]
    kinds += [("a value wrapped in Secret", value) for value in run.registered_secrets]
    found = []
    for number, cell in enumerate(run.cells):
        texts = list(cell_texts(cell))
        for label, value in kinds:
            if any(form in text for form in spellings(value) for text in texts):
                found.append(f"cell {number}: {label} ({len(value)} characters)")
        found += [f"cell {number}: {kind}" for kind in {k for t in texts for k in pattern_hits(t)}]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_executed_notebook_shows_no_secret(path: Path, runs: dict[str, Run]) -> None:
    run = runs[path.stem]
    assert run.sandbox_secrets, "the run used a sandbox, so it must know some secrets"
    assert not leaks(run), f"{path.name}: " + "; ".join(leaks(run))
    assert WIDGET_STATE not in json.dumps(run.metadata)


def test_leaks_are_found_when_there_are_some() -> None:
    secret = "s3cr3t-token-value-0123456789"
    cell = nbformat.v4.new_code_cell("print(token)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"token={secret}\n")]
    run = Run(cells=[cell], sandbox_secrets=[secret], registered_secrets=[], metadata={})
    assert leaks(run) == [f"cell 0: a sandbox secret ({len(secret)} characters)"]


def test_encoded_secrets_are_found_too() -> None:
    request_uri = "urn:ietf:params:oauth:request_uri:Bx5-secret_value"
    link = f'<a href="https://bank/authorize?request_uri={quote(request_uri, safe="")}">open</a>'
    cell = nbformat.v4.new_code_cell("pending")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": link})]
    run = Run(cells=[cell], sandbox_secrets=[], registered_secrets=[request_uri], metadata={})
    assert leaks(run) == [f"cell 0: a value wrapped in Secret ({len(request_uri)} characters)"]
