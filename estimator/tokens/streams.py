"""Opening a shard's file: local or remote bytes, decompressed, with the raw position kept for progress."""

from __future__ import annotations

import io
from typing import BinaryIO

from estimator.errors import DatasetError
from estimator.tokens import remote
from estimator.tokens.files import Shard

BLOCK = 1024 * 1024


class Stream:
    """The decompressed byte stream of a shard's file, and the raw file under it (for progress)."""

    def __init__(self, shard: Shard, block_size: int = remote.BLOCK_SIZE):
        self.raw = remote.open_raw(shard.path, block_size)
        try:
            self.stream = _decompressor(shard, self.raw)
        except BaseException:
            self.raw.close()
            raise

    def __enter__(self) -> BinaryIO:
        return self.stream

    def __exit__(self, *exc) -> None:
        try:
            if self.stream is not self.raw:
                self.stream.close()
        finally:
            self.raw.close()


def _decompressor(shard: Shard, raw: BinaryIO) -> BinaryIO:
    kind = shard.compression
    if kind is None:
        return raw
    if kind == "gzip":
        import gzip
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bz2":
        import bz2
        return bz2.BZ2File(raw, "rb")
    if kind == "xz":
        import lzma
        return lzma.LZMAFile(raw, "rb")
    try:
        import zstandard
    except ImportError:
        raise DatasetError(f"{shard.path}: reading .zst files needs the 'zstandard' package") from None
    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)
    return io.BufferedReader(reader, buffer_size=BLOCK)


def stream_errors() -> tuple[type[BaseException], ...]:
    """Exceptions a damaged compressed stream raises while being read."""
    import lzma
    import zlib

    errors: list[type[BaseException]] = [EOFError, OSError, zlib.error, lzma.LZMAError]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:
        pass
    return tuple(errors)


def looks_binary(head: bytes) -> bool:
    """True when most of ``head`` is in lines holding NUL bytes: a binary file, not a text file with a bad line."""
    dirty = sum(len(line) + 1 for line in head.split(b"\n") if b"\x00" in line)
    return dirty * 2 > len(head)
