"""Atomic file writes: a temp file in the same directory, then os.replace (never a half-written output).

Only regular files are written: a device, FIFO or socket as target is refused (as root, a rename over
/dev/full would replace the device node), and every OS failure is one OutputError line naming the path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from estimator.errors import OutputError
from estimator.safe_io import check_output_target, reason, special_kind


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes_atomic(path, text.encode(encoding))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` atomically (binary content too, e.g. an .xlsx workbook)."""
    target = check_output_target(path, OutputError)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {reason(exc)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
        try:  # checked again just before the rename: never replace anything but a regular file
            kind = special_kind(os.lstat(target).st_mode)
        except FileNotFoundError:
            kind = None
        if kind or (target.is_dir() and not target.is_symlink()):
            raise OutputError(f"{target}: is {kind or 'a directory'}; outputs are written only to regular files")
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"{target}: cannot write: {reason(exc)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
