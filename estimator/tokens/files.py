"""Which files a count covers, what format each holds, and how they split into shards."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from estimator.errors import DatasetError

SHARD_BYTES = 32 * 1024 * 1024  # fixed, so a count never depends on the number of workers

CONTAINERS = ("jsonl", "json", "text", "lines", "csv", "tsv", "parquet")
EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".txt": "text", ".text": "text", ".md": "text", ".markdown": "text", ".rst": "text",
    ".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet",
}
COMPRESSION_SUFFIX = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".lzma": "xz", ".zst": "zstd", ".zstd": "zstd"}
MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))
SPLITTABLE = frozenset({"jsonl", "lines", "text"})


@dataclass(frozen=True)
class Shard:
    """A unit of work: a whole file, or the byte range [start, end) of an uncompressed one."""

    path: str
    container: str
    compression: str | None
    start: int = 0
    end: int | None = None  # None: to the end of the file
    index: int = 0
    size: int = 0  # bytes on disk this shard stands for (progress, sampling weights)
    doc: int = 0  # plain text: which fixed-size piece (one example) of the file this range belongs to

    @property
    def whole_file(self) -> bool:
        return self.start == 0 and self.end is None


def expand_paths(paths) -> list[Path]:
    """Files named by ``paths`` (files, directories searched recursively, glob patterns), sorted, unique."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found: list[Path] = []
    for raw in paths:
        text = os.fspath(raw)
        if any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise DatasetError(f"{text}: no file matches this pattern")
            for m in matches:
                p = Path(m)
                found.extend(_walk(p) if p.is_dir() else [p] if p.is_file() else [])
            continue
        p = Path(text)
        if p.is_dir():
            files = _walk(p)
            if not files:
                raise DatasetError(f"{text}: directory holds no dataset files ({', '.join(sorted(EXTENSIONS))})")
            found.extend(files)
        elif p.is_file():
            found.append(p)
        elif p.exists():
            raise DatasetError(f"{text}: not a regular file")
        else:
            raise DatasetError(f"{text}: no such file or directory")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise DatasetError("no dataset files to count")
    return unique


def _walk(directory: Path) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and detect_container(name) is not None:
                out.append(Path(root) / name)
    return out


def split_compression(name: str) -> tuple[str, str | None]:
    lower = name.lower()
    for suffix, kind in COMPRESSION_SUFFIX.items():
        if lower.endswith(suffix):
            return name[: -len(suffix)], kind
    return name, None


def detect_container(name: str) -> str | None:
    inner, _ = split_compression(name)
    return EXTENSIONS.get(Path(inner).suffix.lower())


def sniff_compression(path: Path) -> str | None:
    with open(path, "rb") as f:
        head = f.read(6)
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def plan_shards(files: list[Path], format_in: str | None = None, shard_bytes: int | None = None,
                text_shard_bytes: int | None = None) -> list[Shard]:
    """Split files into shards: compressed or non-line formats whole, large line files by byte range.

    Plain text is one example per fixed-size piece (SHARD_BYTES, or ``text_shard_bytes``);
    its shards are sub-ranges of a piece whose token counts add up in the reduce, so a
    count never depends on the number of workers.
    """
    if format_in is not None and format_in not in CONTAINERS:
        raise DatasetError(f"unknown --format-in '{format_in}'; choose one of {', '.join(CONTAINERS)}")
    shard_bytes = shard_bytes or SHARD_BYTES
    shards: list[Shard] = []
    for path in files:
        size = path.stat().st_size
        compression = sniff_compression(path)
        named = split_compression(path.name)[1]
        if named is not None and compression is None and size > 0:
            raise DatasetError(f"{path}: the name says {named}, but the content is not a {named} stream")
        container = format_in or detect_container(path.name) or "auto"
        piece = text_shard_bytes or SHARD_BYTES
        step = piece // -(-piece // shard_bytes) if container == "text" else shard_bytes  # divides piece
        if compression is None and container in SPLITTABLE and size > step:
            for start in range(0, size, step):
                end = min(size, start + step)
                shards.append(Shard(str(path), container, None, start, None if end == size else end,
                                    len(shards), end - start, start // piece if container == "text" else 0))
        else:
            shards.append(Shard(str(path), container, compression, 0, None, len(shards), size))
    return shards
