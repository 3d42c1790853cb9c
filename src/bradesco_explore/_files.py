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
    failure the temporary file is removed and the old file is untouched. A path that cannot
    be written (missing or read-only directory, NUL byte, ...) raises `ConfigurationError`
    naming the path and the reason.
    """
    target = Path(path).expanduser()
    try:
        _refuse_existing(target, overwrite)
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace_atomically(target, data, 0o600 if private else 0o644)
    except ConfigurationError:
        raise
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot write {target}: {exc.strerror or type(exc).__name__}. Choose a path in a "
            "directory you can write to."
        ) from None
    except ValueError as exc:  # "embedded null byte"
        raise ConfigurationError(
            f"Cannot write {str(target)!r}: it is not a usable file path ({exc})."
        ) from None
    return target


def _refuse_existing(target: Path, overwrite: bool) -> None:
    if target.exists() and not overwrite:
        raise ConfigurationError(
            f"{target} already exists; choose another path or pass overwrite=True."
        )
    if target.is_dir():
        raise ConfigurationError(f"{target} is a directory; give a file path.")


def _replace_atomically(target: Path, data: bytes, mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def private_directory(prefix: str) -> Path:
    """A new directory only this user can enter (0700)."""
    return Path(tempfile.mkdtemp(prefix=prefix))
