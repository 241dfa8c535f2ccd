"""Read YAML keeping the line of every mapping key and value, so errors can say file:line.

Hardened for untrusted files: regular files only (a FIFO or /dev/zero is refused before it is opened),
at most MAX_BYTES, nesting at most MAX_DEPTH levels, at most MAX_VALUES values once aliases are expanded
(a "billion laughs" file stops there), and only the standard tags (no !!python/..., no custom !tags).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from estimator.errors import CatalogError

Path_ = tuple[Any, ...]

MAX_BYTES = 8 * 2**20
MAX_DEPTH = 64
MAX_VALUES = 200_000
_STANDARD = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where PyYAML was built with it (fast)


class _Loader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader: plain data only, never arbitrary Python objects. (libyaml also stops at 1,000 levels of
    nesting while parsing; the builder stops at MAX_DEPTH.)"""


# YAML 1.1 (PyYAML) reads 6.7e9 as a string (it wants a '.' and a signed exponent);
# resolve every plain scalar that is a decimal number as a float, as YAML 1.2 does.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


class _Builder:
    """Walks the composed node tree once; aliases are expanded, so each use counts towards MAX_VALUES."""

    def __init__(self, loader: _Loader):
        self.loader, self.lines, self.count = loader, {}, 0

    def build(self, node: yaml.Node, path: Path_, line: int | None = None) -> Any:
        self.count += 1
        if len(path) > MAX_DEPTH:
            raise CatalogError(f"line {node.start_mark.line + 1}: nested deeper than {MAX_DEPTH} levels (limit for "
                               "catalog and scenario files)")
        if self.count > MAX_VALUES:
            raise CatalogError(f"line {node.start_mark.line + 1}: more than {MAX_VALUES:,} values once aliases "
                               "(*name) are expanded (limit for catalog and scenario files)")
        _check_tag(node)
        self.lines[path] = line or node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                _check_tag(key_node)
                if not isinstance(key_node, yaml.ScalarNode):
                    raise CatalogError(f"line {key_node.start_mark.line + 1}: a mapping key must be a scalar")
                key = self.scalar(key_node)
                if key in out:
                    raise CatalogError(f"line {key_node.start_mark.line + 1}: duplicate key '{key}'")
                # a key's errors (unknown field, bad value) point at the key's line, not its value's
                out[key] = self.build(value_node, (*path, key), key_node.start_mark.line + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        try:  # e.g. an integer of 5,000 digits, or a date such as 2025-13-45
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:
            text = str(node.value)
            shown = text if len(text) <= 40 else text[:37] + "..."
            raise CatalogError(f"line {node.start_mark.line + 1}: cannot read the value {shown!r}: "
                               f"{str(exc).split(';')[0]}") from None


def _check_tag(node: yaml.Node) -> None:
    if node.tag in _STANDARD:
        return
    line = node.start_mark.line + 1
    if node.tag == "tag:yaml.org,2002:merge":
        raise CatalogError(f"line {line}: merge keys (<<) are not supported; write the keys out")
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    raise CatalogError(f"line {line}: tag '{tag}' is not allowed (plain strings, numbers, booleans, dates, "
                       "lists and mappings only)")


def read_text(path: str | Path) -> str:
    """The text of a catalog or scenario file: a regular file of at most MAX_BYTES, UTF-8, not binary."""
    from estimator.safe_io import read_capped

    raw = read_capped(path, MAX_BYTES, CatalogError, "YAML file")
    if b"\x00" in raw[:8192]:
        raise CatalogError(f"{path}: not a YAML file (binary content)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def load_yaml(path: str | Path, text: str | None = None) -> tuple[Any, dict[Path_, int]]:
    """Parse one YAML file; return (data, {path-tuple: line}). Errors name file:line."""
    path = Path(path)
    if text is None:
        text = read_text(path)
    elif len(text) > MAX_BYTES:
        raise CatalogError(f"{path}: over the {MAX_BYTES // 2**20} MiB limit for YAML files")
    loader = _Loader(text)
    builder = _Builder(loader)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, builder.lines
        return builder.build(node, ()), builder.lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        if "maximum nesting depth" in f"{exc.problem} {exc.context}":  # libyaml's own limit (1,000 levels)
            raise CatalogError(f"{where}: nested deeper than {MAX_DEPTH} levels (limit for catalog and scenario "
                               "files)") from None
        raise CatalogError(f"{where}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:  # e.g. a control character (yaml.reader.ReaderError): one line, with the line
        position = getattr(exc, "position", None)
        where = f"{path}:{text.count(chr(10), 0, position) + 1}" if isinstance(position, int) else str(path)
        raise CatalogError(f"{where}: invalid YAML: {str(exc).splitlines()[0]}") from None
    except CatalogError as exc:
        raise CatalogError(f"{path}:{str(exc).removeprefix('line ')}") from None
    except RecursionError:  # the pure-Python composer (no libyaml) recurses before the builder can count
        raise CatalogError(f"{path}: nested deeper than {MAX_DEPTH} levels (limit for catalog and scenario files)") from None
    finally:
        loader.dispose()


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of the deepest known prefix of `path` (for a mapping entry: its key's line)."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None
