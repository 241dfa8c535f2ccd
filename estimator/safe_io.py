"""Read input files without hanging or exhausting memory: regular files only, checked with stat before opening."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from estimator.errors import EstimatorError

_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def special_kind(mode: int) -> str | None:
    """'a named pipe (FIFO)', 'a character device', ... for a non-regular, non-directory mode; None otherwise."""
    return next((name for test, name in _KINDS if test(mode)), None)


def reason(exc: OSError) -> str:
    """'permission denied', 'no space left on device', ... from an OSError, lower case, without the path."""
    text = exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc)) or type(exc).__name__
    return text[0].lower() + text[1:] if text else type(exc).__name__


def stat_regular(path: str | os.PathLike, error: type[EstimatorError], what: str = "file") -> os.stat_result:
    """os.stat(path), refusing anything a read could block on or never finish (FIFO, device, socket) or a directory."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {reason(exc)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{path}: is a directory, expected a {what}")
    kind = special_kind(st.st_mode)
    if kind:
        raise error(f"{path}: is {kind}, not a regular file; expected a {what}")
    return st


def read_capped(path: str | os.PathLike, limit: int, error: type[EstimatorError], what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes; one-line `error` otherwise (never blocks on a FIFO)."""
    st = stat_regular(path, error, what)
    if st.st_size > limit:
        raise error(f"{path}: {_size(st.st_size)} is over the {_size(limit)} limit for {what}s")
    try:  # O_NONBLOCK: if the path was swapped for a FIFO after the stat, open returns instead of waiting
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise error(f"{path}: cannot read: {reason(exc)}") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"{path}: not a regular file; expected a {what}")
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise error(f"{path}: cannot read: {reason(exc)}") from None
    if len(data) > limit:
        raise error(f"{path}: over the {_size(limit)} limit for {what}s")
    return data


def check_output_target(path: str | os.PathLike, error: type[EstimatorError]) -> Path:
    """Refuse an output path that is not (or would not be) a regular file in a writable directory."""
    target = Path(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise error(f"{target}: cannot write: a parent of this path is a file, not a directory") from None
    except OSError as exc:
        raise error(f"{target}: cannot write: {reason(exc)}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise error(f"{target}: is a directory; give a file name to write")
        kind = special_kind(st.st_mode)
        if kind:
            raise error(f"{target}: is {kind}; outputs are written only to regular files")
    parent = _existing_ancestor(target.parent)
    if not parent.is_dir():
        raise error(f"{target}: cannot write: {parent} is a file, not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise error(f"{target}: cannot write: {os.strerror(errno.EACCES).lower()} in {parent}")
    return target


def _existing_ancestor(path: Path) -> Path:
    for p in (path, *path.parents):
        if os.path.lexists(p):
            return p
    return Path(".")


def _size(n: int) -> str:
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"
