"""Where identity input comes from: a path, bytes, or PEM text, read safely and labelled.

A `str` is a path unless it plainly is the content (it holds `-----BEGIN` or a newline, or
is longer than any path): that is what a user means who passes `os.environ["CERT_PEM"]`.
Only regular files are read, and never more than `MAX_INPUT` bytes of them, so `/dev/zero`
or a huge sparse file is refused instead of filling memory. Labels that name an input in
messages are cut short and redacted: a message never repeats key material.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from .._secret import Secret, redact
from ..errors import ConfigurationError, IdentityFormatError

Source = str | os.PathLike[str] | bytes | bytearray | memoryview
Password = str | bytes | Secret | None

MAX_INPUT: Final = 1 << 20
_MAX_PATH_TEXT: Final = 4096
_MAX_LABEL: Final = 120
_NOT_REGULAR: Final = (
    (stat.S_ISDIR, "a directory; give the certificate file inside it"),
    (stat.S_ISFIFO, "a named pipe (FIFO), not a regular file; give the certificate file"),
    (stat.S_ISCHR, "a character device, not a regular file; give the certificate file"),
    (stat.S_ISBLK, "a block device, not a regular file; give the certificate file"),
    (stat.S_ISSOCK, "a socket, not a regular file; give the certificate file"),
)


def read_source(
    source: Source, *, name: str | None = None, argument: str = "source"
) -> tuple[bytes, str]:
    """Return the bytes of a path, bytes-like or PEM-text `source` and a label naming it.

    `argument` names the parameter in the message when `source` has the wrong type.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), label(name or "the uploaded data")
    if isinstance(source, str) and is_content(source):
        return source.encode("utf-8", "replace"), label(name or f"the text given as {argument}")
    path = _path(source, argument)
    shown = label(name or str(source))
    return _read_file(path, shown), shown


def is_content(text: str) -> bool:
    """True when a `str` is a file's content rather than its path."""
    return "-----BEGIN" in text or "\n" in text or "\r" in text or len(text) > _MAX_PATH_TEXT


def label(text: str) -> str:
    """`text` fit for a message: redacted, control characters escaped, at most ~120 chars."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in redact(text))
    return shown if len(shown) <= _MAX_LABEL else shown[: _MAX_LABEL - 1] + "…"


def _path(source: object, argument: str) -> Path:
    """`source` as a path, or a clear error naming `argument` and what it got."""
    if not isinstance(source, str | os.PathLike) or not isinstance(os.fspath(source), str):
        raise ConfigurationError(
            f"{argument} must be a file path, the file's bytes or its PEM text, not "
            f"{type(source).__name__}."
        )
    shown = label(str(source))
    if "\x00" in os.fspath(source):
        raise IdentityFormatError(
            f"{argument} {shown} contains a NUL character, so it cannot name a file: give the "
            "file's path, or its content as bytes.",
            source=shown,
        )
    try:
        return Path(source).expanduser()
    except RuntimeError:  # "~user" for a user that does not exist
        raise IdentityFormatError(
            f"{shown} starts with '~' but that home directory is unknown; give the full path.",
            source=shown,
        ) from None


def _read_file(path: Path, shown: str) -> bytes:
    """At most MAX_INPUT bytes of a regular file; anything else is refused, saying what it is."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: opening a FIFO must not wait for a writer
        with os.fdopen(fd, "rb") as handle:
            _require_regular(os.fstat(handle.fileno()).st_mode, shown)
            data = handle.read(MAX_INPUT + 1)
    except OSError as exc:
        raise _unreadable(exc, shown) from None
    if len(data) > MAX_INPUT:
        raise IdentityFormatError(
            f"{shown} is larger than 1 MiB, far too large for a certificate or key (limit 1 MiB); "
            "give the certificate or key file itself.",
            source=shown,
        )
    return data


def _require_regular(mode: int, shown: str) -> None:
    for test, what in _NOT_REGULAR:
        if test(mode):
            raise IdentityFormatError(f"{shown} is {what}.", source=shown)


def _unreadable(error: OSError, shown: str) -> IdentityFormatError:
    if isinstance(error, FileNotFoundError):
        reason = "does not exist; check the path"
    elif isinstance(error, IsADirectoryError):
        reason = "is a directory; give the certificate file inside it"
    elif isinstance(error, PermissionError):
        reason = "cannot be read (permission denied)"
    else:
        reason = f"cannot be read ({error.strerror or type(error).__name__})"
    return IdentityFormatError(f"{shown} {reason}.", source=shown)


def password_bytes(password: Password) -> bytes | None:
    """Normalise a password argument to bytes (or None)."""
    if password is None:
        return None
    if isinstance(password, Secret):
        password = password.reveal()
    if isinstance(password, str):
        return password.encode("utf-8", "surrogatepass")
    if isinstance(password, bytes):
        return password
    raise ConfigurationError(
        f"password must be str, bytes or Secret, not {type(password).__name__}."
    )
