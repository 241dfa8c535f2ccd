"""Which files a count covers, what format each holds, and how they split into shards."""

from __future__ import annotations

import glob
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from estimator.errors import DatasetError
from estimator.tokens import remote
from estimator.tokens.findings import Finding

SHARD_BYTES = 32 * 1024 * 1024  # fixed, so a count never depends on the number of workers
REMOTE_PROBES = 16  # concurrent first-bytes reads when planning shards of remote files

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
    """A unit of work: a whole file, the byte range [start, end) of an uncompressed one, or for
    Parquet the row groups [start, end)."""

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


@dataclass(frozen=True)
class DataFile:
    """One input file (local path or URL) and its size in bytes."""

    path: str
    size: int

    def __str__(self) -> str:
        return self.path


def expand_paths(paths, skipped: list[Finding] | None = None) -> list[DataFile]:
    """Files named by ``paths`` (files, directories searched recursively, glob patterns, URLs), unique, in order.

    Non-regular files met while walking a directory (FIFOs, sockets, devices) would block or
    make no sense to read: they are left out, each with a ``not_regular_file`` finding added to ``skipped``.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    skipped = skipped if skipped is not None else []
    found: list[DataFile] = []
    for raw in paths:
        text = os.fspath(raw)
        if remote.protocol(text) is not None:
            found.extend(DataFile(p, size) for p, size in remote.expand_url(text, detect_container))
            continue
        text = remote.local_path(text)
        if any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise DatasetError(f"{text}: no file matches this pattern")
            for m in matches:
                p = Path(m)
                found.extend(_walk(p, skipped) if p.is_dir() else [_local(p)] if p.is_file() else [])
            continue
        p = Path(text)
        if p.is_dir():
            files = _walk(p, skipped)
            if not files and not skipped:
                raise DatasetError(f"{text}: directory holds no dataset files ({', '.join(sorted(EXTENSIONS))})")
            found.extend(files)
        elif p.is_file():
            found.append(_local(p))
        elif p.exists():
            raise DatasetError(f"{text}: not a regular file")
        else:
            raise DatasetError(f"{text}: no such file or directory")
    unique = list({f.path: f for f in found}.values())
    if not unique:
        raise DatasetError("no dataset files to count" + (f" ({skipped[0]})" if skipped else ""))
    return unique


def _local(p: Path) -> DataFile:
    return DataFile(str(p), p.stat().st_size)


def _walk(directory: Path, skipped: list[Finding]) -> list[DataFile]:
    out = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or detect_container(name) is None:
                continue
            path = Path(root) / name
            try:
                st = path.stat()
            except OSError as exc:
                skipped.append(Finding(str(path), None, "unreadable", f"cannot stat ({exc.strerror}); skipped"))
                continue
            if not stat.S_ISREG(st.st_mode):
                skipped.append(Finding(str(path), None, "not_regular_file",
                                       "not a regular file (a FIFO, socket or device); skipped"))
                continue
            out.append(DataFile(str(path), st.st_size))
    return out


def split_compression(name: str) -> tuple[str, str | None]:
    lower = name.lower()
    for suffix, kind in COMPRESSION_SUFFIX.items():
        if lower.endswith(suffix):
            return name[: -len(suffix)], kind
    return name, None


def detect_container(name: str) -> str | None:
    inner, _ = split_compression(name.rsplit("/", 1)[-1])
    return EXTENSIONS.get(Path(inner).suffix.lower())


def sniff_compression(path: str) -> str | None:
    with remote.open_raw(path, remote.PROBE_BLOCK_SIZE) as f:
        head = f.read(6)
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def plan_shards(files: list[DataFile], format_in: str | None = None, shard_bytes: int | None = None,
                text_shard_bytes: int | None = None) -> list[Shard]:
    """Split files into shards: line files by byte range, Parquet by row groups, compressed and other files whole.

    Plain text is one example per fixed-size piece (SHARD_BYTES, or ``text_shard_bytes``);
    its shards are sub-ranges of a piece whose token counts add up in the reduce, so a
    count never depends on the number of workers.
    """
    if format_in is not None and format_in not in CONTAINERS:
        raise DatasetError(f"unknown --format-in '{format_in}'; choose one of {', '.join(CONTAINERS)}")
    shard_bytes = shard_bytes or SHARD_BYTES
    shards: list[Shard] = []
    for file, compression in zip(files, _sniff_all(files)):
        path, size = file.path, file.size
        named = split_compression(path)[1]
        if named is not None and compression is None and size > 0:
            raise DatasetError(f"{path}: the name says {named}, but the content is not a {named} stream")
        container = format_in or detect_container(path) or "auto"
        piece = text_shard_bytes or SHARD_BYTES
        step = piece // -(-piece // shard_bytes) if container == "text" else shard_bytes  # divides piece
        if compression is None and container in SPLITTABLE and size > step:
            for start in range(0, size, step):
                end = min(size, start + step)
                shards.append(Shard(path, container, None, start, None if end == size else end,
                                    len(shards), end - start, start // piece if container == "text" else 0))
        elif container == "parquet" and compression is None and size > shard_bytes:
            for start, end, nbytes in row_group_ranges(path, size, shard_bytes):
                shards.append(Shard(path, container, None, start, end, len(shards), nbytes))
        else:
            shards.append(Shard(path, container, compression, 0, None, len(shards), size))
    return shards


def _sniff_all(files: list[DataFile]) -> list[str | None]:
    """Compression of each file; remote files are probed concurrently (one small ranged read each)."""
    def sniff(f: DataFile) -> str | None:
        return sniff_compression(f.path) if f.size > 0 else None

    if sum(1 for f in files if remote.protocol(f.path)) < 2:
        return [sniff(f) for f in files]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(REMOTE_PROBES) as pool:
        return list(pool.map(sniff, files))


def row_group_ranges(path: str, size: int, shard_bytes: int) -> list[tuple[int, int | None, int]]:
    """Runs of consecutive Parquet row groups of about ``shard_bytes``: (first, end or None for the last, bytes).

    Bytes are the file size shared out in proportion to each group's compressed size, so they add up to
    the file's size (progress and sampling weights). An unreadable footer gives one whole-file range;
    the reader then reports why.
    """
    try:
        import pyarrow.parquet as pq

        with remote.open_raw(path) as f:
            meta = pq.ParquetFile(f).metadata
        sizes = [sum(meta.row_group(i).column(c).total_compressed_size for c in range(meta.num_columns))
                 for i in range(meta.num_row_groups)]
    except Exception:  # pyarrow missing, or not a Parquet file: the reader says which
        return [(0, None, size)]
    total = sum(sizes) or 1
    groups, start, acc = [], 0, 0
    for i, s in enumerate(sizes):
        acc += s
        if acc * size >= shard_bytes * total or i == len(sizes) - 1:
            groups.append((start, i + 1))
            start, acc = i + 1, 0
    out, given = [], 0
    for k, (a, b) in enumerate(groups):
        nbytes = size - given if k == len(groups) - 1 else round(size * sum(sizes[a:b]) / total)
        given += nbytes
        out.append((a, None if b == len(sizes) else b, nbytes))
    return out
