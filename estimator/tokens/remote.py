"""Paths that are URLs (s3://, gs://, az://, https://, ...) go through fsspec; local paths never import it.

Credentials come from the usual environment of each filesystem (AWS_* variables and
~/.aws for s3fs, GOOGLE_APPLICATION_CREDENTIALS for gcsfs, AZURE_STORAGE_* for adlfs);
fsspec's own ``FSSPEC_<PROTOCOL>_<OPTION>`` variables (e.g. ``FSSPEC_S3_ENDPOINT_URL``)
reach every worker of a cluster that inherits the environment.
"""

from __future__ import annotations

import io
import re
from typing import BinaryIO

from estimator.errors import DatasetError

_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
PACKAGES = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
            "abfss": "adlfs", "http": "aiohttp", "https": "aiohttp"}
BLOCK_SIZE = 8 * 1024 * 1024  # read-ahead per remote request when streaming a shard
PROBE_BLOCK_SIZE = 256 * 1024  # when only the first bytes are wanted (compression magic, a file's head)


def protocol(path: str) -> str | None:
    """The URL scheme of ``path`` ('s3', 'https', ...), or None for a local path (file:// is local)."""
    m = _URL.match(path)
    if not m or m.group(1).lower() == "file":
        return None
    return m.group(1).lower()


def local_path(path: str) -> str:
    return path[len("file://"):] if path.startswith("file://") else path


def filesystem(path: str):
    """The fsspec filesystem for a URL; a missing optional package is a one-line DatasetError."""
    proto = protocol(path)
    try:
        import fsspec

        return fsspec.filesystem(proto)
    except ImportError as exc:
        package = PACKAGES.get(proto or "", "fsspec")
        raise DatasetError(f"{path}: reading {proto}:// paths needs the '{package}' package "
                           f"(pip install 'estimator[cloud]'): {exc}") from None
    except ValueError as exc:  # unknown protocol
        raise DatasetError(f"{path}: {exc}") from None


def open_raw(path: str, block_size: int = BLOCK_SIZE) -> BinaryIO:
    """The undecoded bytes of a local file or a URL, seekable; ``block_size`` is the remote read-ahead."""
    if protocol(path) is None:
        return open(local_path(path), "rb")
    fs = filesystem(path)
    try:
        # fsspec files are RawIOBase-like (readinto) but their readline takes no size limit: buffer them
        return io.BufferedReader(fs.open(path, "rb", block_size=block_size),
                                 buffer_size=min(block_size, 1024 * 1024))
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such object") from None
    except (OSError, PermissionError) as exc:
        raise DatasetError(f"{path}: cannot open ({_first_line(exc)})") from None


def expand_url(text: str, wanted) -> list[tuple[str, int]]:
    """(url, size) of the objects a URL names: an object, a prefix (searched recursively) or a glob.

    ``wanted(name)`` says whether a file found under a prefix is a dataset file.
    """
    fs = filesystem(text)
    try:
        if any(ch in text for ch in "*?["):
            found = fs.glob(text, detail=True)
            out = [(_url(text, p), int(info.get("size") or 0)) for p, info in sorted(found.items())
                   if info.get("type") != "directory"]
            if not out:
                raise DatasetError(f"{text}: no object matches this pattern")
            return out
        try:
            info = fs.info(text)
        except FileNotFoundError:
            raise DatasetError(f"{text}: no such object or prefix") from None
        if info.get("type") != "directory":
            return [(text, int(info.get("size") or 0))]
        found = fs.find(text, detail=True)
        out = [(_url(text, p), int(i.get("size") or 0)) for p, i in sorted(found.items())
               if wanted(p.rsplit("/", 1)[-1])]
        if not out:
            raise DatasetError(f"{text}: prefix holds no dataset files")
        return out
    except DatasetError:
        raise
    except (OSError, PermissionError, ValueError) as exc:
        raise DatasetError(f"{text}: cannot list ({_first_line(exc)})") from None


def _url(given: str, found: str) -> str:
    """``found`` (a path a listing returned) as a URL in the scheme the user gave: az://, not adlfs's abfs://."""
    if "://" in found:  # http(s) listings return whole URLs
        return found
    return f"{protocol(given)}://{found.lstrip('/')}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
