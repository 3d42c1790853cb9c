"""Re-execute the walkthrough notebooks in place, so their saved outputs are real outputs.

    .venv/bin/python notebooks/refresh.py            # every notebook
    .venv/bin/python notebooks/refresh.py 03 09      # those whose name starts with 03 or 09

Each notebook runs top to bottom in a fresh kernel of this interpreter with nbclient, in
`notebooks/` (as nbval runs it), against a fresh local sandbox: `BRADESCO_ENVIRONMENT` is
forced to "local" and every other `BRADESCO_*` variable is removed, so no real setting can
reach a saved output. Widget state is not stored (it could hold uploaded bytes) and no timing
metadata is written, so re-running gives no diff beyond the values `sanitize.cfg` covers.
`tests/notebooks/test_no_secrets.py` executes notebooks through `execute` too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import nbformat
from nbclient import NotebookClient

FOLDER = Path(__file__).resolve().parent
CELL_TIMEOUT = 120
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def notebooks(prefixes: Iterable[str] = ()) -> list[Path]:
    """The walkthrough notebooks, in order; only those starting with one of `prefixes` if given."""
    chosen = tuple(prefixes)
    found = sorted(FOLDER.glob("[0-9][0-9]_*.ipynb"))
    return [path for path in found if not chosen or path.name.startswith(chosen)]


def sandbox_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) without `BRADESCO_*`, target "local"."""
    kept = {k: v for k, v in (base or os.environ).items() if not k.startswith("BRADESCO_")}
    return kept | {"BRADESCO_ENVIRONMENT": "local"}


def execute(
    notebook: nbformat.NotebookNode, *, cwd: Path = FOLDER, timeout: int = CELL_TIMEOUT
) -> nbformat.NotebookNode:
    """Run every cell of `notebook` (in place) in a fresh kernel with the sandbox environment.

    A cell tagged `raises-exception` may raise; any other error stops the run and raises
    `nbclient.exceptions.CellExecutionError`.
    """
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        store_widget_state=False,
        record_timing=False,
        coalesce_streams=True,  # one stream output per name, however the kernel flushed
    )
    client.execute(env=sandbox_environment())
    notebook.metadata.pop("widgets", None)
    return notebook


def refresh(path: Path) -> None:
    """Execute the notebook at `path` and save it with its new outputs."""
    notebook = nbformat.read(path, as_version=4)
    execute(notebook)
    nbformat.write(notebook, path)


def main(argv: list[str]) -> int:
    """Refresh the notebooks named by prefix in `argv` (all when none); 1 if one failed."""
    failed = 0
    for path in notebooks(argv):
        print(f"executing {path.name} ...", flush=True)
        try:
            refresh(path)
        except Exception as error:  # report every notebook, then fail
            failed += 1
            print(f"  FAILED: {type(error).__name__}: {str(error)[-2000:]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
