"""Writing files that must never be half-written or readable by others."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import ConfigurationError


def write_file(
    path: str | os.PathLike[str], data: bytes, *, private: bool, overwrite: bool = True
) -> Path:
    """Write `data` atomically (temp file + rename): mode 0600 if `private`, else 0644.

    Readers see either the old file or the complete new one, never a partial write; on any
    failure the temporary file is removed and the old file is untouched.
    """
    target = Path(path).expanduser()
    if target.exists() and not overwrite:
        raise ConfigurationError(
            f"{target} already exists; choose another path or pass overwrite=True."
        )
    if target.is_dir():
        raise ConfigurationError(f"{target} is a directory; give a file path.")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(fd, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def private_directory(prefix: str) -> Path:
    """A new directory only this user can enter (0700)."""
    return Path(tempfile.mkdtemp(prefix=prefix))
