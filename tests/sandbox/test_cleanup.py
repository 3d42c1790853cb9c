"""The sandbox's private folder (throwaway keys) never outlives it, even without stop()."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_folder_is_removed_at_exit_when_stop_was_never_called() -> None:
    code = "import bradesco_explore as bx; sb = bx.Sandbox().start(); print(sb.directory)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    folder = Path(result.stdout.strip())
    assert folder.name.startswith("bx-sandbox-")
    assert not folder.exists()
