"""Settings come from arguments, then BRADESCO_* variables, then .env; secrets come back as Secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bradesco_explore._secret import Secret
from bradesco_explore.config import EnvironmentSource, secret_setting, setting


@pytest.fixture
def dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRADESCO_CLIENT_ID", raising=False)
    monkeypatch.delenv("BRADESCO_CLIENT_SECRET", raising=False)
    path = tmp_path / ".env"
    path.write_text("BRADESCO_CLIENT_ID=from-dotenv\nBRADESCO_CLIENT_SECRET=dotenv-secret-value\n")
    return path


def test_argument_wins(dotenv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRADESCO_CLIENT_ID", "from-env")
    assert setting("client_id", "from-arg", sources=[EnvironmentSource()]) == "from-arg"


def test_environment_beats_dotenv(dotenv: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRADESCO_CLIENT_ID", "from-env")
    assert setting("client_id", sources=[EnvironmentSource()]) == "from-env"


def test_dotenv_is_the_fallback_and_edits_are_seen(dotenv: Path) -> None:
    assert setting("client_id", sources=[EnvironmentSource()]) == "from-dotenv"
    dotenv.write_text("BRADESCO_CLIENT_ID=edited-value-longer\n")
    assert setting("client_id", sources=[EnvironmentSource()]) == "edited-value-longer"


def test_secret_setting_returns_a_secret(dotenv: Path) -> None:
    value = secret_setting("client_secret", sources=[EnvironmentSource()])
    assert isinstance(value, Secret)
    assert value.reveal() == "dotenv-secret-value"
    assert "dotenv-secret" not in repr(value)


def test_missing_setting_is_none(dotenv: Path) -> None:
    assert setting("signing_kid", sources=[EnvironmentSource()]) is None
    assert secret_setting("nothing_here", sources=[EnvironmentSource(env_file=None)]) is None
