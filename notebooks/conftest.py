"""nbval runs the notebooks against a fresh local sandbox, whatever the shell exported.

The kernels nbval starts inherit this process's environment. A `BRADESCO_*` variable left
over from `bradesco-explore lab` or from a real configuration would point the notebooks at
another target (or make a cell that must fail succeed), so every `BRADESCO_*` variable is
removed and `BRADESCO_ENVIRONMENT` set to "local" before any kernel starts: the same
environment `refresh.py` records the saved outputs in.
"""

from __future__ import annotations

import os

import pytest
from refresh import sandbox_environment


def pytest_configure(config: pytest.Config) -> None:
    """Replace the environment with the sandbox environment for this test run."""
    wanted = sandbox_environment()
    for name in [name for name in os.environ if name not in wanted]:
        del os.environ[name]
    os.environ.update(wanted)
